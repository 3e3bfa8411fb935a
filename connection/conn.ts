/**
 * `TlsConn`: the `Deno.Conn`-compatible secure connection. This adapter is the only code that does I/O: it
 * moves bytes between the transport and the sans-I/O engine.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import { TlsError } from "../errors.ts";
import type { TlsHandshakeInfo } from "../handshake/context.ts";
import type { TlsEngine } from "./engine.ts";
import type { ByteTransport } from "./transport.ts";

/** Bytes sealed per step of a large write: 16 full records in flight at once. */
const WRITE_WINDOW = 16 * 16384;
/**
 * Bytes that writes may leave queued (being sealed, or sealed and waiting for the transport) before a write
 * waits for the transport. Below it a write returns once its records are queued, as a socket write returns
 * once the kernel has the bytes: a transport that buffers nothing (a bare `TransformStream` pair) does not
 * block a writer whose peer reads later, and memory per connection stays bounded.
 */
const WRITE_BEHIND = 512 * 1024;
const UNKNOWN_ADDR: Deno.NetAddr = { transport: "tcp", hostname: "0.0.0.0", port: 0 };

/**
 * A TLS connection, client or server side (from `connectTls`/`startTls`, or `listenTls`/`acceptTls`). It
 * implements `Deno.Conn` (`read`, `write`, `close`, `closeWrite`, `readable`,
 * `writable`, …) and adds {@link TlsConn.handshake}.
 *
 * @example
 * ```ts ignore
 * const conn = await connectTls({ hostname: "example.com", port: 443 });
 * console.log(await conn.handshake());
 * await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n"));
 * ```
 */
export class TlsConn implements Deno.Conn {
  readonly #engine: TlsEngine;
  readonly #transport: ByteTransport;
  #handshake: Promise<TlsHandshakeInfo> | undefined;
  #pump: Promise<boolean> | undefined;
  #writeChain: Promise<void> = Promise.resolve();
  /** Bytes handed to the engine by `write` whose records have not reached the transport yet. */
  #queued = 0;
  /** The first transport write failure, which the next `write` reports if no write awaited it. */
  #writeFailure: unknown;
  #pending: Uint8Array[] = [];
  #eof = false;
  #closed = false;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array<ArrayBufferLike>> | undefined;

  /** @internal Use `connectTls`, `startTls`, `listenTls` or `acceptTls`. */
  constructor(engine: TlsEngine, transport: ByteTransport) {
    this.#engine = engine;
    this.#transport = transport;
  }

  /** The local address of the underlying connection (`0.0.0.0:0` for a stream pair). */
  get localAddr(): Deno.NetAddr {
    return (this.#transport.conn?.localAddr as Deno.NetAddr | undefined) ?? UNKNOWN_ADDR;
  }

  /** The remote address of the underlying connection (`0.0.0.0:0` for a stream pair). */
  get remoteAddr(): Deno.NetAddr {
    return (this.#transport.conn?.remoteAddr as Deno.NetAddr | undefined) ?? UNKNOWN_ADDR;
  }

  /**
   * Completes the handshake (if it is not complete yet) and reports what was negotiated. Rejects with a
   * `TlsAlertError` or `CertificateVerificationError` when the handshake fails.
   */
  handshake(): Promise<TlsHandshakeInfo> {
    this.#handshake ??= this.#runHandshake();
    return this.#handshake;
  }

  async #runHandshake(): Promise<TlsHandshakeInfo> {
    try {
      await this.#engine.start();
      await this.#flush();
      while (!this.#engine.info) {
        if (!(await this.#pumpOnce())) throw this.#engine.error ?? new TlsError("handshake did not complete");
      }
      await this.#flush();
      return this.#engine.info;
    } catch (e) {
      await this.#failed();
      throw e;
    }
  }

  /** Reads one transport chunk into the engine, then sends whatever it produced. False at EOF or failure. */
  #pumpOnce(): Promise<boolean> {
    this.#pump ??= (async () => {
      try {
        if (this.#eof) return false;
        let chunk: Uint8Array | null;
        try {
          chunk = await this.#transport.read();
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          this.#engine.abort(new TlsError(`transport read failed: ${reason}`, { cause: e }));
          throw this.#engine.error;
        }
        if (chunk === null) {
          this.#eof = true;
          this.#engine.transportClosed();
          if (this.#engine.error) throw this.#engine.error;
          return false;
        }
        try {
          await this.#engine.receive(chunk);
        } finally {
          await this.#flush();
        }
        return true;
      } finally {
        this.#pump = undefined;
      }
    })();
    return this.#pump;
  }

  /** Writes the engine's queued records to the transport, in order. */
  #flush(): Promise<void> {
    const items = this.#engine.takeOutput();
    if (items.length > 0) {
      const written = this.#writeChain.then(async () => {
        const parts = await Promise.all(items);
        await this.#transport.write(parts.length === 1 ? parts[0] : concat(...parts));
      });
      // Whoever awaits the chain sees a failure; one that nobody awaits yet is kept for the next write.
      written.catch((e) => this.#writeFailure ??= e);
      this.#writeChain = written;
    }
    return this.#writeChain;
  }

