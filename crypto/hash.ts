/**
 * Hashes, HMAC (RFC 2104) and HKDF (RFC 5869) on WebCrypto.
 *
 * WebCrypto's own HKDF always runs Extract and Expand together, while TLS 1.3 (RFC 8446 §7.1) needs them
 * apart, so HKDF here is built from HMAC as RFC 5869 §2.2 and §2.3 define it.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import type { HashName } from "./provider.ts";
import { buf, HASH_LENGTH } from "./_util.ts";

/** The output length of `hash` in bytes (32, 48 or 64). */
export function hashLength(hash: HashName): number {
  return HASH_LENGTH[hash];
}

/** The digest of `data`. */
export async function hash(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, buf(data)));
}

/**
 * Imports an HMAC key. WebCrypto refuses an empty key, but HMAC pads every key shorter than the block with
 * zeros (RFC 2104 §2), so the empty key is the same key as one zero byte.
 */
function importHmacKey(hash: HashName, key: Uint8Array): Promise<CryptoKey> {
  const keyBytes = key.length === 0 ? new Uint8Array(1) : buf(key);
  return crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash }, false, ["sign"]);
}

/** HMAC(key, data) (RFC 2104). */
export async function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await importHmacKey(hash, key);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, buf(data)));
}

/** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2); an empty salt is hash-length zeros. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(hash, salt.length === 0 ? new Uint8Array(HASH_LENGTH[hash]) : salt, ikm);
}

/**
 * HKDF-Expand(PRK, info, L) (RFC 5869 §2.3): T(i) = HMAC-Hash(PRK, T(i−1) ‖ info ‖ i), output the first L
 * bytes of T(1) ‖ T(2) ‖ …. The PRK is imported once. Throws `RangeError` when L > 255·HashLen.
 */
export async function hkdfExpand(
  hash: HashName,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const hashLen = HASH_LENGTH[hash];
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new RangeError(`HKDF-Expand: length ${length} outside 0..${255 * hashLen}`);
  }
  const okm = new Uint8Array(length);
  if (length === 0) return okm;
  const key = await importHmacKey(hash, prk);
  let t: Uint8Array = new Uint8Array(0); // T(0)
  for (let i = 1, offset = 0; offset < length; i++, offset += hashLen) {
    t = new Uint8Array(await crypto.subtle.sign("HMAC", key, buf(concat(t, info, Uint8Array.of(i)))));
    okm.set(t.subarray(0, Math.min(hashLen, length - offset)), offset);
  }
  return okm;
}
