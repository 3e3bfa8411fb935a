/**
 * Certificate path validation for TLS servers (RFC 5280 §6, simplified as the Web PKI does it) and the
 * server identity check (RFC 6125 §6), behind the {@link CertificateVerifier} interface.
 *
 * `verifyServer` checks, in this order:
 * 1. the leaf on its own: validity period, critical extensions, key type and strength, key usage and
 *    extended key usage fit for a TLS server;
 * 2. a path from the leaf through the certificates the peer sent (in any order, extras ignored) to one of
 *    the trust anchors, matching each issuer Name to a subject Name byte for byte and trying every
 *    candidate issuer; for each link the signature, then the issuer's validity, CA status, key usage,
 *    path length constraint, extended key usage (when present it must allow the leaf's purpose), critical
 *    extensions, and name constraints over every certificate below it (`name_constraints.ts`). A trust
 *    anchor's own signature is not checked, its validity is. A leaf that is itself a trust anchor (a pinned self-signed certificate) is a path of one;
 * 3. the server name against the leaf's subjectAltName.
 *
 * `verifyClient` runs steps 1 and 2 for a client's chain (RFC 8446 §4.4.2.4), with the clientAuth extended
 * key usage in place of serverAuth; there is no name to check.
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { CryptoProvider, PublicKeyInfo } from "../crypto/provider.ts";
import type {
  CertificateVerifier,
  ClientChainRequest,
  PeerCertificate,
  ServerChainRequest,
  VerifiedChain,
} from "./verifier.ts";
import { ExtensionOid, KeyPurposeOid, parseCertificate, type ParsedCertificate } from "./certificate.ts";
import { keyFitsAlgorithm } from "./_algorithms.ts";
import { matchServerName } from "./names.ts";
import { checkNameConstraints } from "./name_constraints.ts";
import { TrustAnchors } from "./trust_store.ts";

/** Options of {@link createCertificateVerifier}. */
export interface CertificateVerifierOptions {
  /**
   * Trust anchors: PEM strings (each may hold several certificates), DER certificates, or anchors parsed
   * beforehand (see `trust_store.ts`), which many verifiers can then share.
   */
  readonly caCerts: readonly string[] | readonly Uint8Array[] | TrustAnchors;
  /** The provider that checks signatures. */
  readonly crypto: CryptoProvider;
}

/** The most certificates a path may hold, leaf and trust anchor included. */
export const MAX_PATH_LENGTH = 8;
/** The most signatures one verification may check while it searches for a path. */
const SIGNATURE_BUDGET = 64;
/** RSA keys shorter than this are refused (NIST SP 800-131A; the CA/Browser Forum baseline). */
const MIN_RSA_BITS = 2048;

const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(ExtensionOid));

function fail(code: CertificateVerificationError["code"], message: string, cert?: ParsedCertificate): never {
  throw new CertificateVerificationError(code, message, cert?.subject);
}

/** RFC 5280 §6.1.3(a)(2): `now` must lie within the validity period. */
function checkValidity(cert: ParsedCertificate, now: Date, role: string): void {
  if (now < cert.notBefore) {
    fail("not_yet_valid", `${role} is not valid before ${cert.notBefore.toISOString()}`, cert);
  }
  if (now > cert.notAfter) fail("expired", `${role} expired on ${cert.notAfter.toISOString()}`, cert);
}

/** RFC 5280 §4.2: a certificate with a critical extension that is not understood must be refused. */
function checkCriticalExtensions(cert: ParsedCertificate, role: string): void {
  const unknown = cert.criticalExtensions.find((oid) => !UNDERSTOOD_EXTENSIONS.has(oid));
  if (unknown) {
    fail("unknown_critical_extension", `${role} has an unknown critical extension ${unknown}`, cert);
  }
}

/** The certificate's public key, if its type is supported and strong enough. */
function usableKey(cert: ParsedCertificate, role: string): PublicKeyInfo {
  if (!cert.publicKey) {
    fail("unsupported_algorithm", `${role} has an unsupported key (${cert.publicKeyName})`, cert);
  }
  if (cert.modulusBits !== undefined && cert.modulusBits < MIN_RSA_BITS) {
    fail(
      "weak_key",
      `${role} has a ${cert.modulusBits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
      cert,
    );
  }
  return cert.publicKey;
}

/** The checks of the leaf on its own, before any path is sought; `purpose` is the EKU it must allow. */
function checkLeaf(
  leaf: ParsedCertificate,
  now: Date,
  purpose: "serverAuth" | "clientAuth" = "serverAuth",
): PublicKeyInfo {
  const role = purpose === "serverAuth" ? "the server certificate" : "the client certificate";
  checkValidity(leaf, now, role);
  checkCriticalExtensions(leaf, role);
  const key = usableKey(leaf, role);
  // RFC 8446 §4.4.2.2: the key must be allowed to sign (digitalSignature) when key usage is present.
  if (leaf.keyUsage && !leaf.keyUsage.has("digitalSignature")) {
    fail("bad_key_usage", `${role}'s key usage does not allow digitalSignature`, leaf);
  }
  // RFC 5280 §4.2.1.12: when extended key usage is present, the key may only be used for the purposes listed.
  if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(KeyPurposeOid[purpose])) {
    fail("bad_extended_key_usage", `${role}'s extended key usage does not include ${purpose}`, leaf);
  }
  return key;
}

