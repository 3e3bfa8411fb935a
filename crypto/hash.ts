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

/** The HMAC and HKDF functions of a provider, importing their keys through `importKey`. */
export interface HmacFunctions {
  /** HMAC(key, data) (RFC 2104). */
  hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2); an empty salt is hash-length zeros. */
  hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /**
   * HKDF-Expand(PRK, info, L) (RFC 5869 §2.3): T(i) = HMAC-Hash(PRK, T(i−1) ‖ info ‖ i), output the first L
   * bytes of T(1) ‖ T(2) ‖ …; L ≤ HashLen (every TLS 1.3 use) is one HMAC. Throws `RangeError` when
   * L > 255·HashLen.
   */
  hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
}

function hmacFunctions(importKey: (hash: HashName, key: Uint8Array) => Promise<CryptoKey>): HmacFunctions {
  async function hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    const k = await importKey(hash, key);
    return new Uint8Array(await crypto.subtle.sign("HMAC", k, buf(data)));
  }
  async function hkdfExpand(
    hash: HashName,
    prk: Uint8Array,
    info: Uint8Array,
    length: number,
  ): Promise<Uint8Array> {
    const hashLen = HASH_LENGTH[hash];
    if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLen) {
      throw new RangeError(`HKDF-Expand: length ${length} outside 0..${255 * hashLen}`);
    }
    if (length === 0) return new Uint8Array(0);
    const key = await importKey(hash, prk);
    if (length <= hashLen) {
      // T(1) = HMAC(PRK, info ‖ 0x01), truncated.
      const t1 = new Uint8Array(await crypto.subtle.sign("HMAC", key, buf(concat(info, Uint8Array.of(1)))));
      return length === hashLen ? t1 : t1.slice(0, length);
    }
    const okm = new Uint8Array(length);
    let t: Uint8Array = new Uint8Array(0); // T(0)
    for (let i = 1, offset = 0; offset < length; i++, offset += hashLen) {
      t = new Uint8Array(await crypto.subtle.sign("HMAC", key, buf(concat(t, info, Uint8Array.of(i)))));
      okm.set(t.subarray(0, Math.min(hashLen, length - offset)), offset);
    }
    return okm;
  }
  return {
    hmac,
    hkdfExtract(hash, salt, ikm) {
      return hmac(hash, salt.length === 0 ? new Uint8Array(HASH_LENGTH[hash]) : salt, ikm);
    },
    hkdfExpand,
  };
}

const uncached = hmacFunctions(importHmacKey);

/** HMAC(key, data) (RFC 2104). */
export const hmac: HmacFunctions["hmac"] = uncached.hmac;
/** HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2); an empty salt is hash-length zeros. */
export const hkdfExtract: HmacFunctions["hkdfExtract"] = uncached.hkdfExtract;
/**
 * HKDF-Expand(PRK, info, L) (RFC 5869 §2.3); L ≤ HashLen is one HMAC. Throws `RangeError` when
 * L > 255·HashLen.
 */
export const hkdfExpand: HmacFunctions["hkdfExpand"] = uncached.hkdfExpand;

/**
 * HMAC and HKDF that import each key once: the TLS 1.3 key schedule expands one secret several times (a
 * traffic secret into key, IV and finished_key; a stage secret into two or three secrets), and every import is
 * a WebCrypto call of its own. Keys are held weakly by the key's byte array, with a copy of its bytes that must
 * still match, so an array refilled with other bytes is imported anew. One cache per provider.
 *
 * @example
 * ```ts
 * const { hkdfExpand } = cachingHmacFunctions();
 * const prk = new Uint8Array(32);
 * const [key, iv] = await Promise.all([
 *   hkdfExpand("SHA-256", prk, new Uint8Array(0), 16),
 *   hkdfExpand("SHA-256", prk, Uint8Array.of(1), 12), // the same PRK: imported once
 * ]);
 * ```
 */
export function cachingHmacFunctions(): HmacFunctions {
  const imported = new WeakMap<Uint8Array, { hash: HashName; bytes: Uint8Array; key: Promise<CryptoKey> }>();
  return hmacFunctions((hash, key) => {
    const entry = imported.get(key);
    if (entry && entry.hash === hash && sameBytes(entry.bytes, key)) return entry.key;
    const fresh = importHmacKey(hash, key);
    imported.set(key, { hash, bytes: key.slice(), key: fresh });
    fresh.catch(() => imported.delete(key));
    return fresh;
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
