/**
 * Loading a PEM certificate chain and its private key into the {@link CertifiedKey} the handshake presents:
 * parsed and imported once, checked to belong together, and probed for the signature schemes the key can
 * really produce (an RSASSA-PSS key may be restricted to one hash).
 *
 * @module
 */

import { utf8 } from "../bytes.ts";
import type { CryptoProvider, SigningKey } from "../crypto/provider.ts";
import { TlsError } from "../errors.ts";
import { type CertifiedKey, signatureSchemesFor } from "../handshake/certified_key.ts";
import { SCHEMES } from "../handshake/constants.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { matchServerName } from "../x509/names.ts";
import { decodePem } from "../x509/pem.ts";
import { privateKeyFromPem } from "../x509/private_key.ts";

const PROBE = utf8("subtls key probe");

/**
 * Parses `cert` (PEM, leaf first, then its chain) and `key` (PEM: PKCS #8, PKCS #1 or SEC 1), imports the
 * key, and checks that it signs for the leaf's public key with at least one TLS 1.3 scheme. `what` names the
 * option in error messages. Throws a `TlsError` saying what is wrong.
 *
 * @example
 * ```ts ignore
 * const certified = await loadCertifiedKey(webCrypto, certPem, keyPem, "cert/key");
 * ```
 */
export async function loadCertifiedKey(
  crypto: CryptoProvider,
  cert: string,
  key: string,
  what: string,
): Promise<CertifiedKey> {
  let chain: Uint8Array[];
  let leaf;
  let issuers: Uint8Array[];
  let pkcs8: Uint8Array;
  try {
    chain = decodePem(cert).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
    if (chain.length === 0) throw new TlsError("no CERTIFICATE PEM block");
    const parsed = chain.map((der, i) => decodeCertificate(der, `certificate ${i}`));
    leaf = parsed[0];
    issuers = parsed.map((c) => c.issuerDer);
    pkcs8 = privateKeyFromPem(key);
  } catch (e) {
    throw new TlsError(`${what}: ${(e as Error).message}`, { cause: e });
  }
  const leafKey = leaf.publicKey;
  if (!leafKey) throw new TlsError(`${what}: the certificate's key (${leaf.publicKeyName}) is not supported`);
  let signingKey: SigningKey;
  try {
    signingKey = await crypto.importSigningKey(pkcs8);
  } catch (e) {
    throw new TlsError(`${what}: cannot import the private key: ${(e as Error).message}`, { cause: e });
  }
  // Sign and verify once per scheme: proves the key is the certificate's and that it can do the scheme.
  const schemes: number[] = [];
  for (const scheme of signatureSchemesFor(signingKey)) {
    const algorithm = SCHEMES[scheme].algorithm;
    try {
      const signature = await signingKey.sign(algorithm, PROBE);
      if (await crypto.verify(algorithm, leafKey, PROBE, signature)) schemes.push(scheme);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // a scheme this key may not do
    }
  }
  if (schemes.length === 0) {
    throw new TlsError(
      `${what}: the private key does not belong to the certificate "${leaf.subject}", or cannot sign for TLS 1.3`,
    );
  }
  const names = leaf.subjectAltNames;
  return {
    chain,
    key: signingKey,
    schemes,
    issuers,
    matches: (serverName: string) => matchServerName(names, serverName),
  };
}
