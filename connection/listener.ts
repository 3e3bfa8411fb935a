/**
 * `listenTls` and `TlsListener`: a TCP listener that hands out only connections whose TLS handshake has
 * succeeded. Each accepted TCP connection runs its handshake in the background, so a slow or hostile client
 * never holds up `accept()`; a failed or timed-out handshake closes its connection, which is then dropped.
 *
 * Backpressure: at most {@link MAX_HANDSHAKES} handshakes run at once and at most {@link MAX_READY}
 * completed connections wait for `accept()`; beyond that the listener stops taking TCP connections (they
 * wait in the kernel's backlog).
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import type { ServerConfig } from "../handshake/server_config.ts";
import type { TlsConn } from "./conn.ts";
import {
  type AcceptTlsOptions,
  DEFAULT_HANDSHAKE_TIMEOUT,
  resolveServerConfig,
  serverConn,
  type ServerTestOptions,
} from "./server.ts";
import { toByteTransport } from "./transport.ts";

/** Handshakes run at once, at most. */
export const MAX_HANDSHAKES = 256;
/** Completed connections waiting for `accept()`, at most. */
export const MAX_READY = 64;
/**
 * Pause after a failed TCP accept that did not consume a connection (e.g. out of file descriptors), so the
 * loop does not spin: doubled at each failure in a row, from the first to the last value.
 */
const ACCEPT_BACKOFF_MS = [5, 1000] as const;
/** The address reported for a connection that failed before its address was known (a TCP accept error). */
const UNKNOWN_ADDR: Deno.NetAddr = { transport: "tcp", hostname: "0.0.0.0", port: 0 };

/**
 * Options of `listenTls`: the address, what to do about failed handshakes, and the options of
 * {@link AcceptTlsOptions} (except `signal`: `close()` the listener instead).
 *
 * @example
 * ```ts
 * import { listenTls } from "@subtle/tls";
 *
 * const listener = listenTls({
 *   hostname: "127.0.0.1",
 *   port: 0, // any free port
 *   cert: await Deno.readTextFile("cert.pem"),
 *   key: await Deno.readTextFile("key.pem"),
 *   onHandshakeError: (error, from) => console.warn(`${from.hostname}:${from.port}: ${error}`),
 * });
 * console.log(`listening on port ${listener.addr.port}`);
 * ```
 */
export interface ListenTlsOptions extends Omit<AcceptTlsOptions, "signal"> {
  /** Address to listen on (default `"0.0.0.0"`). */
  hostname?: string;
  /** Port to listen on (0: any free port, see `addr`). */
  port: number;
  /**
   * Told about each connection that failed before `accept()` could hand it out — it has been closed and
   * dropped, and the listener goes on: a failed or timed-out handshake, or a failed TCP accept (a client
   * that reset its connection first: `Deno.errors.ConnectionReset`, `ConnectionAborted` or `NotConnected`;
   * out of file descriptors, retried after a pause), whose `remoteAddr` is `0.0.0.0:0`.
   */
  onHandshakeError?: (error: unknown, remoteAddr: Deno.NetAddr) => void;
}

type Waiter = PromiseWithResolvers<TlsConn>;

/** Internal knobs for tests: those of {@link ServerTestOptions}, and a smaller handshake limit. */
export interface ListenerTestOptions extends ServerTestOptions {
  /** Handshakes run at once, at most (default {@link MAX_HANDSHAKES}). */
  maxHandshakes?: number;
}

/**
 * A TLS listener: a `Deno.Listener<TlsConn>` whose `accept()` resolves to connections that have completed
 * their handshake (`await conn.handshake()` returns at once).
 *
 * @example
 * ```ts
 * import { listenTls } from "@subtle/tls";
 *
 * const cert = await Deno.readTextFile("cert.pem");
 * const key = await Deno.readTextFile("key.pem");
 * const listener = listenTls({ port: 8443, cert, key, alpnProtocols: ["http/1.1"] });
 * for await (const conn of listener) {
 *   const info = await conn.handshake();
 *   console.log(info.serverName, info.alpnProtocol);
 *   conn.close();
 * }
 * ```
 */
export class TlsListener implements Deno.Listener<TlsConn, Deno.NetAddr> {
  readonly #tcp: Deno.TcpListener;
  readonly #config: Promise<ServerConfig>;
  readonly #options: ListenTlsOptions;
  readonly #ready: TlsConn[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #errors: unknown[] = [];
  readonly #handshaking = new Set<TlsConn>();
  #loop: Promise<void> | undefined;
  #changed = Promise.withResolvers<void>();
  #closed = false;
  #refed = true;
  readonly #maxHandshakes: number;

