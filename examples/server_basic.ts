/**
 * A TLS server in a few lines: a certificate made with `generateCertificate` (no OpenSSL needed), `listenTls`,
 * and an accept loop that serves each connection in a task of its own. The example then connects this
 * library's client to it, so it needs no network:
 *
 * ```sh
 * deno run -A examples/server_basic.ts
 * ```
 *
 * With certificate files instead: `listenTls({ port: 8443, cert: await Deno.readTextFile("cert.pem"),
 * key: await Deno.readTextFile("key.pem") })`.
 *
 * @module
 */

import { connectTls, generateCertificate, listenTls, type TlsConn } from "../mod.ts";

// A CA and a certificate for "localhost" that it issued (in production: your certificate files).
const ca = await generateCertificate({ subject: "CN=Example CA", isCA: true });
const leaf = await generateCertificate({
  subject: "CN=localhost",
  subjectAltNames: ["localhost", "127.0.0.1"],
  issuer: ca,
  extKeyUsage: ["serverAuth"],
});

const listener = listenTls({
  hostname: "127.0.0.1",
  port: 0, // any free port: see listener.addr
  cert: leaf.cert,
  key: leaf.key,
  alpnProtocols: ["echo"],
  // A failed handshake never reaches accept(): the listener closes that connection and says why here.
  onHandshakeError: (error, from) => console.error(`handshake with ${from.hostname} failed: ${error}`),
});
console.log(`listening on ${listener.addr.hostname}:${listener.addr.port}`);

/** Echoes what the client sends until it closes, then closes too (close_notify). */
async function serve(conn: TlsConn): Promise<void> {
  try {
    const info = await conn.handshake(); // already complete: listenTls hands out finished handshakes
    console.log(
      `server: ${info.protocol} ${info.cipherSuite} ${info.group}, SNI ${info.serverName}, ALPN ${info.alpnProtocol}`,
    );
    await conn.readable.pipeTo(conn.writable);
  } catch (e) {
    console.error(`server: ${e}`);
  } finally {
    conn.close();
  }
}

// The accept loop: one task per connection, so a slow client never holds up the others.
const tasks = new Set<Promise<void>>();
const accepting = (async () => {
  for await (const conn of listener) {
    const task = serve(conn).finally(() => tasks.delete(task));
    tasks.add(task);
  }
})();

// A client of this library, trusting the example CA.
const conn = await connectTls({
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [ca.cert],
  alpnProtocols: ["echo"],
});
await conn.write(new TextEncoder().encode("hello, TLS\n"));
await conn.closeWrite(); // close_notify: the server's echo loop ends
const echoed = await new Response(conn.readable).text();
console.log(`client: the server echoed ${JSON.stringify(echoed)}`);
conn.close();

listener.close(); // ends the accept loop; connections already accepted stay open until they finish
await accepting;
await Promise.all(tasks);
if (echoed !== "hello, TLS\n") throw new Error("the echo does not match");
