/**
 * `--trace`: every TLS record in both directions, read off a copy of the bytes as they pass. The record
 * header (RFC 8446 §5.1) gives type, version and length; a plaintext handshake record is opened far enough
 * to name its messages (RFC 8446 §4), a plaintext alert to name its description (§6). Encrypted records
 * (TLS 1.3 hides the real type inside) are shown as such here; `decrypt.ts` opens those of the probe's own
 * connection afterwards, with the secrets of its key log.
 *
 * @module
 */

import { alertName } from "../errors.ts";
import { HandshakeType, HELLO_RETRY_REQUEST_RANDOM } from "../handshake/constants.ts";

/** Which way a record went: `sent` by the probe (the client) or `received` from the server. */
export type Direction = "sent" | "received";

/** One record as the trace shows it. */
export interface TraceRecord {
  /** Which way it went. */
  readonly direction: Direction;
  /** Milliseconds since the TCP connection was established, when the chunk holding the record's end passed. */
  readonly timeMs: number;
  /** The record's content type (RFC 8446 §5.1), e.g. 22 for handshake. */
  readonly contentType: number;
  /** `handshake`, `alert`, `change_cipher_spec`, `application_data` or `unknown(N)`. */
  readonly contentTypeName: string;
  /** The legacy record version, e.g. `0x0303`. */
  readonly version: string;
  /** The fragment length. */
  readonly length: number;
  /** The 5-byte header. */
  readonly header: Uint8Array;
  /** The first {@link HEAD_BYTES} bytes of the fragment. */
  readonly head: Uint8Array;
  /**
   * What the record carries: handshake message names, an alert, or "encrypted" — for the probe's own TLS 1.3
   * connection, what the decrypted record carried (`"encrypted handshake: Certificate"`).
   */
  readonly summary: string;
}

/** How many fragment bytes each record shows. */
export const HEAD_BYTES = 32;

const CONTENT_TYPES: Readonly<Record<number, string>> = {
  20: "change_cipher_spec",
  21: "alert",
  22: "handshake",
  23: "application_data",
};

const HANDSHAKE_NAMES = new Map<number, string>(
  Object.entries(HandshakeType).map(([name, code]) => [
    code,
    name.split("_").map((w) => w[0].toUpperCase() + w.slice(1)).join(""),
  ]),
);

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * What both directions' tracers learn from the ServerHello: the version, which decides whether a
 * ChangeCipherSpec switches its sender to encrypted records (TLS 1.2, RFC 5246 §7.1) or is a no-op kept
 * for middleboxes (TLS 1.3, RFC 8446 §D.4).
 */
export interface TraceSession {
  /** Set once the ServerHello has been seen. */
  version?: "TLSv1.2" | "TLSv1.3";
}

/** supported_versions (RFC 8446 §4.2.1) in a ServerHello body says TLS 1.3; without it, TLS 1.2 or older. */
function serverHelloVersion(body: Uint8Array): "TLSv1.2" | "TLSv1.3" | undefined {
  let offset = 2 + 32; // legacy_version, random
  if (offset >= body.length) return undefined;
  offset += 1 + body[offset]; // legacy_session_id_echo
  offset += 2 + 1; // cipher_suite, legacy_compression_method
  if (offset + 2 > body.length) return "TLSv1.2"; // no extensions at all
  const end = Math.min(body.length, offset + 2 + ((body[offset] << 8) | body[offset + 1]));
  for (offset += 2; offset + 4 <= end;) {
    const type = (body[offset] << 8) | body[offset + 1];
    const length = (body[offset + 2] << 8) | body[offset + 3];
    if (type === 43 && length === 2 && body[offset + 4] === 3 && body[offset + 5] === 4) return "TLSv1.3";
    offset += 4 + length;
  }
  return "TLSv1.2";
}

/** One record as it passed, whole: what {@link RecordTracer} describes and `decrypt.ts` opens. */
export interface RawRecord {
  /** Which way it went. */
  readonly direction: Direction;
  /** Milliseconds since the TCP connection was established, when the chunk holding the record's end passed. */
  readonly timeMs: number;
  /** The 5-byte header. */
  readonly header: Uint8Array;
  /** The fragment. */
  readonly fragment: Uint8Array;
}

/** Splits one direction's byte stream into records (RFC 8446 §5.1), however the chunks cut them. */
export class RecordSplitter {
  readonly #direction: Direction;
  #buffer = new Uint8Array(0);

