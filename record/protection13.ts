/**
 * TLS 1.3 record protection (RFC 8446 §5.2–§5.4): the per-record nonce from the sequence number, the inner
 * plaintext with its real content type and zero padding, and the limits on what a peer may send.
 *
 * The sequence number (and so the nonce) is fixed synchronously when `seal`/`open` is called, so several
 * records' AEAD operations can be in flight at once while their order stays the call order.
 *
 * @module
 */

import { type Aead, AeadDecryptError } from "../crypto/provider.ts";
import { TlsAlertError } from "../errors.ts";
import { ContentType, HEADER_LENGTH, MAX_PLAINTEXT, recordHeader, type TlsRecord } from "./framing.ts";

const TAG_LENGTH = 16;
const LEGACY_RECORD_VERSION = 0x0303;

/** A decrypted TLS 1.3 record: its real content type and content. */
export interface InnerPlaintext {
  readonly type: number;
  readonly content: Uint8Array;
}

/** The per-record nonce: the IV XOR the 64-bit sequence number, left-padded (RFC 8446 §5.3). */
export function recordNonce(iv: Uint8Array, seq: bigint): Uint8Array {
  return xorSequence(iv, Number(seq >> 32n), Number(seq & 0xffffffffn));
}

/** `iv` XOR the 64-bit sequence number `high`·2^32 + `low` in its last 8 bytes (no BigInt per record). */
function xorSequence(iv: Uint8Array, high: number, low: number): Uint8Array {
  const nonce = iv.slice();
  const n = nonce.length;
  nonce[n - 1] ^= low & 0xff;
  nonce[n - 2] ^= (low >>> 8) & 0xff;
  nonce[n - 3] ^= (low >>> 16) & 0xff;
  nonce[n - 4] ^= low >>> 24;
  nonce[n - 5] ^= high & 0xff;
  nonce[n - 6] ^= (high >>> 8) & 0xff;
  nonce[n - 7] ^= (high >>> 16) & 0xff;
  nonce[n - 8] ^= high >>> 24;
  return nonce;
}

/** 2^32, to split a sequence number into its high and low 32-bit words. */
const TWO_POW_32 = 0x100000000;

/** The imported key and IV of one traffic secret (RFC 8446 §7.3). */
export interface TrafficKey {
  readonly aead: Aead;
  readonly iv: Uint8Array;
}

/**
 * One direction's record protection for one traffic secret (one key epoch). It may be made before its key
 * is ready (from a promise of it): a record sealed or opened meanwhile takes its sequence number at once and
 * waits for the key, so that the engine switches keys in one synchronous step — nothing queued after a
 * KeyUpdate can go out under the old key, and no two key changes can interleave (RFC 8446 §4.6.3, §5.3).
 */
export class Tls13RecordProtection {
  /** The key once it is ready (records then skip the wait). */
  #key: TrafficKey | undefined;
  readonly #ready: Promise<TrafficKey>;
  /** A Number, not a BigInt: per-record arithmetic stays cheap, and 2^53 records are never reached. */
  #seq = 0;

  /** Protection under `aead` and `iv`, or under the key `aead` resolves to. */
  constructor(aead: Aead, iv: Uint8Array);
  constructor(key: Promise<TrafficKey>);
  constructor(aead: Aead | Promise<TrafficKey>, iv?: Uint8Array) {
    if (aead instanceof Promise) {
      this.#ready = aead.then((key) => this.#key = key);
      // Whoever installed the key awaits `ready`; records sealed under a key that failed fail on their own.
      this.#ready.catch(() => {});
    } else {
      this.#key = { aead, iv: iv! };
      this.#ready = Promise.resolve(this.#key);
    }
  }

  /** Settles when the key is ready (rejects when it could not be made). */
  get ready(): Promise<void> {
    return this.#ready.then(() => {});
  }

