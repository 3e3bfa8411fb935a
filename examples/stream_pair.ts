/**
 * TLS over any byte stream: `startTls` (client) and `acceptTls` (server) take a `Deno.Conn` or any
 * `{ readable, writable }` pair of web byte streams — a WebSocket (see `browser_websocket.ts`), a QUIC or
 * SSH channel, a serial line, or, as here, two in-memory queues joining a client and a server in one process.
 * No socket is opened.
 *
 * ```sh
 * deno run -A examples/stream_pair.ts
 * ```
 *
 * @module
 */

import { acceptTls, generateCertificate, startTls, type StreamPair } from "../mod.ts";

/** Two stream pairs joined back to back: what one side writes, the other reads. */
function memoryPipe(): [StreamPair, StreamPair] {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: toClient.readable, writable: toServer.writable },
    { readable: toServer.readable, writable: toClient.writable },
  ];
}

const ca = await generateCertificate({ subject: "CN=Example CA", isCA: true });
const leaf = await generateCertificate({ subject: "CN=localhost", issuer: ca, extKeyUsage: ["serverAuth"] });

const [clientSide, serverSide] = memoryPipe();
// Both handshakes run at once: each side waits for the other's messages.
const [client, server] = await Promise.all([
  startTls(clientSide, { serverName: "localhost", caCerts: [ca.cert] }),
  acceptTls(serverSide, { cert: leaf.cert, key: leaf.key }),
]);
const info = await client.handshake();
console.log(`over an in-memory pipe: ${info.protocol} ${info.cipherSuite} ${info.group}`);

await client.write(new TextEncoder().encode("ping"));
const buffer = new Uint8Array(16);
const n = await server.read(buffer);
const received = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
console.log(`the server read ${JSON.stringify(received)}`);
client.close();
server.close();
if (received !== "ping") throw new Error("the message did not arrive");
