/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1) of the TLS 1.2 premaster secret to the server's RSA key, for
 * the `TLS_RSA_WITH_*` suites' key transport (RFC 5246 §7.4.7.1), client side only.
 *
 * **The single exception to "every primitive runs in WebCrypto".** WebCrypto offers RSA encryption only as
 * RSA-OAEP; RSAES-PKCS1-v1_5 is not available, so this one public-key operation is done here with `BigInt`
 * arithmetic: EM = 0x00 ‖ 0x02 ‖ PS ‖ 0x00 ‖ M with PS nonzero random bytes from `crypto.getRandomValues`,
 * then c = m^e mod n. Only public values (n, e) enter the exponentiation's control flow; the message is a
 * fresh random premaster secret. It is never used for decryption (the server side of RSA key transport is
 * not implemented, which avoids Bleichenbacher-style oracles altogether), and moduli below 2048 bits are
 * refused.
 *
 * @module
 */

import { CryptoInputError, type PublicKeyInfo } from "./provider.ts";
import { DerError, DerReader, readSingle, Tag, unsignedInteger } from "./_der.ts";
import { parseSpki } from "./_key_info.ts";
import { toBigInt } from "./_util.ts";

/** Smallest modulus accepted, in bits (NIST SP 800-131A). */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Largest modulus accepted, in bits: bounds the cost a peer's certificate can impose. */
export const MAX_RSA_MODULUS_BITS = 16384;
/** RFC 8017 §7.2.1: the message is at most k − 11 bytes. */
const PADDING_OVERHEAD = 11;

/** An RSA public key (RFC 8017 §3.1). */
export interface RsaPublicKey {
  /** The modulus n. */
  readonly n: bigint;
  /** The public exponent e. */
  readonly e: bigint;
  /** Length of n in bits. */
  readonly modulusBits: number;
  /** Length of n in bytes (k of RFC 8017). */
  readonly modulusLength: number;
}

/**
 * The RSAPublicKey (RFC 8017 §A.1.1) inside an rsaEncryption SubjectPublicKeyInfo. Throws
 * {@link CryptoInputError} for another key type (an id-RSASSA-PSS key may only sign, RFC 4055 §1.2), a malformed
 * key, an even modulus or exponent, or a modulus outside 2048..16384 bits.
 */
export function parseRsaPublicKey(spki: Uint8Array): RsaPublicKey {
  let n: bigint;
  let e: bigint;
  let modulusBits: number;
  try {
    const parsed = parseSpki(spki);
    if (parsed.algorithm.keyType !== "RSA") {
      throw new CryptoInputError(
        `RSA key transport needs an rsaEncryption key, not ${parsed.algorithm.keyType}`,
      );
    }
    const seq = new DerReader(readSingle(parsed.publicKey, Tag.SEQUENCE, "RSAPublicKey").value);
    const modulus = unsignedInteger(seq.expect(Tag.INTEGER, "RSAPublicKey.modulus").value, "modulus");
    const exponent = unsignedInteger(
      seq.expect(Tag.INTEGER, "RSAPublicKey.publicExponent").value,
      "exponent",
    );
    seq.end("RSAPublicKey");
    n = toBigInt(modulus);
    e = toBigInt(exponent);
    modulusBits = n === 0n ? 0 : n.toString(2).length;
  } catch (cause) {
    if (cause instanceof DerError) {
      throw new CryptoInputError(`malformed RSA public key: ${cause.message}`, { cause });
    }
    throw cause;
  }
  if (modulusBits < MIN_RSA_MODULUS_BITS || modulusBits > MAX_RSA_MODULUS_BITS) {
    throw new CryptoInputError(
      `RSA modulus of ${modulusBits} bits is outside ${MIN_RSA_MODULUS_BITS}..${MAX_RSA_MODULUS_BITS}`,
    );
  }
  if ((n & 1n) === 0n) throw new CryptoInputError("RSA modulus is even");
  if (e < 3n || e >= n || (e & 1n) === 0n) {
    throw new CryptoInputError("RSA public exponent is not an odd 3 ≤ e < n");
  }
  return { n, e, modulusBits, modulusLength: Math.ceil(modulusBits / 8) };
}

/** base^exponent mod modulus, by left-to-right square-and-multiply over the (public) exponent's bits. */
function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  const b = base % modulus;
  for (const bit of exponent.toString(2)) {
    result = (result * result) % modulus;
    if (bit === "1") result = (result * b) % modulus;
  }
  return result;
}

/** I2OSP(x, length) (RFC 8017 §4.1). */
function i2osp(x: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = x;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError("integer too large");
  return out;
}

/** `n` random bytes, none of them zero (RFC 8017 §7.2.1 step 2b). */
function nonzeroRandom(n: number, random: (n: number) => Uint8Array): Uint8Array {
  const out = random(n);
  for (let i = 0; i < n; i++) {
    while (out[i] === 0) out[i] = random(1)[0];
  }
  return out;
}

function systemRandom(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * RSAES-PKCS1-V1_5-ENCRYPT((n, e), M) (RFC 8017 §7.2.1) with the key of `key` (an rsaEncryption
 * SubjectPublicKeyInfo). `random` (for tests only) replaces `crypto.getRandomValues` as the source of the
 * padding. Throws {@link CryptoInputError} for an unusable key and `RangeError` for a message longer than
 * k − 11 bytes.
 *
 * @example
 * ```ts ignore
 * const encryptedPreMasterSecret = rsaesPkcs1v15Encrypt(serverPublicKey, preMasterSecret);
 * ```
 */
export function rsaesPkcs1v15Encrypt(
  key: PublicKeyInfo,
  message: Uint8Array,
  random: (n: number) => Uint8Array = systemRandom,
): Uint8Array {
  if (key.keyType !== "RSA") {
    throw new CryptoInputError(`RSA key transport needs an rsaEncryption key, not ${key.keyType}`);
  }
  const { n, e, modulusLength: k } = parseRsaPublicKey(key.spki);
  if (message.length > k - PADDING_OVERHEAD) {
    throw new RangeError(`RSAES-PKCS1-v1_5: message of ${message.length} bytes is longer than ${k - 11}`);
  }
  // EM = 0x00 || 0x02 || PS || 0x00 || M, PS of k − mLen − 3 ≥ 8 nonzero bytes.
  const em = new Uint8Array(k);
  em[1] = 0x02;
  em.set(nonzeroRandom(k - message.length - 3, random), 2);
  em.set(message, k - message.length);
  return i2osp(modPow(toBigInt(em), e, n), k);
}
