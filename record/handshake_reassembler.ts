/**
 * Reassembly of handshake messages from records (RFC 8446 §5.1): a message may span several records, and one
 * record may carry several messages.
 *
 * @module
 */

import { concat } from "../bytes.ts";
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
 * Most records one handshake message may be spread over: a 64 KiB message fits in 4 full records (the
 * longest ClientHello in 9), and 256 still allows fragments of 256 bytes (512 for the longest ClientHello).
 * A peer cannot make us collect a message one byte per record, each kept as an object of its own.
 */
export const MAX_HANDSHAKE_FRAGMENTS = 256;

/**
 * Accumulates handshake record fragments and yields whole messages. Fragments are kept as a list and joined
 * once per complete message, so reassembly costs time linear in the bytes received.
 */
export class HandshakeReassembler {
  #chunks: Uint8Array[] = [];
  #length = 0;
  /** Records that carried a part of the message now being collected. */
  #fragments = 0;
  readonly #maxMessage: (type: number) => number;

  /** `maxMessage` gives the longest message accepted of each handshake type (default {@link defaultMaxMessage}). */
  constructor(maxMessage: number | ((type: number) => number) = defaultMaxMessage) {
    this.#maxMessage = typeof maxMessage === "number" ? () => maxMessage : maxMessage;
  }

  /** True when no partial message is held (a key change must happen on a message boundary). */
  get empty(): boolean {
    return this.#length === 0;
  }

  /**
   * Adds one handshake record's fragment. A zero-length handshake fragment is `unexpected_message` (§5.1), as
   * is a message spread over more than {@link MAX_HANDSHAKE_FRAGMENTS} records.
   */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      throw new TlsAlertError("unexpected_message", "local", "zero-length handshake record (RFC 8446 §5.1)");
    }
    if (++this.#fragments > MAX_HANDSHAKE_FRAGMENTS) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `handshake message spread over more than ${MAX_HANDSHAKE_FRAGMENTS} records`,
      );
    }
    this.#chunks.push(fragment.slice());
    this.#length += fragment.length;
  }

  /** The first `n` buffered bytes (n ≤ buffered). */
  #peek(n: number): Uint8Array {
    if (this.#chunks[0].length >= n) return this.#chunks[0];
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

  /** The next whole message, or `undefined` when more fragments are needed. */
  next(): RawHandshakeMessage | undefined {
    if (this.#length < 4) return undefined;
    const h = this.#peek(4);
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
    if (this.#length < 4 + length) return undefined;
    const all = this.#chunks.length === 1 ? this.#chunks[0] : concat(...this.#chunks);
    const raw = all.subarray(0, 4 + length);
    const rest = all.subarray(4 + length);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    this.#fragments = rest.length > 0 ? 1 : 0;
    return { type: raw[0], body: raw.subarray(4), raw };
  }
}