  async #failed(): Promise<void> {
    try {
      await this.#flush();
    } catch {
      // The alert could not be delivered; the close below still ends the connection.
    }
    this.#closeTransport();
  }

  #closeTransport(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.close();
  }

  /** The next chunk of application data, or `null` after the peer's close_notify. */
  async #readChunk(): Promise<Uint8Array | null> {
    await this.handshake();
    for (;;) {
      if (this.#pending.length > 0) return this.#pending.shift()!;
      const received = this.#engine.takePlaintext();
      if (received.length > 0) {
        this.#pending.push(...received);
        continue;
      }
      if (this.#engine.peerClosed) return null;
      if (this.#engine.error) throw this.#engine.error;
      let more: boolean;
      try {
        more = await this.#pumpOnce();
      } catch (e) {
        await this.#failed();
        throw e;
      }
      if (!more) return null;
    }
  }

  /** Reads application data into `p`; resolves to the number of bytes, or `null` after close_notify. */
  async read(p: Uint8Array): Promise<number | null> {
    if (p.length === 0) return 0;
    let chunk: Uint8Array | null | undefined = await this.#readChunk();
    if (chunk === null) return null;
    // Application data already decrypted (several records of one transport read) fills `p` in one call.
    let n = 0;
    for (; chunk; chunk = this.#nextDecrypted()) {
      const take = Math.min(p.length - n, chunk.length);
      p.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
      n += take;
      if (take < chunk.length) {
        this.#pending.unshift(chunk.subarray(take));
        break;
      }
      if (n === p.length) break;
    }
    return n;
  }

  /** The next chunk of application data that is already decrypted, without reading the transport. */
  #nextDecrypted(): Uint8Array | undefined {
    if (this.#pending.length === 0) this.#pending.push(...this.#engine.takePlaintext());
    return this.#pending.shift();
  }

  /**
   * Encrypts and sends `p`; resolves to `p.length` once its records are queued for the transport (its bytes
   * are copied: `p` may be reused at once). While more than {@link WRITE_BEHIND} bytes are queued, it waits
   * for the transport first; a transport failure rejects this write or the next one.
   */
  async write(p: Uint8Array): Promise<number> {
    await this.handshake();
    // A window of records is sealed at once (their AEAD calls overlap) and queued for the transport; the
    // write waits for the transport only while too much is queued: memory stays bounded for any write size,
    // and the transport's backpressure holds.
    for (let offset = 0; offset < p.length || offset === 0; offset += WRITE_WINDOW) {
      if (this.#writeFailure !== undefined) throw this.#writeFailed(this.#writeFailure);
      const window = p.subarray(offset, Math.min(offset + WRITE_WINDOW, p.length));
      this.#engine.send(window);
      this.#queued += window.length;
      const flushed = this.#flush();
      flushed.then(() => this.#queued -= window.length, () => {});
      if (this.#queued > WRITE_BEHIND) {
        try {
          await flushed;
        } catch (e) {
          throw this.#writeFailed(e);
        }
      }
      if (p.length === 0) break;
    }
    return p.length;
  }

  /** Fails the connection after a transport write failure and closes the transport; returns the error. */
  #writeFailed(cause: unknown): TlsError {
    const error = this.#engine.abort(
      new TlsError(`transport write failed: ${(cause as Error)?.message ?? cause}`, { cause }),
    );
    this.#closeTransport();
    return error;
  }

  /** Sends a KeyUpdate (RFC 8446 §4.6.3); with `requestPeerUpdate` the peer is asked to update too. */
  async updateKeys(requestPeerUpdate = false): Promise<void> {
    await this.handshake();
    await this.#engine.updateKeys(requestPeerUpdate);
    await this.#flush();
  }

  /** Sends close_notify and half-closes the transport; reading stays possible. */
  async closeWrite(): Promise<void> {
    this.#engine.close();
    await this.#flush();
    await this.#transport.closeWrite();
  }

  /** Sends close_notify (when the handshake is complete) and closes the transport. */
  close(): void {
    if (this.#closed) return;
    if (this.#engine.connected && !this.#engine.error) this.#engine.close();
    const done = this.#flush().catch(() => {});
    done.finally(() => this.#closeTransport());
  }

  /** Closes the connection, as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Keeps the event loop alive while the connection is open (delegated to the `Deno.Conn`). */
  ref(): void {
    this.#transport.conn?.ref();
  }

  /** Lets the event loop exit while the connection is open (delegated to the `Deno.Conn`). */
  unref(): void {
    this.#transport.conn?.unref();
  }

  /** Application data as a stream. */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const chunk = await this.#readChunk();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk.slice());
      },
      cancel: () => this.close(),
    });
    return this.#readable;
  }

  /** A stream that encrypts and sends what is written to it; closing it sends close_notify. */
  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    this.#writable ??= new WritableStream<Uint8Array<ArrayBufferLike>>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
    return this.#writable;
  }
}
