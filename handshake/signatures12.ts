/**
 * Signature algorithms in TLS 1.2 (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3, RFC 8446 §4.2.3 for the schemes it
 * defines for TLS 1.2 too): which ones we offer and accept, what a code means to the provider, which keys
 * sign with it, and the bytes a ServerKeyExchange signature covers.
 *
 * Unlike TLS 1.3, an ECDSA code in TLS 1.2 names only the hash: `ecdsa_secp256r1_sha256` (0x0403) is
 * "ECDSA with SHA-256" with a key on any curve. SHA-1 schemes are refused everywhere.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import type { SignatureAlgorithm, SigningKey } from "../crypto/provider.ts";
import type { CertifiedKey } from "./certified_key.ts";
import { SignatureScheme, type Tls12Suite } from "./constants.ts";

/** A TLS 1.2 signature algorithm: what the provider does, and the key types it applies to. */
export interface Tls12SchemeInfo {
  /** What the provider does. */
  readonly algorithm: SignatureAlgorithm;
  /** The certificate key types that sign with it. */
  readonly keyTypes: readonly ("EC" | "RSA" | "RSA-PSS" | "Ed25519")[];
}

const S = SignatureScheme;

const TABLE: ReadonlyMap<number, Tls12SchemeInfo> = new Map([
  [S.ecdsa_secp256r1_sha256, { algorithm: { kind: "ecdsa", hash: "SHA-256" }, keyTypes: ["EC"] }],
  [S.ecdsa_secp384r1_sha384, { algorithm: { kind: "ecdsa", hash: "SHA-384" }, keyTypes: ["EC"] }],
  [S.ecdsa_secp521r1_sha512, { algorithm: { kind: "ecdsa", hash: "SHA-512" }, keyTypes: ["EC"] }],
  [S.ed25519, { algorithm: { kind: "ed25519" }, keyTypes: ["Ed25519"] }],
  [S.rsa_pss_rsae_sha256, { algorithm: { kind: "rsa-pss", hash: "SHA-256" }, keyTypes: ["RSA"] }],
  [S.rsa_pss_rsae_sha384, { algorithm: { kind: "rsa-pss", hash: "SHA-384" }, keyTypes: ["RSA"] }],
  [S.rsa_pss_rsae_sha512, { algorithm: { kind: "rsa-pss", hash: "SHA-512" }, keyTypes: ["RSA"] }],
  [S.rsa_pss_pss_sha256, { algorithm: { kind: "rsa-pss", hash: "SHA-256" }, keyTypes: ["RSA-PSS"] }],
  [S.rsa_pss_pss_sha384, { algorithm: { kind: "rsa-pss", hash: "SHA-384" }, keyTypes: ["RSA-PSS"] }],
  [S.rsa_pss_pss_sha512, { algorithm: { kind: "rsa-pss", hash: "SHA-512" }, keyTypes: ["RSA-PSS"] }],
  [S.rsa_pkcs1_sha256, { algorithm: { kind: "rsa-pkcs1", hash: "SHA-256" }, keyTypes: ["RSA"] }],
  [S.rsa_pkcs1_sha384, { algorithm: { kind: "rsa-pkcs1", hash: "SHA-384" }, keyTypes: ["RSA"] }],
  [S.rsa_pkcs1_sha512, { algorithm: { kind: "rsa-pkcs1", hash: "SHA-512" }, keyTypes: ["RSA"] }],
]);

/**
 * The signature algorithms we offer and accept in TLS 1.2 (ServerKeyExchange, CertificateVerify), in
 * preference order; no SHA-1.
 */
export const TLS12_SIGNATURE_SCHEMES: readonly number[] = [...TABLE.keys()];

/** What `code` means in TLS 1.2, or undefined for a scheme we do not accept (SHA-1 ones included). */
export function tls12Scheme(code: number): Tls12SchemeInfo | undefined {
  return TABLE.get(code);
}

/** The certificate key types a suite's authentication needs (RFC 8422 §2, RFC 5246 §7.4.2). */
export function keyTypesForSuite(suite: Tls12Suite): readonly string[] {
  switch (suite.keyExchange) {
    case "ECDHE_ECDSA":
      return ["EC", "Ed25519"];
    case "ECDHE_RSA":
      return ["RSA", "RSA-PSS"];
    case "RSA":
      return ["RSA"];
  }
}

/** The ECDSA codes, the one whose hash fits the key's curve first. */
function ecdsaSchemes(curve: SigningKey["curve"]): number[] {
  const all = [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512];
  const own = curve === "P-384"
    ? S.ecdsa_secp384r1_sha384
    : curve === "P-521"
    ? S.ecdsa_secp521r1_sha512
    : all[0];
  return [own, ...all.filter((s) => s !== own)];
}

/**
 * The TLS 1.2 schemes a certified key can sign with, in preference order: the TLS 1.3 schemes it was probed
 * for (PSS for RSA keys), and for an rsaEncryption key the PKCS#1 v1.5 schemes that TLS 1.2 still allows;
 * every ECDSA hash for an EC key.
 */
export function tls12SchemesFor(certified: Pick<CertifiedKey, "key" | "schemes">): number[] {
  switch (certified.key.keyType) {
    case "EC":
      return ecdsaSchemes(certified.key.curve);
    case "Ed25519":
      return [S.ed25519];
    case "RSA":
      return [
        ...certified.schemes.filter((s) => tls12Scheme(s)?.keyTypes.includes("RSA")),
        S.rsa_pkcs1_sha256,
        S.rsa_pkcs1_sha384,
        S.rsa_pkcs1_sha512,
      ];
    case "RSA-PSS":
      return certified.schemes.filter((s) => tls12Scheme(s)?.keyTypes.includes("RSA-PSS"));
  }
}

/** The first of our schemes for `certified` that the peer listed, or undefined. */
export function selectTls12Scheme(
  certified: Pick<CertifiedKey, "key" | "schemes">,
  peerSchemes: readonly number[],
): number | undefined {
  return tls12SchemesFor(certified).find((s) => peerSchemes.includes(s));
}

/** The content a ServerKeyExchange signature covers: client_random ‖ server_random ‖ params (RFC 8422 §5.4). */
export function serverKeyExchangeSignedContent(
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  params: Uint8Array,
): Uint8Array {
  return concat(clientRandom, serverRandom, params);
}
