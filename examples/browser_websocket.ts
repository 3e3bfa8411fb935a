/**
 * TLS in the browser, over a WebSocket. A page cannot open a TCP connection, but it can open a WebSocket to
 * a relay that forwards bytes to a TCP server; running TLS inside the WebSocket keeps the relay blind (it sees
 * only TLS records) and lets the page verify the server itself. The library's client uses only Web APIs
 * (WebCrypto, web streams) when started with `startTls` over a stream pair, so it runs in any modern browser.
 *
 * 1. Adapt the WebSocket to a `{ readable, writable }` pair of byte streams ({@link openWebSocket}).
 * 2. `startTls(pair, { serverName, caCerts })`: the handshake runs in the page, the certificate is checked
 *    against `caCerts` (a browser has no system trust store to read).
 * 3. Write and read plaintext, here an HTTP/1.1 request ({@link httpGet}).
 *
 * Bundle the page's script with `deno bundle --platform browser -o client.js page.ts`. The relay is
 * `websocket_relay.ts` beside this file: `deno run -A examples/websocket_relay.ts 8080 example.com:443`.
 *
 * WebCrypto differs between browsers and versions: ChaCha20-Poly1305 and ML-KEM-768 (for X25519MLKEM768)
 * are recent additions (Chromium 156 has both; older browsers lack them). Where one is missing, name what to
 * offer with `cipherSuites` and `groups` (e.g. `groups: ["X25519", "P-256"]`).
 *
 * @example
 * ```ts ignore
 * import { startTls } from "@subtle/tls";
 * import { httpGet, openWebSocket } from "./browser_websocket.ts"; // a copy of this file
 *
 * const transport = await openWebSocket("wss://relay.example/");
 * const conn = await startTls(transport, { serverName: "example.com", caCerts: [caPem] });
 * const response = await httpGet(conn, "example.com", "/");
 * document.body.textContent = new TextDecoder().decode(response.body);
 * ```
 *
 * @module
 */

import type { StreamPair, TlsConn } from "../mod.ts";

/** Bytes queued in the WebSocket above which writes wait for it to drain. */
const HIGH_WATER_MARK = 1 << 20;

/**
 * Opens a WebSocket to `url` and adapts it to a pair of byte streams: each binary message is one chunk read,
 * each chunk written is one binary message. Resolves once the socket is open. Closing either stream (the
 * TLS connection does so when it closes) closes the socket; the socket closing ends the readable stream.
 *
 * @example
 * ```ts ignore
 * const conn = await startTls(await openWebSocket("wss://relay.example/"), { serverName: "example.com" });
 * ```
 */
export async function openWebSocket(url: string): Promise<StreamPair> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  // The streams (and their listeners) exist before the socket opens: no message can be missed.
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      ws.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) controller.enqueue(new Uint8Array(event.data));
        else controller.error(new Error("text message on a binary WebSocket"));
      });
      ws.addEventListener("close", () => {
        try {
          controller.close();
        } catch {
          // already closed or errored
        }
      });
      ws.addEventListener("error", () => controller.error(new Error(`WebSocket ${url} failed`)));
    },
    cancel() {
      ws.close();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (ws.readyState !== WebSocket.OPEN) throw new Error("the WebSocket is closed");
      // WebSocket.send never blocks; wait while too much is queued, so the TLS writer sees backpressure.
      while (ws.bufferedAmount > HIGH_WATER_MARK) await new Promise((r) => setTimeout(r, 10));
      ws.send(new Uint8Array(chunk));
    },
    // A WebSocket cannot half-close: ending the write side ends the socket.
    close() {
      ws.close();
    },
    abort() {
      ws.close();
    },
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`WebSocket ${url} could not be opened`)), {
      once: true,
    });
  });
  return { readable, writable };
}

/** A parsed HTTP/1.1 response. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

/**
 * Sends `GET path` with `Connection: close` over `conn` and reads the response until the server closes the
 * connection (with close_notify; a cut-off stream makes the read throw). Bodies with `Content-Length` or
 * until-close framing only (no chunked encoding): enough for an example.
 */
export async function httpGet(conn: TlsConn, host: string, path = "/"): Promise<HttpResponse> {
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const chunks: Uint8Array[] = [];
  for await (const chunk of conn.readable) chunks.push(chunk);
  const raw = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    raw.set(c, offset);
    offset += c.length;
  }
  const text = new TextDecoder("latin1").decode(raw);
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no HTTP header in a ${raw.length}-byte response`);
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) throw new Error(`bad HTTP status line ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = headers.has("content-length") ? Number(headers.get("content-length")) : undefined;
  const body = raw.subarray(end + 4, length === undefined ? undefined : end + 4 + length);
  return { status, headers, body };
}
