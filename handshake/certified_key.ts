/**
 * A certificate chain with its private key, as either side of a handshake presents it, and the choice of the
 * TLS 1.3 signature scheme for its CertificateVerify (RFC 8446 §4.2.3, §4.4.3).
 *
 * The connection layer builds these once (parsing PEM, importing the key, reading the certificate's names);
 * the handshake only reads them, so it never needs X.509 at run time.
 *
 * @module
 */

import type { SigningKey } from "../crypto/provider.ts";
import { SCHEMES, SignatureScheme } from "./constants.ts";

/** A chain and its key, ready to be sent and to sign. */
export interface CertifiedKey {
  /** DER certificates, leaf first, as they go in the Certificate message. */
  readonly chain: readonly Uint8Array[];
  /** The leaf's private key. */
  readonly key: SigningKey;
  /** The TLS 1.3 signature schemes this key can sign with, in preference order (see {@link signatureSchemesFor}). */
  readonly schemes: readonly number[];
  /** DER issuer Names of the chain's certificates, to match a CertificateRequest's certificate_authorities. */
  readonly issuers: readonly Uint8Array[];
  /** Whether the leaf's subjectAltName covers `serverName` (servers choose a certificate by SNI with it). */
  readonly matches: (serverName: string) => boolean;
}

/**
 * The TLS 1.3 CertificateVerify schemes a key of this type can sign with, in preference order:
 * ECDSA P-256 → ecdsa_secp256r1_sha256, P-384 → ecdsa_secp384r1_sha384, P-521 → ecdsa_secp521r1_sha512,
 * Ed25519 → ed25519, an rsaEncryption key → rsa_pss_rsae_sha256/384/512 and an id-RSASSA-PSS key →
 * rsa_pss_pss_sha256/384/512 (RFC 8446 §4.2.3: PKCS#1 v1.5 is not allowed in CertificateVerify).
 *
 * @example
 * ```ts ignore
 * signatureSchemesFor(await webCrypto.importSigningKey(pkcs8)); // [0x0403] for a P-256 key
 * ```
 */
export function signatureSchemesFor(key: Pick<SigningKey, "keyType" | "curve">): number[] {
  switch (key.keyType) {
    case "EC":
      switch (key.curve) {
        case "P-256":
          return [SignatureScheme.ecdsa_secp256r1_sha256];
        case "P-384":
          return [SignatureScheme.ecdsa_secp384r1_sha384];
        case "P-521":
          return [SignatureScheme.ecdsa_secp521r1_sha512];
        default:
          return [];
      }
    case "Ed25519":
      return [SignatureScheme.ed25519];
    case "RSA":
      return [
        SignatureScheme.rsa_pss_rsae_sha256,
        SignatureScheme.rsa_pss_rsae_sha384,
        SignatureScheme.rsa_pss_rsae_sha512,
      ];
    case "RSA-PSS":
      return [
        SignatureScheme.rsa_pss_pss_sha256,
        SignatureScheme.rsa_pss_pss_sha384,
        SignatureScheme.rsa_pss_pss_sha512,
      ];
  }
}

/**
 * The first of the key's schemes that the peer listed in its signature_algorithms, or `undefined` when none
 * fits (RFC 8446 §4.4.2.2: the certificate's key must be usable with a scheme the peer offered).
 */
export function selectSignatureScheme(
  certified: Pick<CertifiedKey, "schemes">,
  peerSchemes: readonly number[],
): number | undefined {
  return certified.schemes.find((s) => peerSchemes.includes(s) && SCHEMES[s]?.tls13);
}
