/**
 * An HTTPS server with the HTTP servers Node's API already has: this library's `listenTls` accepts the TLS
 * connections, and each one is handed — as `Duplex.fromWeb(conn)` — to a `node:http` server, or to a
 * `node:http2` server when the client picked `h2` by ALPN, with `server.emit("connection", duplex)`. One
 * request handler serves both. No HTTP is written by hand here.
 *
 * ```sh
 * deno run -A examples/https_server.ts --port 8443       # makes a certificate; prints the curl command
 * deno run -A examples/https_server.ts --port 8443 --cert cert.pem --key key.pem
 * curl --cacert ca.pem --http2 https://localhost:8443/hello
 * ```
 *
 * It serves until stopped (Ctrl-C). `tests/http_test.ts` runs it and asks curl for pages over HTTP/1.1 and
 * HTTP/2. Why not `Deno.serve`: see the README's HTTP section.
 *
 * @module
 */

import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { generateCertificate, listenTls } from "../mod.ts";

/** One handler for both servers: `node:http2`'s compatibility API has the same shape as `node:http`'s. */
async function handle(
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
): Promise<void> {
  let received = 0;
  for await (const chunk of request) received += chunk.length; // read the body before answering
  const text = `hello over HTTP/${request.httpVersion}: ${request.method} ${request.url}, ` +
    `${received} bytes of body received\n`;
  response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
  response.end(text);
}

const USAGE = "usage: deno run -A examples/https_server.ts [--port N] [--cert FILE --key FILE]";
let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: { port: { type: "string" }, cert: { type: "string" }, key: { type: "string" } },
  });
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
const { values } = parsed;
if ((values.cert === undefined) !== (values.key === undefined)) {
  console.error(`give --cert and --key together\n${USAGE}`);
  Deno.exit(2);
}

let cert: string, key: string;
if (values.cert !== undefined && values.key !== undefined) {
  cert = await Deno.readTextFile(values.cert);
  key = await Deno.readTextFile(values.key);
} else {
  // No certificate given: a CA and a "localhost" certificate it issued, and the CA in a file for curl.
  const ca = await generateCertificate({ subject: "CN=Example HTTPS CA", isCA: true });
  const leaf = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    issuer: ca,
    extKeyUsage: ["serverAuth"],
  });
  ({ cert, key } = leaf);
  const caFile = await Deno.makeTempFile({ prefix: "example-ca-", suffix: ".pem" });
  await Deno.writeTextFile(caFile, ca.cert);
  console.log(`the CA is in ${caFile}: curl --cacert ${caFile} …`);
}

const http1Server = http.createServer(handle);
const http2Server = http2.createServer(handle);
const listener = listenTls({
  hostname: "127.0.0.1",
  port: Number(values.port ?? 8443),
  cert,
  key,
  alpnProtocols: ["h2", "http/1.1"], // the server's preference: h2 when the client offers it
});
console.log(`listening on https://localhost:${listener.addr.port}/`);

for await (const conn of listener) {
  const { alpnProtocol } = await conn.handshake(); // complete already: listenTls hands out finished handshakes
  const server = alpnProtocol === "h2" ? http2Server : http1Server;
  server.emit("connection", Duplex.fromWeb(conn)); // a client without ALPN gets HTTP/1.1
}
