/**
 * The byte transports a TLS connection can run over: a `Deno.Conn`, or any pair of web streams.
 *
 * @module
 */

import { TlsError } from "../errors.ts";

/** A readable/writable pair of byte streams, e.g. from a WebSocket or two in-memory queues. */
export interface StreamPair {
  /** The bytes from the peer; its end is the peer's end of stream. */
  readonly readable: ReadableStream<Uint8Array>;
  /** The bytes to the peer; closing it is the half-close of `closeWrite()`. */
  readonly writable: WritableStream<Uint8Array>;
}

/** The minimal byte pipe the connection adapter needs. */
export interface ByteTransport {
  /** The next chunk, or `null` at end of stream. */
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
  /** Half-closes the sending side. */
  closeWrite(): Promise<void>;
  /**
   * Closes both directions; never throws. Bytes already written still go out, unless `abortive`: then a
   * stream pair's writable is aborted (a `Deno.Conn` can only be closed).
   */
  close(abortive?: boolean): void;
  readonly conn?: Deno.Conn;
}

/** Size of the first read buffer: enough for a handshake flight, small for an idle connection's pending read. */
const MIN_READ_SIZE = 8 * 1024;
/** Largest read buffer: 16 full records, whose AEAD opens then run together. */
const MAX_READ_SIZE = 256 * 1024;

/**
 * Read buffers sized by what the reads return: a read that fills the buffer doubles the next one (bulk
 * transfer), one that uses less than a quarter shrinks it (an idle connection keeps a small pending read).
 * A small result is copied out and its buffer reused; a large one is handed out as is.
 */
export class ReadBuffers {
  #size = MIN_READ_SIZE;
  #spare: Uint8Array<ArrayBuffer> | undefined;

  /** The buffer for the next read. */
  take(): Uint8Array<ArrayBuffer> {
    const spare = this.#spare;
    this.#spare = undefined;
    return spare && spare.length === this.#size ? spare : new Uint8Array(this.#size);
  }

  /** The `n` bytes read into `buf` (from {@link take}), as a view the caller may keep. */
  filled(buf: Uint8Array<ArrayBuffer>, n: number): Uint8Array {
    if (n >= buf.length) {
      this.#size = Math.min(MAX_READ_SIZE, buf.length * 2);
    } else if (n < buf.length / 4) {
      this.#size = Math.max(MIN_READ_SIZE, buf.length / 4);
    }
    if (n > buf.length / 4) return buf.subarray(0, n);
    this.#spare = buf;
    return buf.slice(0, n);
  }
}

function isDenoConn(t: Deno.Conn | StreamPair): t is Deno.Conn {
  return typeof (t as Deno.Conn).read === "function" && typeof (t as Deno.Conn).closeWrite === "function";
}

/** Wraps a `Deno.Conn` (read/write directly, without stream overhead) or a stream pair. */
export function toByteTransport(t: Deno.Conn | StreamPair): ByteTransport {
  if (isDenoConn(t)) {
    let closed = false;
    const buffers = new ReadBuffers();
    return {
      conn: t,
      async read() {
        const buf = buffers.take();
        let n: number | null;
        try {
          n = await t.read(buf);
        } catch (e) {
          if (closed || e instanceof Deno.errors.BadResource) return null;
          throw e;
        }
        return n === null ? null : buffers.filled(buf, n);
      },
      async write(bytes) {
        let offset = 0;
        while (offset < bytes.length) offset += await t.write(bytes.subarray(offset));
      },
      async closeWrite() {
        await t.closeWrite();
      },
      close() {
        if (closed) return;
        closed = true;
        try {
          t.close();
        } catch {
          // already closed
        }
      },
    };
  }
  const reader = t.readable.getReader();
  const writer = t.writable.getWriter();
  let closed = false;
  // What the other end of the pair sees as the reason, rather than `undefined`.
  const reason = new TlsError("the TLS connection closed its transport");
  return {
    async read() {
      const { value, done } = await reader.read();
      return done ? null : value;
    },
    write(bytes) {
      return writer.write(bytes);
    },
    async closeWrite() {
      await writer.close();
    },
    close(abortive = false) {
      if (closed) return;
      closed = true;
      reader.cancel(reason).catch(() => {});
      // Closing (not aborting) lets records already written, such as a final alert, reach the peer.
      if (abortive) writer.abort(reason).catch(() => {});
      else writer.close().catch(() => writer.abort(reason).catch(() => {}));
    },
  };
}
