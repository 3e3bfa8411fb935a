/**
 * Feature detection of the platform's WebCrypto. Not every runtime that has `crypto.subtle` has every
 * algorithm TLS can use: Chromium has neither ChaCha20-Poly1305 nor ML-KEM-768, and a page outside a secure
 * context has no `crypto.subtle` at all. Each AEAD and each key-exchange group is tried once, end to end
 * (seal then open; start, respond and complete an exchange), so that a platform which knows an algorithm's
 * name but lacks one of its operations is not counted as supporting it.
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { aeadKeyLength, importAead } from "./aead.ts";
import { respondKeyExchange, startKeyExchange } from "./key_exchange.ts";
import type { AeadName, CryptoCapabilities, GroupName } from "./provider.ts";

/** Every AEAD the library implements, in the order capabilities list them. */
export const ALL_AEADS: readonly AeadName[] = ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"];

/** Every key-exchange group the library implements, in the order capabilities list them. */
export const ALL_GROUPS: readonly GroupName[] = [
  "X25519MLKEM768",
  "X25519",
  "P-256",
  "P-384",
  "P-521",
  "X448",
];

/** True when `name` can be imported, seals, and opens what it sealed (RFC 5116 §2: empty inputs allowed). */
async function aeadWorks(name: AeadName): Promise<boolean> {
  try {
    const aead = await importAead(name, new Uint8Array(aeadKeyLength(name)));
    const nonce = new Uint8Array(12);
    const aad = Uint8Array.of(23, 3, 3);
    const plaintext = Uint8Array.of(1, 2, 3);
    const sealed = await aead.seal(nonce, aad, plaintext);
    return equal(await aead.open(nonce, aad, sealed), plaintext);
  } catch {
    return false;
  }
}

/** True when a full exchange of `group` works both ways and both sides agree on the secret. */
async function groupWorks(group: GroupName): Promise<boolean> {
  try {
    const client = await startKeyExchange(group);
    const server = await respondKeyExchange(group, client.publicKey);
    return equal(await client.complete(server.publicKey), server.sharedSecret);
  } catch {
    return false;
  }
}

/**
 * Tries every AEAD and group with the platform's WebCrypto and reports those that work. Never rejects: an
 * algorithm that throws (or a missing `crypto.subtle`) is simply left out. Takes a few milliseconds; a
 * provider calls it once and caches the result.
 *
 * @example
 * ```ts
 * const { aeads, groups } = await detectCapabilities();
 * console.log(aeads.includes("ChaCha20-Poly1305"), groups.includes("X25519MLKEM768")); // true true in Deno
 * ```
 */
export async function detectCapabilities(): Promise<CryptoCapabilities> {
  const [aeadResults, groupResults] = await Promise.all([
    Promise.all(ALL_AEADS.map(aeadWorks)),
    Promise.all(ALL_GROUPS.map(groupWorks)),
  ]);
  return Object.freeze({
    aeads: Object.freeze(ALL_AEADS.filter((_, i) => aeadResults[i])),
    groups: Object.freeze(ALL_GROUPS.filter((_, i) => groupResults[i])),
  });
}
