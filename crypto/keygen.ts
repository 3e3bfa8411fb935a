/**
 * Key pair generation with WebCrypto, for the library's own certificate maker (`x509/generate.ts`) and for
 * tests. Keys leave as DER: the private key as PKCS #8 (RFC 5208), the public key as SubjectPublicKeyInfo
 * (RFC 5280 §4.1.2.7).
 *
 * @module
 */

import { DerReader, encodeOid, encodeTlv, Oid, readSingle, Tag } from "./_der.ts";

/** Key types that {@link generateKeyPair} makes (the `keyAlgorithm` option of `generateCertificate`). */
export type KeyPairAlgorithm =
  | "ECDSA-P256"
  | "ECDSA-P384"
  | "ECDSA-P521"
  | "Ed25519"
  | "RSA-2048"
  | "RSA-3072"
  | "RSA-4096"
  | "RSA-PSS-2048"
  | "RSA-PSS-3072";

/** A key pair as DER. */
export interface GeneratedKeyPair {
  /** The private key, PKCS #8 DER. */
  readonly pkcs8: Uint8Array;
  /** The public key, SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
}

function params(algorithm: KeyPairAlgorithm): EcKeyGenParams | RsaHashedKeyGenParams | Algorithm {
  switch (algorithm) {
    case "ECDSA-P256":
      return { name: "ECDSA", namedCurve: "P-256" };
    case "ECDSA-P384":
      return { name: "ECDSA", namedCurve: "P-384" };
    case "ECDSA-P521":
      return { name: "ECDSA", namedCurve: "P-521" };
    case "Ed25519":
      return { name: "Ed25519" };
    case "RSA-2048":
    case "RSA-3072":
    case "RSA-4096":
    case "RSA-PSS-2048":
    case "RSA-PSS-3072":
      // The hash is fixed at import time, not at generation: the PKCS #8 key works with any hash.
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: Number(algorithm.slice(-4)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      };
  }
}

/** AlgorithmIdentifier { id-RSASSA-PSS } without parameters: a key not restricted to one hash (RFC 4055 §3.1). */
const RSASSA_PSS_ALGORITHM = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsassaPss));

/** `der` (an SPKI, index 0, or a PKCS #8 key, index 1) with its AlgorithmIdentifier replaced by id-RSASSA-PSS. */
function asRsassaPss(der: Uint8Array, index: 0 | 1): Uint8Array {
  const reader = new DerReader(readSingle(der, Tag.SEQUENCE, "key").value);
  const parts: Uint8Array[] = [];
  for (let i = 0; !reader.done; i++) {
    const tlv = reader.read("key element");
    parts.push(i === index ? RSASSA_PSS_ALGORITHM : tlv.raw);
  }
  return encodeTlv(Tag.SEQUENCE, ...parts);
}

/**
 * Generates a fresh key pair of type `algorithm`. RSA keys use the public exponent 65537; `RSA-*` keys are
 * encoded as `rsaEncryption` keys, `RSA-PSS-*` keys as `id-RSASSA-PSS` keys (RFC 4055 §1.2: for RSASSA-PSS
 * signatures only), without parameters.
 *
 * @example
 * ```ts ignore
 * const { pkcs8, spki } = await generateKeyPair("ECDSA-P256");
 * ```
 */
export async function generateKeyPair(algorithm: KeyPairAlgorithm): Promise<GeneratedKeyPair> {
  const pair = await crypto.subtle.generateKey(params(algorithm), true, ["sign", "verify"]) as CryptoKeyPair;
  const [pkcs8, spki] = await Promise.all([
    crypto.subtle.exportKey("pkcs8", pair.privateKey),
    crypto.subtle.exportKey("spki", pair.publicKey),
  ]);
  if (algorithm.startsWith("RSA-PSS-")) {
    return { pkcs8: asRsassaPss(new Uint8Array(pkcs8), 1), spki: asRsassaPss(new Uint8Array(spki), 0) };
  }
  return { pkcs8: new Uint8Array(pkcs8), spki: new Uint8Array(spki) };
}
