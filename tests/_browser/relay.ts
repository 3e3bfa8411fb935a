/**
 * The browser test's servers, all on 127.0.0.1: a TLS server (this library's `listenTls`) answering one small
 * HTTP page per connection, and a `Deno.serve` HTTP server that serves the test page, its bundled script,
 * its configuration, and a WebSocket-to-TCP relay to the TLS server (`examples/websocket_relay.ts`).
 *
 * @module
 */

import { relayWebSocket } from "../../examples/websocket_relay.ts";
import { listenTls, type TlsConn, type TlsListener } from "../../mod.ts";

/** This library's TLS server, answering every request with `body` and closing (with close_notify). */
export class TlsHttpServer implements AsyncDisposable {
  readonly port: number;
  /** The request lines received, in order. */
  readonly requests: string[] = [];
  readonly #listener: TlsListener;
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;

  constructor(cert: string, key: string, body: string) {
    const listener = listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
    this.#listener = listener;
    this.port = listener.addr.port;
    this.#loop = (async () => {
      for await (const conn of listener) {
        const task = this.#answer(conn, body).finally(() => this.#tasks.delete(task));
        this.#tasks.add(task);
      }
    })().catch(() => {});
  }

  async #answer(conn: TlsConn, body: string): Promise<void> {
    try {
      let head = "";
      const buf = new Uint8Array(4096);
      while (!head.includes("\r\n\r\n")) {
        const n = await conn.read(buf);
        if (n === null) return;
        head += new TextDecoder().decode(buf.subarray(0, n));
      }
      this.requests.push(head.split("\r\n")[0]);
      const bytes = new TextEncoder().encode(body);
      const response = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${bytes.length}\r\n` +
        "Connection: close\r\n\r\n";
      await conn.write(new TextEncoder().encode(response));
      await conn.write(bytes);
      await conn.closeWrite(); // close_notify
    } catch {
      // the client went away
    } finally {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
    await Promise.all(this.#tasks);
  }
}

/** What the page server serves. */
export interface PageServerOptions {
  readonly html: string;
  readonly script: Uint8Array<ArrayBuffer>;
  /** Served as `/config.json`, with `relayUrl` filled in. */
  readonly config: Record<string, unknown>;
  /** Where the relay connects. */
  readonly tlsPort: number;
}

/** The page, its script and configuration, and the WebSocket relay at `/relay`. */
export class PageServer implements AsyncDisposable {
  readonly port: number;
  /** Bytes relayed each way, and how many relays ran. */
  readonly relayed = { toServer: 0, toBrowser: 0, connections: 0 };
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #relays = new Set<Promise<void>>();

  constructor(options: PageServerOptions) {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/") return new Response(options.html, { headers: { "content-type": "text/html" } });
      if (path === "/client.js") {
        return new Response(options.script, { headers: { "content-type": "text/javascript" } });
      }
      if (path === "/config.json") {
        return Response.json({ ...options.config, relayUrl: `ws://127.0.0.1:${this.port}/relay` });
      }
      if (path === "/relay" && request.headers.get("upgrade") === "websocket") {
        return this.#upgrade(request, options.tlsPort);
      }
      if (path === "/favicon.ico") return new Response(null, { status: 204 });
      return new Response("not found", { status: 404 });
    });
    this.port = this.#server.addr.port;
  }

  /** Joins a WebSocket to a new TCP connection to the TLS server (the example's relay). */
  async #upgrade(request: Request, port: number): Promise<Response> {
    this.relayed.connections++;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#relays.add(promise);
    promise.then(() => this.#relays.delete(promise));
    try {
      return await relayWebSocket(request, { hostname: "127.0.0.1", port }, {
        onBytes: (direction, n) => {
          if (direction === "up") this.relayed.toServer += n;
          else this.relayed.toBrowser += n;
        },
        onDone: resolve,
      });
    } catch (e) {
      resolve();
      throw e;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
    await Promise.all(this.#relays);
  }
}
