/**
 * The link between the sans-I/O engine and the transport, under `TlsConn`: records out in order, bytes in
 * one chunk at a time, the connection's first failure, and closing the transport.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import { connectionError, transportError } from "../errors.ts";
import type { TlsEngine } from "./engine.ts";
import type { ByteTransport } from "./transport.ts";

/** Moves records between a {@link TlsEngine} and a {@link ByteTransport}, and keeps the connection's failure. */
export class TransportLink {
  readonly engine: TlsEngine;
  readonly transport: ByteTransport;
  #pump: Promise<boolean> | undefined;
  #writeChain: Promise<void> = Promise.resolve();
  #eof = false;
  #failure: { error: unknown } | undefined;
  #failed: Promise<void> = Promise.resolve();
  #outputClosed = false;
  #closed = false;
  /** Told of each transport write and each read (`close()` lingers while they go on). */
  onProgress: (() => void) | undefined;

  constructor(engine: TlsEngine, transport: ByteTransport) {
    this.engine = engine;
    this.transport = transport;
  }

  /** The connection's first fatal error, which every later call reports. */
  get failure(): { error: unknown } | undefined {
    return this.#failure;
  }

  /** Resolves once the alert describing the failure has been sent (or could not be) and the transport closed. */
  get failed(): Promise<void> {
    return this.#failed;
  }

  /** The transport has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Records the first fatal error (the later ones are dropped), sends the alert the engine queued for it,
   * and closes the transport. Returns the connection's error.
   */
  fail(e: unknown): unknown {
    if (!this.#failure) {
      this.#failure = { error: e };
      this.#failed = this.flush().catch(() => {}).then(() => this.close());
    }
    return this.#failure.error;
  }

  /** Reads one transport chunk into the engine, then sends whatever it produced. False at the end. */
  pumpOnce(): Promise<boolean> {
    this.#pump ??= (async () => {
      try {
        if (this.#eof || this.#closed) return false;
        let chunk: Uint8Array | null;
        try {
          chunk = await this.transport.read();
        } catch (e) {
          throw this.fail(transportError(e, "read"));
        }
        this.onProgress?.();
        if (chunk === null) {
          this.#eof = true;
          if (this.engine.peerClosed || this.#closed) return false;
          // RFC 8446 §6.1: the end of the stream without close_notify is a truncation, not an end.
          this.engine.transportClosed();
          throw this.fail(connectionError("UnexpectedEof", this.engine.error?.message ?? "unexpected end"));
        }
        try {
          await this.engine.receive(chunk);
        } catch (e) {
          throw this.fail(e);
        } finally {
          await this.flush().catch(() => {});
        }
        return true;
      } finally {
        this.#pump = undefined;
      }
    })();
    return this.#pump;
  }

  /**
   * Hands the engine's queued records to the transport, in order. Rejects with the connection's error when
   * the transport fails (that failure is the connection's from then on). After {@link closeOutput} the
   * records are dropped.
   */
  flush(): Promise<void> {
    const items = this.engine.takeOutput();
    if (items.length > 0 && !this.#outputClosed) {
      const written = this.#writeChain.then(async () => {
        let parts: Uint8Array[];
        try {
          parts = await Promise.all(items);
        } catch (e) {
          throw this.fail(e);
        }
        try {
          await this.transport.write(parts.length === 1 ? parts[0] : concat(...parts));
        } catch (e) {
          throw this.fail(transportError(e, "write"));
        }
        this.onProgress?.();
      });
      written.catch(() => {});
      this.#writeChain = written;
    }
    return this.#writeChain;
  }

  /** Half-closes the transport once everything flushed so far is written; nothing is sent after. */
  async closeOutput(): Promise<void> {
    await this.flush();
    this.#outputClosed = true;
    try {
      await this.transport.closeWrite();
    } catch (e) {
      throw this.fail(transportError(e, "half-close"));
    }
  }

  /** Closes the transport; `abortive`: records not yet written are dropped. */
  close(abortive = false): void {
    if (abortive) this.#outputClosed = true;
    if (this.#closed) return;
    this.#closed = true;
    this.transport.close(abortive);
  }
}