  /** A splitter for the bytes that went `direction`. */
  constructor(direction: Direction) {
    this.#direction = direction;
  }

  /** Adds a chunk as it passed at `timeMs`; returns the records it completed. */
  push(chunk: Uint8Array, timeMs: number): RawRecord[] {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    const out: RawRecord[] = [];
    let offset = 0;
    while (joined.length - offset >= 5) {
      const length = (joined[offset + 3] << 8) | joined[offset + 4];
      if (joined.length - offset < 5 + length) break;
      out.push({
        direction: this.#direction,
        timeMs,
        header: joined.slice(offset, offset + 5),
        fragment: joined.slice(offset + 5, offset + 5 + length),
      });
      offset += 5 + length;
    }
    this.#buffer = joined.slice(offset);
    return out;
  }
}

/** A handshake message, whole. */
export interface HandshakeMessageSeen {
  /** The HandshakeType (RFC 8446 §4). */
  readonly type: number;
  /** The message body, without its 4-byte header. */
  readonly body: Uint8Array;
}

/** Handshake messages larger than this are named but not kept (a certificate chain fits many times). */
const MAX_KEPT_MESSAGE = 1 << 20;

/**
 * One direction's handshake messages, from the contents of the records that carry them (plaintext, or
 * decrypted): messages may span records and records may hold several (RFC 8446 §5.1). It names the messages
 * that start in each record and gives back the messages it completes.
 */
export class HandshakeStream {
  /** The start of a message whose end is still to come. */
  #pending = new Uint8Array(0);
  /** Whether the pending message was named already (its header had arrived). */
  #pendingNamed = false;
  /** Bytes of a message too large to keep, still to skip. */
  #skipping = 0;

