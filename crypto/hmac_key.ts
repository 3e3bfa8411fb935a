/**
 * An HMAC key imported once and used for many MACs (RFC 2104), for the TLS 1.2 PRF (RFC 5246 §5), whose
 * P_hash runs several HMACs under one secret.
 *
 * This is the optional provider capability {@link HmacKeyCapability}; a provider without it falls back to
 * one `hmac` call (and one key import) per MAC.
 *
 * @module
 */

import type { HashName } from "./provider.ts";
import { buf } from "./_util.ts";

/** A MAC key that can only sign. */
export interface HmacKey {
  /** HMAC(key, data). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** The optional provider member that imports an HMAC key once. */
export interface HmacKeyCapability {
  /** Imports `key` as an HMAC-`hash` key for repeated use. */
  importHmacKey(hash: HashName, key: Uint8Array): Promise<HmacKey>;
}

/**
 * Imports `key` once as a non-extractable WebCrypto HMAC key. The empty key is imported as one zero byte,
 * which HMAC pads to the same block (RFC 2104 §2) and WebCrypto does not refuse.
 *
 * @example
 * ```ts
 * const key = await importHmacKey("SHA-256", new Uint8Array(32));
 * const mac = await key.sign(new TextEncoder().encode("data"));
 * ```
 */
export async function importHmacKey(hash: HashName, key: Uint8Array): Promise<HmacKey> {
  const keyBytes = key.length === 0 ? new Uint8Array(1) : buf(key);
  const cryptoKey = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash }, false, ["sign"]);
  return {
    async sign(data: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, buf(data)));
    },
  };
}