  /** @ignore Use `listenTls`. */
  constructor(options: ListenTlsOptions, test: ListenerTestOptions = {}) {
    this.#options = options;
    this.#maxHandshakes = test.maxHandshakes ?? MAX_HANDSHAKES;
    // Session tickets are on by default for a listener: its connections share its ticket keys.
    this.#config = resolveServerConfig({ ...options, sessionTickets: options.sessionTickets ?? true }, test);
    // Surfaces through accept(); never an unhandled rejection.
    this.#config.catch(() => {});
    this.#tcp = Deno.listen({
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port,
      transport: "tcp",
    });
  }

  /** The address the listener is bound to. */
  get addr(): Deno.NetAddr {
    return this.#tcp.addr;
  }

  /**
   * The next connection whose handshake succeeded. Rejects with `Deno.errors.BadResource` once the listener
   * is closed, and with the configuration error when the certificate or key could not be loaded.
   */
  accept(): Promise<TlsConn> {
    const conn = this.#ready.shift();
    if (conn) {
      this.#notify();
      return Promise.resolve(conn);
    }
    if (this.#errors.length > 0) return Promise.reject(this.#errors.shift());
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Listener has been closed"));
    this.#loop ??= this.#run();
    const waiter = Promise.withResolvers<TlsConn>();
    this.#waiters.push(waiter);
    return waiter.promise;
  }

  /** Iterates over the accepted connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<TlsConn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource) return;
        throw e;
      }
    }
  }

  /**
   * Stops listening: pending `accept()` calls reject with `Deno.errors.BadResource`, handshakes in progress
   * are abandoned and connections not yet accepted are closed. Connections already accepted stay open.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#tcp.close();
    } catch {
      // already closed
    }
    for (const conn of this.#handshaking) conn.abort();
    // Completed but never accepted: nothing of the application's is queued, the client gets a close_notify.
    for (const conn of this.#ready.splice(0)) conn.close();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new Deno.errors.BadResource("Listener has been closed"));
    }
    this.#notify();
  }

  /** Closes the listener, as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Makes the listener (and its handshakes in progress) keep the event loop alive again. */
  ref(): void {
    this.#refed = true;
    this.#tcp.ref();
    for (const conn of this.#handshaking) conn.ref();
  }

  /** Lets the event loop finish while the listener waits for connections. */
  unref(): void {
    this.#refed = false;
    this.#tcp.unref();
    for (const conn of this.#handshaking) conn.unref();
  }

  #notify(): void {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  /** Hands an outcome to the oldest waiting `accept()`, or keeps it for the next one. */
  #deliver(outcome: { conn: TlsConn } | { error: unknown }): void {
    const waiter = this.#waiters.shift();
    if ("conn" in outcome) {
      if (waiter) waiter.resolve(outcome.conn);
      else this.#ready.push(outcome.conn);
    } else if (waiter) {
      waiter.reject(outcome.error);
    } else {
      this.#errors.push(outcome.error);
    }
  }

  async #run(): Promise<void> {
    let config: ServerConfig;
    try {
      config = await this.#config;
    } catch (e) {
      this.#deliver({ error: e });
      this.close();
      return;
    }
    let backoff = 0;
    while (!this.#closed) {
      if (this.#ready.length >= MAX_READY || this.#handshaking.size >= this.#maxHandshakes) {
        await this.#changed.promise;
        continue;
      }
      let tcp: Deno.TcpConn;
      try {
        tcp = await this.#tcp.accept();
        backoff = 0;
      } catch (e) {
        if (this.#closed) return;
        if (e instanceof Deno.errors.BadResource) {
          this.close();
          return;
        }
        // One client's failure is reported and the listener goes on; only close() ends it.
        this.#report(e, UNKNOWN_ADDR);
        if (!consumedConnection(e)) {
          backoff = Math.min(ACCEPT_BACKOFF_MS[1], backoff === 0 ? ACCEPT_BACKOFF_MS[0] : backoff * 2);
          await this.#pause(backoff);
        }
        continue;
      }
      if (this.#closed) {
        tcp.close();
        return;
      }
      this.#handshake(tcp, config);
    }
  }

  /** Tells `onHandshakeError` about a dropped connection; a throwing callback does not break the listener. */
  #report(error: unknown, remoteAddr: Deno.NetAddr): void {
    try {
      this.#options.onHandshakeError?.(error, remoteAddr);
    } catch {
      // ignored
    }
  }

  /** Waits `ms`, or less if the listener is closed meanwhile. */
  async #pause(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise((resolve) => timer = setTimeout(resolve, ms)), this.#changed.promise]);
    clearTimeout(timer);
  }

  /** Runs one connection's handshake in the background. */
  #handshake(tcp: Deno.TcpConn, config: ServerConfig): void {
    const conn = serverConn(config, toByteTransport(tcp), this.#options, {
      timeoutMs: this.#options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
      refTimer: this.#refed,
    });
    const remoteAddr = tcp.remoteAddr;
    this.#handshaking.add(conn);
    if (!this.#refed) conn.unref();
    conn.handshake().then(
      () => {
        this.#handshaking.delete(conn);
        // A handshake slot is free: wake the accept loop (handing the connection straight to a waiting
        // accept() changes nothing else it would hear of).
        this.#notify();
        if (this.#closed) {
          conn.close();
          return;
        }
        this.#deliver({ conn });
      },
      (error) => {
        // The connection has sent its alert and closed its transport.
        this.#handshaking.delete(conn);
        this.#report(
          this.#closed && !(error instanceof TlsError) ? new TlsError("the listener was closed") : error,
          remoteAddr,
        );
        this.#notify();
      },
    );
  }
}

/**
 * Whether a TCP accept error used up the connection it was about (the client reset or aborted it before
 * the accept completed), so that accepting again at once will not fail the same way.
 */
function consumedConnection(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.ConnectionAborted ||
    e instanceof Deno.errors.NotConnected;
}

/**
 * Listens for TLS connections (TLS 1.3 and TLS 1.2 by default, see `minVersion`/`maxVersion`) on
 * `hostname:port`. The certificates are loaded once for the listener;
 * a certificate or key that cannot be loaded makes the first `accept()` reject.
 *
 * @example
 * ```ts
 * import { listenTls } from "@subtle/tls";
 *
 * const listener = listenTls({
 *   port: 8443,
 *   cert: await Deno.readTextFile("cert.pem"),
 *   key: await Deno.readTextFile("key.pem"),
 * });
 * const conn = await listener.accept();
 * await conn.write(new TextEncoder().encode("hello\n"));
 * conn.close();
 * listener.close();
 * ```
 */
export function listenTls(options: ListenTlsOptions): TlsListener {
  return new TlsListener(options);
}