  /** The names of the messages that start in `content`, and the messages it completes. */
  push(content: Uint8Array): { names: string[]; messages: HandshakeMessageSeen[] } {
    const names: string[] = [];
    const messages: HandshakeMessageSeen[] = [];
    let data = content;
    if (this.#skipping > 0) {
      const skipped = Math.min(this.#skipping, data.length);
      this.#skipping -= skipped;
      data = data.subarray(skipped);
      names.push("(continued)");
    }
    const carried = this.#pending.length;
    if (carried > 0 && this.#pendingNamed) names.push("(continued)");
    const buffer = new Uint8Array(carried + data.length);
    buffer.set(this.#pending);
    buffer.set(data, carried);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const type = buffer[offset];
      const length = (buffer[offset + 1] << 16) | (buffer[offset + 2] << 8) | buffer[offset + 3];
      const available = buffer.length - offset - 4;
      // Named in the record where its header is complete.
      const nameHere = offset >= carried || !this.#pendingNamed;
      const name = handshakeName(type, buffer.subarray(offset + 4, offset + 4 + length));
      if (length > available) {
        if (nameHere) names.push(`${name} (${available} of ${length} bytes, continues in the next record)`);
        if (length > MAX_KEPT_MESSAGE) {
          this.#skipping = length - available;
          this.#pending = new Uint8Array(0);
          return { names, messages };
        }
        break;
      }
      if (nameHere) names.push(name);
      messages.push({ type, body: buffer.slice(offset + 4, offset + 4 + length) });
      offset += 4 + length;
    }
    this.#pending = buffer.slice(offset);
    this.#pendingNamed = this.#pending.length >= 4;
    return { names: [...new Set(names)], messages };
  }
}

/** The name of a handshake message; a ServerHello with the fixed random of RFC 8446 §4.1.3 is a HelloRetryRequest. */
function handshakeName(type: number, body: Uint8Array): string {
  if (type === HandshakeType.server_hello && equalBytes(body.subarray(2, 34), HELLO_RETRY_REQUEST_RANDOM)) {
    return "HelloRetryRequest";
  }
  return HANDSHAKE_NAMES.get(type) ?? `unknown handshake type ${type}`;
}

/** Describes records as `--trace` shows them, one direction per tracer, from plaintext alone. */
export class RecordTracer {
  readonly #direction: Direction;
  readonly #session: TraceSession;
  readonly #splitter: RecordSplitter;
  readonly #handshake = new HandshakeStream();
  /** True once this direction's records are protected, so their contents cannot be read. */
  #encrypted = false;

  /** A tracer for `direction`; the two directions of one connection share `session`. */
  constructor(direction: Direction, session: TraceSession = {}) {
    this.#direction = direction;
    this.#session = session;
    this.#splitter = new RecordSplitter(direction);
  }

  /** Adds a chunk as it passed at `timeMs`; returns the records it completed. */
  push(chunk: Uint8Array, timeMs: number): TraceRecord[] {
    return this.#splitter.push(chunk, timeMs).map((r) => this.describe(r));
  }

  /** The trace line of one record of this tracer's direction (records must come in order). */
  describe(record: RawRecord): TraceRecord {
    const { header, fragment } = record;
    const type = header[0];
    let summary = "";
    if (type === 22) {
      if (this.#encrypted) {
        summary = "encrypted handshake (Finished)";
      } else {
        const { names, messages } = this.#handshake.push(fragment);
        summary = names.join(", ");
        for (const m of messages) {
          if (m.type === HandshakeType.server_hello) this.#session.version ??= serverHelloVersion(m.body);
        }
      }
    } else if (type === 21) {
      summary = this.#encrypted || fragment.length !== 2
        ? "encrypted alert"
        : `${fragment[0] === 1 ? "warning" : "fatal"} ${alertName(fragment[1])}`;
    } else if (type === 20) {
      if (this.#session.version === "TLSv1.3") {
        summary = "ChangeCipherSpec (middlebox compatibility, ignored by TLS 1.3)";
      } else {
        summary = "ChangeCipherSpec (records from here on are encrypted)";
        this.#encrypted = true;
      }
    } else if (type === 23) {
      summary = "encrypted";
      this.#encrypted = true;
    }
    return {
      direction: this.#direction,
      timeMs: record.timeMs,
      contentType: type,
      contentTypeName: CONTENT_TYPES[type] ?? `unknown(${type})`,
      version: "0x" + ((header[1] << 8) | header[2]).toString(16).padStart(4, "0"),
      length: fragment.length,
      header,
      head: fragment.slice(0, HEAD_BYTES),
      summary,
    };
  }
}

/** Called for every chunk that passes the tap, in either direction. */
export type ChunkObserver = (direction: Direction, chunk: Uint8Array) => void;

/** A stream pair over a TCP connection that reports each chunk, and how to wait for its write side to end. */
export interface TappedConnection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when the write side was closed or aborted (the final records are then on the wire). */
  readonly writeDone: Promise<void>;
}

/**
 * Wraps a TCP connection as a `{ readable, writable }` pair for `startTls`, with a TransformStream in each
 * direction that shows every chunk to `observe` (a copy: the observer may keep it) before passing it on.
 * `writeDone` resolves only after every chunk written before the close has reached the socket, so the caller
 * closes the socket after it without cutting off a final close_notify.
 */
export function tapConnection(tcp: Deno.Conn, observe: ChunkObserver): TappedConnection {
  const tap = (direction: Direction) =>
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        observe(direction, chunk.slice());
        controller.enqueue(chunk);
      },
    });
  const { promise: writeDone, resolve: endWrite } = Promise.withResolvers<void>();
  // highWaterMark 0: the socket is read only when the TLS connection asks for bytes.
  const fromSocket = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(16 * 1024);
      let n: number | null;
      try {
        n = await tcp.read(buf);
      } catch (e) {
        controller.error(e);
        return;
      }
      try {
        if (n === null) controller.close();
        else controller.enqueue(buf.subarray(0, n));
      } catch {
        // the stream was cancelled while the read was pending
      }
    },
  }, { highWaterMark: 0 });
  const outgoing = tap("sent");
  const toSocket = outgoing.readable.getReader();
  (async () => {
    try {
      for (let r = await toSocket.read(); !r.done; r = await toSocket.read()) {
        for (let off = 0; off < r.value.length;) off += await tcp.write(r.value.subarray(off));
      }
    } catch {
      // the socket was closed under us; the TLS connection reports its own error
    } finally {
      endWrite();
    }
  })();
  return { readable: fromSocket.pipeThrough(tap("received")), writable: outgoing.writable, writeDone };
}

/** `bytes` as spaced hex pairs, e.g. `16 03 01 02 00`. */
export function spacedHex(bytes: Uint8Array): string {
  return (bytes.toHex().match(/../g) ?? []).join(" ");
}
