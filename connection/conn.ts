/**
 * `TlsConn`: the `Deno.Conn`-compatible secure connection. This adapter is the only code that does I/O: it
 * moves bytes between the transport and the sans-I/O engine.
 *
 * Closing (RFC 8446 §6.1) never loses what was written: `closeWrite()` resolves once every queued record and
 * the close_notify are with the transport; `close()` does the same in the background, then keeps reading —
 * and discarding — until the peer's close_notify or end of stream (waiting at most {@link CLOSE_LINGER_MS}
 * without progress, then at most that long for the answer), and only then closes the transport. A TCP socket closed with unread bytes in its receive buffer (a NewSessionTicket,
 * the rest of a request) makes the kernel send a reset and drop what it had not sent yet; lingering avoids it.
 * `abort()` is the abortive close.
 *
 * @module
 */

import { connectionError, TlsError } from "../errors.ts";
import type { TlsHandshakeInfo } from "../handshake/context.ts";
import { armDeadline, type HandshakeDeadline } from "./deadline.ts";
import type { TlsEngine } from "./engine.ts";
import { TransportLink } from "./link.ts";
import type { ByteTransport } from "./transport.ts";

/** Bytes sealed per step of a large write: 16 full records in flight at once. */
const WRITE_WINDOW = 16 * 16384;
/**
 * Bytes that writes may leave queued (being sealed, or sealed and waiting for the transport) before a write
 * waits for the transport. Below it a write returns once its records are queued, as a socket write returns
 * once the kernel has the bytes: a transport that buffers nothing (a bare `TransformStream` pair) does not
 * block a writer whose peer reads later, and memory per connection stays bounded. Queued records always
 * reach the transport before the close_notify of `closeWrite()` or `close()`.
 */
const WRITE_BEHIND = 512 * 1024;
/**
 * How long `close()` waits for the peer before it closes the transport anyway (abortively): while flushing,
 * this long without the peer taking any of the records; after the close_notify, this long for the peer's
 * close_notify or end of stream. A stalled peer cannot hold a closed connection open for longer.
 */
export const CLOSE_LINGER_MS = 5_000;
const UNKNOWN_ADDR: Deno.NetAddr = { transport: "tcp", hostname: "0.0.0.0", port: 0 };

/** How a connection runs: its handshake's deadline, and (for tests) its linger time. */
export interface ConnOptions extends HandshakeDeadline {
  /** Milliseconds `close()` lingers; default {@link CLOSE_LINGER_MS}. */
  readonly lingerMs?: number;
}

const closedError = () => connectionError("BadResource", "the TLS connection is closed");

/**
 * A TLS connection, client or server side (from `connectTls`/`startTls`, or `listenTls`/`acceptTls`). It
 * implements `Deno.Conn` (`read`, `write`, `close`, `closeWrite`, `readable`, `writable`, …) and adds
 * {@link TlsConn.handshake}, {@link TlsConn.abort} and `updateKeys`.
 *
 * @example
 * ```ts ignore
 * const conn = await connectTls({ hostname: "example.com", port: 443 });
 * console.log(await conn.handshake());
 * await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\nHost: example.com\r\n\r\n"));
 * ```
 */
export class TlsConn implements Deno.Conn {
  readonly #link: TransportLink;
  readonly #engine: TlsEngine;
  readonly #options: ConnOptions;
  #handshake: Promise<TlsHandshakeInfo> | undefined;
  /** Bytes handed to the engine by `write` whose records have not reached the transport yet. */
  #queued = 0;
  #pending: Uint8Array[] = [];
  /** `close()` or `abort()` was called: calls fail with `BadResource`, waiting ones with `Interrupted`. */
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The calls waiting on this connection, to reject with `Interrupted` when it is closed. */
  readonly #waiting = new Set<(error: unknown) => void>();
  /** The close_notify and half-close of `closeWrite()`, once asked for. */
  #writeShut: Promise<void> | undefined;
  #refed = true;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  #writable: WritableStream<Uint8Array<ArrayBufferLike>> | undefined;

  /** @ignore Use `connectTls`, `startTls`, `listenTls` or `acceptTls`. */
  constructor(engine: TlsEngine, transport: ByteTransport, options: ConnOptions = {}) {
    this.#link = new TransportLink(engine, transport);
    this.#engine = engine;
    this.#options = options;
  }

  /** The local address of the underlying connection (`0.0.0.0:0` for a stream pair). */
  get localAddr(): Deno.NetAddr {
    return (this.#link.transport.conn?.localAddr as Deno.NetAddr | undefined) ?? UNKNOWN_ADDR;
  }

  /** The remote address of the underlying connection (`0.0.0.0:0` for a stream pair). */
  get remoteAddr(): Deno.NetAddr {
    return (this.#link.transport.conn?.remoteAddr as Deno.NetAddr | undefined) ?? UNKNOWN_ADDR;
  }

  /**
   * Completes the handshake (if it is not complete yet: it also runs on the first `read` or `write`) and
   * reports what was negotiated. Rejects with the handshake's error — a `TlsAlertError` or
   * `CertificateVerificationError` for a protocol or certificate failure — and with `Deno.errors.BadResource`
   * once the connection is closed.
   */
  handshake(): Promise<TlsHandshakeInfo> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#interruptible(this.#startHandshake());
  }

  #startHandshake(): Promise<TlsHandshakeInfo> {
    if (!this.#handshake) {
      this.#handshake = this.#runHandshake();
      this.#handshake.catch(() => {});
    }
    return this.#handshake;
  }

