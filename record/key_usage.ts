/**
 * Limits on how many records one key may protect (RFC 8446 §5.5), and what the engine does as they near:
 *
 * - AES-GCM: "up to 2^24.5 full-size records (about 24 million) may be encrypted on a given connection while
 *   keeping a safety margin of approximately 2^-57 for Authenticated Encryption (AE) security" — per key.
 *   TLS 1.3 updates its write key (KeyUpdate, §4.6.3) after 2^23 records, a third of that; TLS 1.2, which has
 *   no KeyUpdate (and this library no renegotiation), closes the connection with close_notify after 2^24.
 * - ChaCha20-Poly1305: "the record sequence number would wrap before the safety limit is reached", so the
 *   only limit is the 2^64 sequence numbers (RFC 8446 §5.3, RFC 5246 §6.1). This library counts records in
 *   a Number, exact to 2^53 − 1, so it acts at 2^52 — unreachable in practice (2^52 full records are about 74 EB).
 *
 * On the receiving side the same AE bound covers what we accept: after `update` records under the peer's
 * key, a TLS 1.3 connection asks the peer to update (KeyUpdate with update_requested); a peer that still
 * sends more than `max` records under one key fails the connection with unexpected_message, in either
 * version.
 *
 * @module
 */

import type { AeadName } from "../crypto/provider.ts";
import { TlsAlertError, TlsError } from "../errors.ts";

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

/**
 * Counts what the current write and read keys have protected and says when to act (see the module comment).
 * The write side is counted by its record protection (its sequence number); the read side here, one record
 * at a time as the engine processes them.
 */
export class KeyUsage {
  readonly #limitsFor: (aead: AeadName) => KeyUsageLimits;
  #write: KeyUsageLimits | undefined;
  #writeTls12 = false;
  #writeActAt = Infinity;
  #read: KeyUsageLimits | undefined;
  #readTls12 = false;
  #readActAt = Infinity;
  #readRecords = 0;

  /** `limits` replaces the RFC 8446 §5.5 limits for every AEAD (tests). */
  constructor(limits?: KeyUsageLimits) {
    this.#limitsFor = limits ? () => limits : keyUsageLimits;
  }

  /** A new write key of `aead` is in use, for TLS 1.2 when `tls12`. */
  writeKey(aead: AeadName, tls12: boolean): void {
    this.#write = this.#limitsFor(aead);
    this.#writeTls12 = tls12;
    this.#writeActAt = tls12 ? this.#write.close : this.#write.update;
  }

  /** A new read key of `aead` is in use, for TLS 1.2 when `tls12`. */
  readKey(aead: AeadName, tls12: boolean): void {
    this.#read = this.#limitsFor(aead);
    this.#readTls12 = tls12;
    this.#readRecords = 0;
    this.#readActAt = tls12 ? this.#read.max + 1 : Math.min(this.#read.update, this.#read.max + 1);
  }

  /**
   * What to do before one more record is sealed under a write key that sealed `sealed` so far: nothing,
   * `"update"` the key (TLS 1.3), or `"close"` the connection (TLS 1.2, then throw {@link closedError}).
   */
  beforeSeal(sealed: number): "update" | "close" | undefined {
    if (sealed < this.#writeActAt) return undefined;
    return this.#writeTls12 ? "close" : "update";
  }

  /** Why a TLS 1.2 connection was closed by {@link beforeSeal}. */
  closedError(): TlsError {
    return new TlsError(
      `connection closed: its TLS 1.2 write key protected ${this.#write?.close} records, the most this ` +
        "library seals under one key (RFC 8446 §5.5); TLS 1.2 cannot update keys, open a new connection",
    );
  }

  /**
   * Counts one record opened under the read key. Returns `"request"` once per key when a TLS 1.3 peer's key
   * reached `update` records (ask it to update); throws unexpected_message past `max`.
   */
  opened(): "request" | undefined {
    if (++this.#readRecords < this.#readActAt) return undefined;
    const { max } = this.#read!;
    if (this.#readRecords > max) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `the peer sent more than ${max} records under one key (RFC 8446 §5.5)`,
      );
    }
    this.#readActAt = max + 1;
    return this.#readTls12 ? undefined : "request";
  }
}

/**
 * The record layer installs application traffic secrets strictly in order (RFC 8446 §7.2): generation
 * `current` + 1 only, and only when `allowed` (a connected TLS 1.3 engine). Anything else would reuse or
 * skip a key: internal_error.
 */
export function checkNextGeneration(
  direction: string,
  current: number,
  next: number,
  allowed: boolean,
): void {
  if (!allowed || next !== current + 1) {
    throw new TlsAlertError(
      "internal_error",
      "local",
      `${direction} key generation ${next} cannot follow generation ${current}`,
    );
  }
}
