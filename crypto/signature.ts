/**
 * Signature verification for certificates and CertificateVerify (RFC 8446 §4.2.3, §4.4.3): ECDSA with DER
 * signatures, RSASSA-PKCS1-v1_5, RSASSA-PSS (salt length = hash length, for rsaEncryption and id-RSASSA-PSS
 * keys alike) and Ed25519.
 *
 * @module
 */

import { CryptoInputError, type CurveName, type PublicKeyInfo, type SignatureAlgorithm } from "./provider.ts";
import { DerError } from "./_der.ts";
import { CURVES, isValidUncompressedPoint } from "./_ec.ts";
import { ecdsaDerToRaw } from "./_ecdsa_encoding.ts";
import { type KeyAlgorithm, parseSpki, spkiAsRsaEncryption } from "./_key_info.ts";
import { signatureParams } from "./_signature_params.ts";
import { buf } from "./_util.ts";

/** Ed25519 signatures are R ‖ S, 64 bytes (RFC 8032 §5.1.6). */
const ED25519_SIGNATURE_LENGTH = 64;

/**
 * Checks that `key.spki` is a SubjectPublicKeyInfo of the kind `key` claims, with an EC point on its curve,
 * and returns what it says; throws {@link CryptoInputError} otherwise.
 */
function checkedKeyAlgorithm(key: PublicKeyInfo): KeyAlgorithm {
  let parsed;
  try {
    parsed = parseSpki(key.spki);
  } catch (cause) {
    if (cause instanceof DerError) {
      throw new CryptoInputError(`malformed or unsupported public key: ${cause.message}`, { cause });
    }
    throw cause;
  }
  const { algorithm, publicKey } = parsed;
  if (algorithm.keyType !== key.keyType || algorithm.curve !== key.curve) {
    throw new CryptoInputError(
      `public key is ${algorithm.keyType} ${algorithm.curve ?? ""} but was described as ${key.keyType} ${
        key.curve ?? ""
      }`.replace(/ +/g, " "),
    );
  }
  // Deno imports an off-curve point without complaint and fails only when verifying; check it here
  // (SEC 1 §3.2.2.1). Compressed points are decompressed by WebCrypto, which puts them on the curve.
  if (
    algorithm.curve && publicKey[0] === 0x04 && !isValidUncompressedPoint(CURVES[algorithm.curve], publicKey)
  ) {
    throw new CryptoInputError(`EC public key is not a point on ${algorithm.curve}`);
  }
  return algorithm;
}

/**
 * Whether `point` is an uncompressed point 0x04 ‖ X ‖ Y on `curve` (SEC 1 §3.2.2.1 partial public-key
 * validation). WebCrypto in Deno imports an off-curve point without complaint and fails only when it is used,
 * so certificate parsing checks with this.
 *
 * @example
 * ```ts ignore
 * if (!isEcPointOnCurve("P-256", point)) throw new Error("not a P-256 public key");
 * ```
 */
export function isEcPointOnCurve(curve: CurveName, point: Uint8Array): boolean {
  return isValidUncompressedPoint(CURVES[curve], point);
}

async function importVerificationKey(
  key: PublicKeyInfo,
  algorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm,
): Promise<CryptoKey> {
  // WebCrypto does not know the id-RSASSA-PSS OID; the RSAPublicKey inside is the same as for rsaEncryption.
  const spki = key.keyType === "RSA-PSS" ? spkiAsRsaEncryption(key.spki) : key.spki;
  try {
    return await crypto.subtle.importKey("spki", buf(spki), algorithm, false, ["verify"]);
  } catch (cause) {
    throw new CryptoInputError(`public key cannot be imported as ${algorithm.name}`, { cause });
  }
}

/**
 * Verifies `signature` over `message` with `key`. Returns false for a signature that does not verify, is
 * malformed (for ECDSA: anything but strict DER with r and s in range of the curve's size), or whose
 * algorithm does not fit the key (an ECDSA scheme naming another curve; PKCS#1 v1.5 with an id-RSASSA-PSS key).
 * Throws {@link CryptoInputError} when the public key itself is malformed, not on its curve, or not of the
 * type `key` says.
 *
 * @example
 * ```ts
 * const ok = await verify({ kind: "ecdsa", hash: "SHA-256", curve: "P-256" }, publicKeyInfo, data, derSignature);
 * ```
 */
export async function verify(
  algorithm: SignatureAlgorithm,
  key: PublicKeyInfo,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const keyAlgorithm = checkedKeyAlgorithm(key);
  const webCrypto = signatureParams(algorithm, keyAlgorithm);
  if (typeof webCrypto === "string") return false;
  let encoded = signature;
  if (algorithm.kind === "ecdsa") {
    const curve = keyAlgorithm.curve;
    const raw = curve && ecdsaDerToRaw(signature, CURVES[curve].size);
    if (!raw) return false;
    encoded = raw;
  } else if (algorithm.kind === "ed25519" && signature.length !== ED25519_SIGNATURE_LENGTH) {
    return false;
  }
  const cryptoKey = await importVerificationKey(key, webCrypto.importAlgorithm);
  try {
    return await crypto.subtle.verify(webCrypto.params, cryptoKey, buf(encoded), buf(message));
  } catch {
    // WebCrypto rejects some malformed signatures (e.g. an RSA signature of the wrong length) instead of
    // returning false.
    return false;
  }
}
