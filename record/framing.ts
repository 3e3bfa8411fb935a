/**
 * TLS record framing (RFC 8446 §5.1, RFC 5246 §6.2): the 5-byte header, a reader that splits a byte stream into
 * records, and the limits a peer cannot push past.
 *
 * @module
 */

import { TlsAlertError } from "../errors.ts";

/** Record content types (RFC 8446 §5.1). */
export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** Largest plaintext fragment: 2^14 bytes (RFC 8446 §5.1). */
export const MAX_PLAINTEXT = 16384;
/** Largest TLS 1.3 ciphertext: 2^14 + 256 bytes (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT_TLS13 = 16384 + 256;
/** Largest TLS 1.2 ciphertext: 2^14 + 2048 bytes (RFC 5246 §6.2.3). */
export const MAX_CIPHERTEXT_TLS12 = 16384 + 2048;
/** Size of the record header. */
export const HEADER_LENGTH = 5;

/** One record as read from the wire. */
export interface TlsRecord {
  readonly type: number;
  readonly version: number;
  /** The 5-byte header, used as additional data by TLS 1.3 record protection. */
  readonly header: Uint8Array;
  readonly fragment: Uint8Array;
}

/** Builds a record header. */
export function recordHeader(type: number, version: number, length: number): Uint8Array {
  const header = new Uint8Array(HEADER_LENGTH);
  header[0] = type;
  header[1] = version >> 8;
  header[2] = version & 0xff;
  header[3] = length >> 8;
  header[4] = length & 0xff;
  return header;
}

/** Builds a whole record (header ‖ fragment). */
export function encodeRecord(type: number, version: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + fragment.length);
  out.set(recordHeader(type, version, fragment.length), 0);
  out.set(fragment, HEADER_LENGTH);
  return out;
}

/**
 * Splits incoming bytes into records. It holds at most one partial record, so the buffer a peer can grow is
 * bounded by `maxRecordLength` + header.
 */
export class RecordReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Largest fragment accepted; a longer one is `record_overflow` (RFC 8446 §5.2). */
  maxFragmentLength: number;

  constructor(maxFragmentLength = MAX_CIPHERTEXT_TLS13) {
    this.maxFragmentLength = maxFragmentLength;
  }

  /** Bytes received but not yet returned as records. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Adds bytes from the transport. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
  }

  #peek(n: number): Uint8Array {
    if (this.#chunks[0].length >= n) return this.#chunks[0].subarray(0, n);
    const out = new Uint8Array(n);
    let offset = 0;
    for (const c of this.#chunks) {
      const take = Math.min(c.length, n - offset);
      out.set(c.subarray(0, take), offset);
      offset += take;
      if (offset === n) break;
    }
    return out;
  }

  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      // Whole chunks are dropped with one splice, so a record that came in many tiny reads costs linear time.
      out = new Uint8Array(n);
      let offset = 0;
      let used = 0;
      while (offset < n) {
        const c = this.#chunks[used];
        const take = Math.min(c.length, n - offset);
        out.set(c.subarray(0, take), offset);
        offset += take;
        if (take === c.length) used++;
        else this.#chunks[used] = c.subarray(take);
      }
      this.#chunks.splice(0, used);
    }
    this.#buffered -= n;
    return out;
  }

  /**
   * The next complete record, or `undefined` when more bytes are needed. Throws `TlsAlertError` for a header
   * that cannot be a TLS record (`unexpected_message`/`decode_error`) or an over-long one (`record_overflow`).
   */
  next(): TlsRecord | undefined {
    if (this.#buffered < HEADER_LENGTH) return undefined;
    const header = this.#peek(HEADER_LENGTH);
    const type = header[0];
    const version = (header[1] << 8) | header[2];
    const length = (header[3] << 8) | header[4];
    if (
      type !== ContentType.change_cipher_spec && type !== ContentType.alert &&
      type !== ContentType.handshake && type !== ContentType.application_data
    ) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `record of unknown content type ${type} (RFC 8446 §5)`,
      );
    }
    if (header[1] !== 3) {
      throw new TlsAlertError("decode_error", "local", `record with version 0x${version.toString(16)}`);
    }
    if (length > this.maxFragmentLength) {
      throw new TlsAlertError(
        "record_overflow",
        "local",
        `record of ${length} bytes exceeds the ${this.maxFragmentLength}-byte limit (RFC 8446 §5.2)`,
      );
    }
    if (this.#buffered < HEADER_LENGTH + length) return undefined;
    const whole = this.#take(HEADER_LENGTH + length);
    return {
      type,
      version,
      header: whole.subarray(0, HEADER_LENGTH),
      fragment: whole.subarray(HEADER_LENGTH),
    };
  }
}
