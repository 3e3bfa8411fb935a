/**
 * Small helpers shared by the WebCrypto-backed files of `crypto/`. Private to `crypto/`.
 *
 * @module
 */

import type { HashName } from "./provider.ts";

/** Output lengths in bytes of the hash functions. */
export const HASH_LENGTH: Readonly<Record<HashName, number>> = {
  "SHA-256": 32,
  "SHA-384": 48,
  "SHA-512": 64,
};

/**
 * `bytes` as a `Uint8Array` backed by an `ArrayBuffer`, which is what the WebCrypto typings accept as
 * `BufferSource`: the same view when it already is one, otherwise a copy (e.g. over a `SharedArrayBuffer`).
 */
export function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : new Uint8Array(bytes);
}

/** True when every byte is zero, in time that depends only on the length. */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i];
  return acc === 0;
}

/** Big-endian unsigned integer of `bytes`. */
export function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt("0x" + bytes.toHex());
}

/**
 * A big-endian magnitude (possibly with leading zeros) left-padded or trimmed to exactly `size` bytes;
 * undefined when its value needs more than `size` bytes.
 */
export function fixedSize(magnitude: Uint8Array, size: number): Uint8Array | undefined {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  const digits = magnitude.subarray(i);
  if (digits.length > size) return undefined;
  const out = new Uint8Array(size);
  out.set(digits, size - digits.length);
  return out;
}
