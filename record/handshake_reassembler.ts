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

/** Accumulates handshake record fragments and yields whole messages. */
export class HandshakeReassembler {
  #buffer = new Uint8Array(0);
  readonly #maxMessage: number;

  constructor(maxMessage = DEFAULT_MAX_HANDSHAKE_MESSAGE) {
    this.#maxMessage = maxMessage;
  }

  /** True when no partial message is held (a key change must happen on a message boundary). */
  get empty(): boolean {
    return this.#buffer.length === 0;
  }

  /** Adds one handshake record's fragment. A zero-length handshake fragment is `unexpected_message` (§5.1). */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      throw new TlsAlertError("unexpected_message", "local", "zero-length handshake record (RFC 8446 §5.1)");
    }
    if (this.#buffer.length === 0) {
      this.#buffer = fragment.slice();
      return;
    }
    const next = new Uint8Array(this.#buffer.length + fragment.length);
    next.set(this.#buffer, 0);
    next.set(fragment, this.#buffer.length);
    this.#buffer = next;
  }

  /** The next whole message, or `undefined` when more fragments are needed. */
  next(): RawHandshakeMessage | undefined {
    if (this.#buffer.length < 4) return undefined;
    const b = this.#buffer;
    const length = (b[1] << 16) | (b[2] << 8) | b[3];
    if (length > this.#maxMessage) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `handshake message of ${length} bytes exceeds the ${this.#maxMessage}-byte limit`,
      );
    }
    if (b.length < 4 + length) return undefined;
    const raw = b.subarray(0, 4 + length);
    this.#buffer = b.subarray(4 + length);
    if (this.#buffer.length === 0) this.#buffer = new Uint8Array(0);
    return { type: raw[0], body: raw.subarray(4), raw };
  }
}
