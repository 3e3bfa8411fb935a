/**
 * HTTPS with the HTTP clients Node's API already has: this library makes the TLS connection, and `node:https`
 * (HTTP/1.1) or `node:http2` (HTTP/2, when the server picks `h2` by ALPN) speaks HTTP over it. The adapter
 * is one line — `Duplex.fromWeb(conn)` turns the connection's `readable`/`writable` pair into the Node
 * stream those clients take from `createConnection` — so no HTTP is written by hand here.
 *
 * ```sh
 * deno run -A examples/https_client.ts https://example.com/
 * deno run -A examples/https_client.ts --cafile ca.pem --http1.1 https://localhost:8443/path
 * ```
 *
 * `--cafile FILE` trusts the CAs of a PEM file instead of the embedded Mozilla roots; `--http1.1` offers only
 * `http/1.1`. `tests/http_test.ts` runs it against `openssl s_server -www` and a Node.js HTTPS/HTTP/2 server.
 *
 * @module
 */

import http2 from "node:http2";
import https from "node:https";
import { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { connectTls, type TlsConn } from "../mod.ts";

/** What came back. */
interface Answer {
  readonly httpVersion: string;
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

/** GET `url` over `conn` with `node:https` (HTTP/1.1). */
function getHttp1(conn: TlsConn, url: URL): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      // The request goes over this connection rather than one https opens (and verifies) itself.
      createConnection: () => Duplex.fromWeb(conn),
      headers: { connection: "close" },
    }, async (response) => {
      let body = "";
      response.setEncoding("utf8");
      for await (const chunk of response) body += chunk;
      resolve({
        httpVersion: response.httpVersion,
        status: response.statusCode ?? 0,
        headers: response.headers,
        body,
      });
    });
    request.on("error", reject);
    request.end();
  });
}

/** GET `url` over `conn` with `node:http2` (HTTP/2; the server chose `h2` by ALPN). */
function getHttp2(conn: TlsConn, url: URL): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url.origin, { createConnection: () => Duplex.fromWeb(conn) });
    session.on("error", reject);
    const stream = session.request({ ":path": url.pathname + url.search });
    let headers: Record<string, unknown> = {};
    let body = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => headers = h);
    stream.on("data", (chunk) => body += chunk);
    stream.on("error", reject);
    stream.on("end", () => {
      session.close(); // GOAWAY, then the connection ends
      resolve({ httpVersion: "2", status: Number(headers[":status"]), headers, body });
    });
    stream.end();
  });
}

const USAGE =
  "usage: deno run -A examples/https_client.ts [--cafile FILE] [--http1.1] https://host[:port]/path";
let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: { cafile: { type: "string" }, "http1.1": { type: "boolean" } },
    allowPositionals: true,
  });
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
const { values, positionals } = parsed;
if (positionals.length !== 1 || !positionals[0].startsWith("https://")) {
  console.error(USAGE);
  Deno.exit(2);
}
const url = new URL(positionals[0]);

const conn = await connectTls({
  hostname: url.hostname.replace(/^\[|\]$/g, ""), // an IPv6 literal loses its brackets
  port: Number(url.port || 443),
  caCerts: values.cafile === undefined ? undefined : [await Deno.readTextFile(values.cafile)],
  alpnProtocols: values["http1.1"] ? ["http/1.1"] : ["h2", "http/1.1"],
});
try {
  const info = await conn.handshake();
  console.log(`${info.protocol} ${info.cipherSuite} ${info.group}, ALPN ${info.alpnProtocol ?? "(none)"}`);
  const answer = info.alpnProtocol === "h2" ? await getHttp2(conn, url) : await getHttp1(conn, url);
  console.log(`HTTP/${answer.httpVersion} ${answer.status}`);
  console.log(answer.body);
} finally {
  await conn.close();
}
