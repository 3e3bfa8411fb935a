/**
 * Limits on how many records one key may protect (RFC 8446 §5.5), and what the engine does as they near:
 *
 * - AES-GCM: "up to 2^24.5 full-size records (about 24 million) may be encrypted on a given connection while
 *   keeping a safety margin of approximately 2^-57 for Authenticated Encryption (AE) security" — per key.
 *   TLS 1.3 updates its write key (KeyUpdate, §4.6.3) after 2^23 records, a third of that; TLS 1.2, which has
 *   no KeyUpdate (and this library no renegotiation), closes the connection with close_notify after 2^24.
 * - ChaCha20-Poly1305: "the record sequence number would wrap before the safety limit is reached", so the
 *   only limit is the 2^64 sequence numbers (RFC 8446 §5.3, RFC 5246 §6.1). This library counts records in
 *   a Number, exact to 2^53 − 1, so it acts at 2^52 — unreachable in practice (2^52 records are ~70 EB).
 *
 * On the receiving side the same AE bound covers what we accept: after `update` records under the peer's
 * key, a TLS 1.3 connection asks the peer to update (KeyUpdate with update_requested); a peer that still
 * sends more than `max` records under one key fails the connection with unexpected_message, in either
 * version.
 *
 * @module
 */

import type { AeadName } from "../crypto/provider.ts";

/** Record counts per key at which the engine acts. */
export interface KeyUsageLimits {
  /** TLS 1.3: records sealed under a write key before it is updated, and read before asking the peer to. */
  readonly update: number;
  /** TLS 1.2: records sealed under the write key before the connection closes (close_notify). */
  readonly close: number;
  /** Records accepted under one of the peer's keys; the next one fails the connection. */
  readonly max: number;
}

/** AES-GCM: the RFC 8446 §5.5 limit is 2^24.5 full-size records per key. */
const AES_GCM: KeyUsageLimits = {
  update: 2 ** 23,
  close: 2 ** 24,
  max: Math.floor(2 ** 24.5), // 23 726 566
};

/** ChaCha20-Poly1305: only the sequence number limits it; our counters are exact to 2^53 − 1. */
const CHACHA20_POLY1305: KeyUsageLimits = {
  update: 2 ** 52,
  close: 2 ** 52,
  max: 2 ** 53 - 2,
};

/** The key-usage limits of `aead` (RFC 8446 §5.5). */
export function keyUsageLimits(aead: AeadName): KeyUsageLimits {
  return aead === "ChaCha20-Poly1305" ? CHACHA20_POLY1305 : AES_GCM;
}
