/**
 * The client in a few lines: connect, see what was negotiated, send an HTTP request, read the answer.
 * The example starts its own TLS server on 127.0.0.1 first, so it needs no network:
 *
 * ```sh
 * deno run -A examples/client_basic.ts
 * ```
 *
 * Against a real host, leave out `caCerts` (the Mozilla root store embedded in the library is used) and
 * `serverName`: `connectTls({ hostname: "example.com", port: 443 })`.
 *
 * @module
 */

import { connectTls } from "../mod.ts";
import { startLocalServer } from "./_local_server.ts";

await using server = await startLocalServer();

const conn = await connectTls({
  hostname: "127.0.0.1",
  port: server.port,
  serverName: "localhost", // the name the certificate must carry (and the SNI sent)
  caCerts: [server.caCert], // trust this CA instead of the system store
  alpnProtocols: ["http/1.1"],
});
const info = await conn.handshake();
console.log(`${info.protocol} ${info.cipherSuite} ${info.group}`);
console.log(
  `server certificate: ${info.peerCertificates[0].subject}, issued by ${info.peerCertificates[0].issuer}`,
);

await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
// The server closes with close_notify after its answer, which ends the stream.
const response = await new Response(conn.readable).text();
console.log(response);
if (!response.startsWith("HTTP/1.1 200 OK")) throw new Error("unexpected response");