  async #runHandshake(): Promise<TlsHandshakeInfo> {
    const link = this.#link;
    const disarm = armDeadline(this.#options, (reason) => link.fail(reason));
    try {
      await this.#engine.start();
      await link.flush();
      while (!this.#engine.info) {
        if (!(await link.pumpOnce())) link.fail(new TlsError("the handshake did not complete"));
        if (link.failure) throw link.failure.error;
      }
      await link.flush();
      return this.#engine.info;
    } catch (e) {
      const failure = link.fail(e);
      // The alert that describes the failure goes out before anyone hears of it.
      await link.failed;
      throw failure;
    } finally {
      disarm();
    }
  }

  /**
   * `p`, or the `Interrupted` error when the connection is closed first. (Not `Promise.race` with a promise
   * that stays pending for the connection's life: each race would leave a reaction on it.)
   */
  #interruptible<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      p.then(resolve, reject).finally(() => this.#waiting.delete(reject));
    });
  }

  /** Marks the connection closed and rejects the calls waiting on it with `Interrupted`. */
  #interrupt(message: string): void {
    this.#closed = true;
    const error = connectionError("Interrupted", message);
    for (const reject of this.#waiting) reject(error);
    this.#waiting.clear();
  }

  /** The next chunk of application data, or `null` after the peer's close_notify. */
  async #readChunk(): Promise<Uint8Array | null> {
    await this.#interruptible(this.#startHandshake());
    for (;;) {
      if (this.#closed) throw closedError();
      if (this.#pending.length > 0) return this.#pending.shift()!;
      const received = this.#engine.takePlaintext();
      if (received.length > 0) {
        this.#pending.push(...received);
        continue;
      }
      if (this.#engine.peerClosed) return null;
      if (this.#link.failure) throw this.#link.failure.error;
      let more: boolean;
      try {
        more = await this.#interruptible(this.#link.pumpOnce());
      } catch (e) {
        if (this.#closed) throw e;
        // The failure is recorded: what arrived before it is delivered first (the loop above).
        continue;
      }
      if (!more && !this.#engine.peerClosed && !this.#link.failure) throw closedError();
    }
  }

  /**
   * Reads application data into `p`; resolves to the number of bytes, or `null` after the peer's
   * close_notify. A read pending when the connection is closed rejects with `Deno.errors.Interrupted`; one
   * started after, with `Deno.errors.BadResource`; the end of the transport without close_notify (a
   * truncation) with `Deno.errors.UnexpectedEof`.
   */
  async read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) throw closedError();
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
   * are copied: `p` may be reused at once), a promise that they reach the peer unless the connection fails.
   * While more than {@link WRITE_BEHIND} bytes are queued, it waits for the transport first; a transport
   * failure rejects this write or the next one. After `closeWrite()` an empty write resolves to 0 and any
   * other rejects with `Deno.errors.NotConnected`.
   */
  async write(p: Uint8Array): Promise<number> {
    this.#checkWritable(p);
    if (p.length === 0) return 0;
    await this.#interruptible(this.#startHandshake());
    // A window of records is sealed at once (their AEAD calls overlap) and queued for the transport; the
    // write waits for the transport only while too much is queued: memory stays bounded for any write size,
    // and the transport's backpressure holds.
    for (let offset = 0; offset < p.length; offset += WRITE_WINDOW) {
      this.#checkWritable(p);
      const window = p.subarray(offset, Math.min(offset + WRITE_WINDOW, p.length));
      this.#engine.send(window);
      this.#queued += window.length;
      const flushed = this.#link.flush();
      flushed.then(() => this.#queued -= window.length, () => {});
      if (this.#queued > WRITE_BEHIND) await this.#interruptible(flushed);
    }
    return p.length;
  }

  #checkWritable(p: Uint8Array): void {
    if (this.#closed) throw closedError();
    if (this.#link.failure) throw this.#link.failure.error;
    if (this.#writeShut && p.length > 0) {
      throw connectionError("NotConnected", "cannot write after closeWrite()");
    }
  }

  /** Sends a KeyUpdate (RFC 8446 §4.6.3); with `requestPeerUpdate` the peer is asked to update too. */
  async updateKeys(requestPeerUpdate = false): Promise<void> {
    if (this.#closed) throw closedError();
    if (this.#writeShut) throw connectionError("NotConnected", "cannot update keys after closeWrite()");
    await this.#interruptible(this.#startHandshake());
    await this.#engine.updateKeys(requestPeerUpdate);
    await this.#interruptible(this.#link.flush());
  }

  /**
   * Sends close_notify after everything written so far and half-closes the transport; reading goes on.
   * Resolves once every queued record and the close_notify have been handed to the transport. Calling it
   * again does nothing more.
   */
  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#interruptible(this.#shutWrite());
  }

  #shutWrite(): Promise<void> {
    if (!this.#writeShut) {
      this.#writeShut = (async () => {
        await this.#startHandshake();
        if (this.#link.failure) throw this.#link.failure.error;
        this.#engine.close();
        await this.#link.closeOutput();
      })();
      this.#writeShut.catch(() => {});
    }
    return this.#writeShut;
  }

  /**
   * Closes the connection gracefully, in the background: what was written is flushed, then the close_notify
   * (RFC 8446 §6.1); then it reads and discards what the peer still sends until its close_notify or end of
   * stream, and closes the transport. It gives up — abortively — on a peer that takes none of the flushed
   * records for {@link CLOSE_LINGER_MS}, or has not answered the close_notify within it. Pending calls reject with
   * `Deno.errors.Interrupted`, later ones with `Deno.errors.BadResource`. Before the handshake has
   * completed there is nothing to protect: the transport is closed at once. The returned promise (which
   * `Deno.Conn` callers may ignore) resolves once the transport is closed; it never rejects. Calling it again
   * returns the same promise.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#interrupt("the TLS connection was closed");
      this.#closing ??= this.#closeGracefully();
    }
    return this.#closing!;
  }

  async #closeGracefully(): Promise<void> {
    const link = this.#link;
    let stalled = false;
    try {
      if (!this.#engine.connected || link.failure) {
        // Nothing written to protect: an alert already queued goes out, then the transport is closed.
        link.fail(connectionError("Interrupted", "the TLS connection was closed"));
        await link.failed;
        return;
      }
      // Flushing waits at most the linger time without progress: a slow reader is waited for, a peer that
      // takes nothing is not. Then the peer has the linger time, from the close_notify, to answer it: a peer
      // that keeps sending instead is not waited for forever either.
      const idle = idleTimer(this.#options.lingerMs ?? CLOSE_LINGER_MS, this.#refed);
      link.onProgress = idle.restart;
      try {
        const expired = idle.expired.then(() => {
          stalled = true;
          return false;
        });
        await Promise.race([this.#shutWrite().catch(() => {}), expired]);
        link.onProgress = undefined;
        idle.restart();
        while (!stalled && !this.#engine.peerClosed && !link.failure && !link.closed) {
          const more = await Promise.race([link.pumpOnce().catch(() => false), expired]);
          // Nobody reads after close(): what arrives is dropped.
          this.#engine.takePlaintext();
          this.#pending = [];
          if (!more) break;
        }
      } finally {
        idle.stop();
        link.onProgress = undefined;
      }
    } finally {
      // A stalled peer gets the abortive close: what it did not take is dropped.
      link.close(stalled);
    }
  }

  /**
   * The abortive close: the transport is closed at once, records still queued are dropped and no
   * close_notify is sent — the peer sees the stream end without one (a truncation) or, over TCP with unread
   * data on this side, a reset. Pending calls reject with `Deno.errors.Interrupted`, later ones with
   * `Deno.errors.BadResource`. For a graceful close, use {@link TlsConn.close}.
   */
  abort(): void {
    if (!this.#closed) {
      this.#interrupt("the TLS connection was aborted");
    }
    this.#link.close(true);
    this.#link.fail(connectionError("Interrupted", "the TLS connection was aborted"));
    this.#closing ??= Promise.resolve();
  }

  /** Closes the connection, as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the connection, as `close()`, and waits until the transport is closed. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Keeps the event loop alive while the connection is open (delegated to the `Deno.Conn`). */
  ref(): void {
    this.#refed = true;
    this.#link.transport.conn?.ref();
  }

  /**
   * Lets the event loop exit while the connection is open (delegated to the `Deno.Conn`), or lingers after
   * `close()`.
   */
  unref(): void {
    this.#refed = false;
    this.#link.transport.conn?.unref();
  }

  /** Application data as a stream; cancelling it closes the connection. */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const chunk = await this.#readChunk();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk.slice());
      },
      cancel: () => {
        this.close();
      },
    });
    return this.#readable;
  }

  /** A stream that encrypts and sends what is written to it; closing it is `closeWrite()`, aborting it `close()`. */
  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    this.#writable ??= new WritableStream<Uint8Array<ArrayBufferLike>>({
      write: async (chunk) => {
        await this.write(chunk);
      },
      close: () => this.closeWrite(),
      abort: () => {
        this.close();
      },
    });
    return this.#writable;
  }
}

/**
 * A timer whose `expired` promise resolves once `ms` pass without a `restart()`; with `ref` false (only
 * under Deno) it does not keep the process alive.
 */
function idleTimer(
  ms: number,
  ref: boolean,
): { expired: Promise<void>; restart: () => void; stop: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const restart = () => {
    clearTimeout(timer);
    const next = setTimeout(() => resolve(), ms);
    if (!ref) (globalThis as { Deno?: typeof Deno }).Deno?.unrefTimer(next);
    timer = next;
  };
  restart();
  return { expired: promise, restart, stop: () => clearTimeout(timer) };
}
