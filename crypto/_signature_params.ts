/**
 * Which signature algorithm may be used with which key (RFC 8446 §4.2.3), and the WebCrypto parameters that
 * carry it out. Shared by verification and signing. Private to `crypto/`.
 *
 * @module
 */

import type { SignatureAlgorithm } from "./provider.ts";
import type { KeyAlgorithm } from "./_key_info.ts";
import { HASH_LENGTH } from "./_util.ts";

/** How WebCrypto does one signature algorithm with one key. */
export interface WebCryptoSignature {
  /** The algorithm to import the key with (RSA keys are bound to one scheme and one hash). */
  readonly importAlgorithm: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  /** The parameters of `sign` / `verify`. */
  readonly params: EcdsaParams | RsaPssParams | Algorithm;
  /** A cache key: keys imported with equal `id` are interchangeable. */
  readonly id: string;
}

/**
 * The WebCrypto parameters of `algorithm` with `key`, or a sentence saying why the pair is not allowed:
 * ECDSA needs an EC key of the algorithm's curve when it names one, RSASSA-PKCS1-v1_5 an rsaEncryption key
 * (never an id-RSASSA-PSS one, RFC 4055 §1.2), RSASSA-PSS either RSA key type (an id-RSASSA-PSS key restricted
 * to one hash only with that hash), Ed25519 an Ed25519 key. PSS uses a salt as long as the hash.
 */
export function signatureParams(
  algorithm: SignatureAlgorithm,
  key: KeyAlgorithm,
): WebCryptoSignature | string {
  switch (algorithm.kind) {
    case "ecdsa":
      if (key.keyType !== "EC" || !key.curve) return `ECDSA needs an EC key, not ${key.keyType}`;
      if (algorithm.curve && algorithm.curve !== key.curve) {
        return `ECDSA scheme for ${algorithm.curve} used with a ${key.curve} key`;
      }
      return {
        importAlgorithm: { name: "ECDSA", namedCurve: key.curve },
        params: { name: "ECDSA", hash: algorithm.hash },
        id: "ecdsa",
      };
    case "rsa-pkcs1":
      if (key.keyType !== "RSA") return `RSASSA-PKCS1-v1_5 needs an rsaEncryption key, not ${key.keyType}`;
      return {
        importAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: algorithm.hash },
        params: { name: "RSASSA-PKCS1-v1_5" },
        id: `rsa-pkcs1/${algorithm.hash}`,
      };
    case "rsa-pss":
      if (key.keyType !== "RSA" && key.keyType !== "RSA-PSS") {
        return `RSASSA-PSS needs an RSA key, not ${key.keyType}`;
      }
      if (key.pssHash !== undefined && key.pssHash !== algorithm.hash) {
        return `RSASSA-PSS key is restricted to ${key.pssHash}, not ${algorithm.hash}`;
      }
      return {
        importAlgorithm: { name: "RSA-PSS", hash: algorithm.hash },
        params: { name: "RSA-PSS", saltLength: HASH_LENGTH[algorithm.hash] },
        id: `rsa-pss/${algorithm.hash}`,
      };
    case "ed25519":
      if (key.keyType !== "Ed25519") return `Ed25519 needs an Ed25519 key, not ${key.keyType}`;
      return { importAlgorithm: { name: "Ed25519" }, params: { name: "Ed25519" }, id: "ed25519" };
    default:
      throw new TypeError(`unknown signature algorithm ${(algorithm as { kind: string }).kind}`);
  }
}