  /** Records protected (or opened) so far in this epoch. */
  get sequenceNumber(): bigint {
    return BigInt(this.#seq);
  }

  /** Records protected (or opened) so far in this epoch, as a number. */
  get records(): number {
    return this.#seq;
  }

  #nextSequence(): number {
    // RFC 8446 §5.3: the sequence number must not wrap; a key update is required long before. We stop at
    // 2^53 − 1 records, the last exactly representable one (centuries of traffic), well before 2^64.
    if (this.#seq >= Number.MAX_SAFE_INTEGER) {
      throw new TlsAlertError("internal_error", "local", "record sequence number exhausted");
    }
    return this.#seq++;
  }

  /** The AEAD operation `use` under this epoch's key at sequence number `seq`, once the key is ready. */
  #withKey<T>(seq: number, use: (aead: Aead, nonce: Uint8Array) => Promise<T>): Promise<T> {
    const nonce = (key: TrafficKey) => xorSequence(key.iv, Math.floor(seq / TWO_POW_32), seq >>> 0);
    const key = this.#key;
    if (key) return use(key.aead, nonce(key));
    return this.#ready.then((key) => use(key.aead, nonce(key)));
  }

  /**
   * Protects `content` of real type `type` into a whole TLSCiphertext record (header included).
   * `content` must be at most 2^14 bytes; `padding` zero bytes are added inside the encryption.
   */
  seal(type: number, content: Uint8Array, padding = 0): Promise<Uint8Array> {
    if (content.length + padding + 1 > MAX_PLAINTEXT + 1) {
      throw new RangeError("record content larger than 2^14 bytes");
    }
    const inner = new Uint8Array(content.length + 1 + padding);
    inner.set(content, 0);
    inner[content.length] = type;
    const length = inner.length + TAG_LENGTH;
    const header = recordHeader(ContentType.application_data, LEGACY_RECORD_VERSION, length);
    const seq = this.#nextSequence();
    return this.#withKey(seq, (aead, nonce) => aead.seal(nonce, header, inner)).then((ciphertext) => {
      const record = new Uint8Array(HEADER_LENGTH + ciphertext.length);
      record.set(header, 0);
      record.set(ciphertext, HEADER_LENGTH);
      return record;
    });
  }

  /**
   * Removes protection from a received `application_data` record. Throws `TlsAlertError` with
   * `bad_record_mac` when authentication fails, `record_overflow` for an inner plaintext over 2^14 bytes, and
   * `unexpected_message` for an inner plaintext that is all padding (RFC 8446 §5.2, §5.4).
   */
  async open(record: TlsRecord): Promise<InnerPlaintext> {
    // A record of just a tag may authenticate: its empty inner plaintext is then unexpected_message (§5.4).
    if (record.fragment.length < TAG_LENGTH) {
      throw new TlsAlertError("bad_record_mac", "local", "protected record too short");
    }
    const seq = this.#nextSequence();
    let inner: Uint8Array;
    try {
      inner = await this.#withKey(seq, (aead, nonce) => aead.open(nonce, record.header, record.fragment));
    } catch (e) {
      if (e instanceof AeadDecryptError) {
        throw new TlsAlertError("bad_record_mac", "local", "record failed authentication (RFC 8446 §5.2)");
      }
      throw e;
    }
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        "protected record has no content type (RFC 8446 §5.4)",
      );
    }
    // RFC 8446 §5.4: content, type and padding together (TLSInnerPlaintext) are at most 2^14 + 1 bytes.
    if (end > MAX_PLAINTEXT || inner.length > MAX_PLAINTEXT + 1) {
      throw new TlsAlertError(
        "record_overflow",
        "local",
        "inner plaintext exceeds 2^14 + 1 bytes (RFC 8446 §5.4)",
      );
    }
    return { type: inner[end], content: inner.subarray(0, end) };
  }

  /**
   * Whether `record` authenticates under the next sequence number, which is not consumed: the trial
   * decryption by which a server skips early data it did not accept (RFC 8446 §4.2.10). Only while no other
   * open is in flight.
   */
  async authenticates(record: TlsRecord): Promise<boolean> {
    if (record.fragment.length < TAG_LENGTH) return false;
    try {
      await this.#withKey(this.#seq, (aead, nonce) => aead.open(nonce, record.header, record.fragment));
      return true;
    } catch (e) {
      if (e instanceof AeadDecryptError) return false;
      throw e;
    }
  }
}