function isSelfIssued(cert: ParsedCertificate): boolean {
  return equal(cert.issuerDer, cert.subjectDer);
}

/** One verification: the chain sent, the anchors, the purpose, and the signature budget. */
class PathBuilder {
  #budget = SIGNATURE_BUDGET;

  constructor(
    readonly crypto: CryptoProvider,
    readonly anchors: TrustAnchors,
    readonly intermediates: readonly ParsedCertificate[],
    readonly now: Date,
    readonly purpose: "serverAuth" | "clientAuth",
  ) {}

  /** Checks that `issuer` signed `cert`: supported algorithm, usable key, valid signature. */
  async checkSignature(cert: ParsedCertificate, issuer: ParsedCertificate): Promise<void> {
    if (!cert.signatureAlgorithm) {
      fail(
        "unsupported_algorithm",
        `signed with ${cert.signatureAlgorithmName}, which is not supported`,
        cert,
      );
    }
    const key = usableKey(issuer, "the issuing certificate");
    if (!keyFitsAlgorithm(key, cert.signatureAlgorithm)) {
      fail(
        "bad_signature",
        `signed with ${cert.signatureAlgorithmName} but "${issuer.subject}" has an ${issuer.publicKeyName} key`,
        cert,
      );
    }
    if (--this.#budget < 0) fail("unknown_issuer", "gave up searching for a path: too many candidates", cert);
    if (!await this.crypto.verify(cert.signatureAlgorithm, key, cert.tbs, cert.signature)) {
      fail("bad_signature", `the signature by "${issuer.subject}" does not verify`, cert);
    }
  }

  /** RFC 5280 §6.1.4: the checks of a certificate that issues the one below it on `path`. */
  checkIssuer(issuer: ParsedCertificate, path: readonly ParsedCertificate[], anchor: boolean): void {
    const role = anchor ? "the trust anchor" : "the intermediate CA certificate";
    checkValidity(issuer, this.now, role);
    const bc = issuer.basicConstraints;
    // §6.1.4(k): an intermediate must be a CA; a trust anchor is trusted as one unless it says otherwise.
    if (anchor ? bc?.cA === false : !bc?.cA) {
      fail("not_a_ca", `${role} is not a CA (basicConstraints cA)`, issuer);
    }
    // §6.1.4(n): key usage, when present, must allow keyCertSign.
    if (issuer.keyUsage && !issuer.keyUsage.has("keyCertSign")) {
      fail("bad_key_usage", `${role}'s key usage does not allow keyCertSign`, issuer);
    }
    // §6.1.4(l, m): intermediates below this one, self-issued ones excepted, may not exceed pathLenConstraint.
    if (bc?.pathLenConstraint !== undefined) {
      const below = path.slice(1).filter((c) => !isSelfIssued(c)).length;
      if (below > bc.pathLenConstraint) {
        fail(
          "path_length_exceeded",
          `${role} allows ${bc.pathLenConstraint} intermediate CA certificates below it, ${below} were found`,
          issuer,
        );
      }
    }
    // An issuer whose extended key usage is present must allow the purpose too, as NSS, Chrome, Go and OpenSSL
    // require ("EKU chaining"; RFC 5280 leaves it open): a CA restricted to e-mail cannot vouch for a server.
    const eku = issuer.extKeyUsage;
    if (
      eku && !eku.includes(KeyPurposeOid[this.purpose]) && !eku.includes(KeyPurposeOid.anyExtendedKeyUsage)
    ) {
      fail("bad_extended_key_usage", `${role}'s extended key usage does not include ${this.purpose}`, issuer);
    }
    checkCriticalExtensions(issuer, role);
    // §6.1.4(g), §6.1.3(b, c): the names of every certificate below must satisfy its name constraints.
    checkNameConstraints(issuer, path);
  }

  /** Extends `path` (leaf first) up to a trust anchor, or throws the most telling failure. */
  async extend(path: readonly ParsedCertificate[]): Promise<ParsedCertificate[]> {
    const cert = path[path.length - 1];
    // Refuse loops: a certificate, or another with the same subject and key, may appear once on a path.
    const onPath = (c: ParsedCertificate) =>
      path.some((p) => equal(p.der, c.der) || (equal(p.subjectDer, c.subjectDer) && equal(p.spki, c.spki)));
    // An issuer's subject is the certificate's issuer Name; when both carry key identifiers they must agree too
    // (RFC 5280 §4.2.1.1), which tells a same-named CA with another key apart from a bad signature.
    const issues = (c: ParsedCertificate) =>
      equal(c.subjectDer, cert.issuerDer) &&
      (!cert.authorityKeyIdentifier || !c.subjectKeyIdentifier ||
        equal(cert.authorityKeyIdentifier, c.subjectKeyIdentifier));
    const candidates = [
      ...this.anchors.withSubject(cert.issuerDer).filter(issues).map((c) => ({ cert: c, anchor: true })),
      ...this.intermediates.filter((c) => issues(c) && !onPath(c)).map((c) => ({ cert: c, anchor: false })),
    ];
    if (candidates.length === 0) {
      fail("unknown_issuer", `no trusted or supplied certificate is its issuer "${cert.issuer}"`, cert);
    }
    let error: CertificateVerificationError | undefined;
    for (const candidate of candidates) {
      try {
        if (!candidate.anchor && path.length + 1 >= MAX_PATH_LENGTH) {
          fail("path_length_exceeded", `no trust anchor within ${MAX_PATH_LENGTH} certificates`, cert);
        }
        await this.checkSignature(cert, candidate.cert);
        this.checkIssuer(candidate.cert, path, candidate.anchor);
        const next = [...path, candidate.cert];
        return candidate.anchor ? next : await this.extend(next);
      } catch (e) {
        if (!(e instanceof CertificateVerificationError)) throw e;
        // A specific defect tells more than "unknown issuer" found further up another branch.
        if (!error || (error.code === "unknown_issuer" && e.code !== "unknown_issuer")) error = e;
      }
    }
    throw error;
  }
}

/**
 * Creates the verifier that the TLS client uses for server certificates.
 *
 * @example
 * ```ts ignore
 * import { webCrypto } from "../crypto/webcrypto.ts";
 * const verifier = createCertificateVerifier({ caCerts: [await Deno.readTextFile("ca.pem")], crypto: webCrypto });
 * const { publicKey } = await verifier.verifyServer({ chain, serverName: "example.com", now: new Date() });
 * ```
 */
export function createCertificateVerifier(options: CertificateVerifierOptions): CertificateVerifier {
  const anchors = options.caCerts instanceof TrustAnchors
    ? options.caCerts
    : TrustAnchors.from(options.caCerts);
  const crypto = options.crypto;

  return {
    async verifyServer(request: ServerChainRequest): Promise<VerifiedChain> {
      if (request.chain.length === 0) fail("malformed", "the server sent no certificate");
      const chain = request.chain.map((der, i) => parseCertificate(der, `certificate ${i} of the chain`));
      const leaf = chain[0];
      const publicKey = checkLeaf(leaf, request.now);
      const pinned = anchors.has(leaf.der);
      const path = pinned
        ? [leaf]
        : await new PathBuilder(crypto, anchors, chain.slice(1), request.now, "serverAuth").extend([leaf]);
      if (request.serverName !== undefined && !matchServerName(leaf.subjectAltNames, request.serverName)) {
        const names = leaf.subjectAltNames.map((n) => n.value).join(", ") || "none";
        fail(
          "hostname_mismatch",
          `it is not valid for "${request.serverName}" (subjectAltName: ${names})`,
          leaf,
        );
      }
      return { publicKey, path: path.map((c) => c.der) };
    },

    async verifyClient(request: ClientChainRequest): Promise<VerifiedChain> {
      if (request.chain.length === 0) fail("malformed", "the client sent no certificate");
      const chain = request.chain.map((der, i) => parseCertificate(der, `certificate ${i} of the chain`));
      const leaf = chain[0];
      const publicKey = checkLeaf(leaf, request.now, "clientAuth");
      const pinned = anchors.has(leaf.der);
      const path = pinned
        ? [leaf]
        : await new PathBuilder(crypto, anchors, chain.slice(1), request.now, "clientAuth").extend([leaf]);
      return { publicKey, path: path.map((c) => c.der) };
    },

    publicKeyOf(der: Uint8Array): PublicKeyInfo {
      const cert = parseCertificate(der);
      if (!cert.publicKey) fail("unsupported_algorithm", `unsupported key (${cert.publicKeyName})`, cert);
      return cert.publicKey;
    },

    describe(der: Uint8Array): PeerCertificate {
      const cert = parseCertificate(der);
      return {
        der: cert.der,
        subject: cert.subject,
        issuer: cert.issuer,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        subjectAltNames: cert.subjectAltNames.map((n) => n.value),
      };
    },
  };
}
