/**
 * The byte transports a TLS connection can run over: a `Deno.Conn`, or any pair of web streams.
 *
 * @module
 */

/** A readable/writable pair of byte streams, e.g. from a WebSocket or two in-memory queues. */
export interface StreamPair {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** The minimal byte pipe the connection adapter needs. */
export interface ByteTransport {
  /** The next chunk, or `null` at end of stream. */
  read(): Promise<Uint8Array | null>;
  write(bytes: Uint8Array): Promise<void>;
  /** Half-closes the sending side. */
  closeWrite(): Promise<void>;
  /** Closes both directions; never throws. */
  close(): void;
  readonly conn?: Deno.Conn;
}

const READ_SIZE = 64 * 1024;

function isDenoConn(t: Deno.Conn | StreamPair): t is Deno.Conn {
  return typeof (t as Deno.Conn).read === "function" && typeof (t as Deno.Conn).closeWrite === "function";
}

/** Wraps a `Deno.Conn` (read/write directly, without stream overhead) or a stream pair. */
export function toByteTransport(t: Deno.Conn | StreamPair): ByteTransport {
  if (isDenoConn(t)) {
    let closed = false;
    return {
      conn: t,
      async read() {
        const buf = new Uint8Array(READ_SIZE);
        let n: number | null;
        try {
          n = await t.read(buf);
        } catch (e) {
          if (closed || e instanceof Deno.errors.BadResource) return null;
          throw e;
        }
        return n === null ? null : buf.subarray(0, n);
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
    close() {
      if (closed) return;
      closed = true;
      reader.cancel().catch(() => {});
      // Closing (not aborting) lets records already written, such as a final alert, reach the peer.
      writer.close().catch(() => writer.abort().catch(() => {}));
    },
  };
}
