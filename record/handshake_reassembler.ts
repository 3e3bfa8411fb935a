/**
 * Reassembly of handshake messages from records (RFC 8446 §5.1): a message may span several records, and one
 * record may carry several messages.
 *
 * @module
 */

import { TlsAlertError } from "../errors.ts";

/** A handshake message cut out of the stream: type, body, and header ‖ body for the transcript. */
export interface RawHandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/** Default cap on one handshake message: certificate chains are the largest (64 KiB is generous). */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 65536;
/** The handshake type of a ClientHello, which has a cap of its own (see {@link MAX_CLIENT_HELLO}). */
const CLIENT_HELLO = 1;
/**
 * Cap on a ClientHello: the longest its syntax allows (RFC 8446 §4.1.2), so that no well-formed one is
 * refused — real ClientHellos grow with post-quantum key shares, GREASE and padding, and OpenSSL and GnuTLS
 * accept this much too. legacy_version (2) + random (32) + legacy_session_id<0..32> (1 + 32) +
 * cipher_suites<2..2^16-2> (2 + 65534) + legacy_compression_methods<1..2^8-1> (1 + 255) +
 * extensions<8..2^16-1> (2 + 65535).
 */
export const MAX_CLIENT_HELLO = 2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535;

/** The default caps: {@link MAX_CLIENT_HELLO} for a ClientHello, {@link DEFAULT_MAX_HANDSHAKE_MESSAGE} else. */
export function defaultMaxMessage(type: number): number {
  return type === CLIENT_HELLO ? MAX_CLIENT_HELLO : DEFAULT_MAX_HANDSHAKE_MESSAGE;
}
/**
 * Accumulates handshake record fragments and yields whole messages. The bytes go into one buffer, so a message
 * may come in any number of records — one byte per record too (RFC 8446 §5.1 sets no limit) — at a cost
 * linear in the bytes and with no per-record state: what is held is at most one partial message (capped by
 * `maxMessage`) and the record that completes it.
 */
export class HandshakeReassembler {
  #buffer = new Uint8Array(0);
  /** The unread bytes are `#buffer[#start, #end)`. */
  #start = 0;
  #end = 0;
  readonly #maxMessage: (type: number) => number;

  /** `maxMessage` gives the longest message accepted of each handshake type (default {@link defaultMaxMessage}). */
  constructor(maxMessage: number | ((type: number) => number) = defaultMaxMessage) {
    this.#maxMessage = typeof maxMessage === "number" ? () => maxMessage : maxMessage;
  }

  /** True when no partial message is held (a key change must happen on a message boundary). */
  get empty(): boolean {
    return this.#start === this.#end;
  }

  /** Adds one handshake record's fragment. A zero-length handshake fragment is `unexpected_message` (§5.1). */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      throw new TlsAlertError("unexpected_message", "local", "zero-length handshake record (RFC 8446 §5.1)");
    }
    if (this.#end + fragment.length > this.#buffer.length) this.#makeRoom(fragment.length);
    this.#buffer.set(fragment, this.#end);
    this.#end += fragment.length;
  }

  /** Moves the unread bytes to the front, in a buffer grown (by doubling) to hold `more` bytes after them. */
  #makeRoom(more: number): void {
    const held = this.#end - this.#start;
    let size = Math.max(1024, this.#buffer.length);
    while (size < held + more) size *= 2;
    if (size === this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(size);
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
    }
    this.#start = 0;
    this.#end = held;
  }

  /** The next whole message, or `undefined` when more fragments are needed. */
  next(): RawHandshakeMessage | undefined {
    if (this.#end - this.#start < 4) return undefined;
    const h = this.#buffer.subarray(this.#start, this.#start + 4);
    const length = (h[1] << 16) | (h[2] << 8) | h[3];
    const max = this.#maxMessage(h[0]);
    if (length > max) {
      // RFC 8446 §6.2: decode_error for a length out of range — refused on the header, before the body.
      throw new TlsAlertError(
        "decode_error",
        "local",
        `handshake message of type ${h[0]} and ${length} bytes exceeds the ${max}-byte limit`,
      );
    }
    if (this.#end - this.#start < 4 + length) return undefined;
    // A copy: the buffer is reused for the next messages.
    const raw = this.#buffer.slice(this.#start, this.#start + 4 + length);
    this.#start += 4 + length;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      // A connection that received a large message does not keep its buffer for the rest of its life.
      if (this.#buffer.length > 64 * 1024) this.#buffer = new Uint8Array(0);
    }
    return { type: raw[0], body: raw.subarray(4), raw };
  }
}
