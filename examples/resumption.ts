/**
 * Session resumption (TLS 1.3, RFC 8446 §2.2): a listener issues session tickets after each handshake (on
 * by default; `sessionTickets`, `ticketLifetime`); the client keeps them in its `sessionCache` and offers one
 * on its next connection to the same server name and port, which then skips the certificate and its
 * signature. Tickets arrive with the server's first data, so a connection must read to get one.
 *
 * ```sh
 * deno run -A examples/resumption.ts
 * ```
 *
 * @module
 */

import { connectTls, generateCertificate, listenTls, MemorySessionCache } from "../mod.ts";

const ca = await generateCertificate({ subject: "CN=Example CA", isCA: true });
const leaf = await generateCertificate({ subject: "CN=localhost", issuer: ca, extKeyUsage: ["serverAuth"] });
const listener = listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: leaf.cert,
  key: leaf.key,
  ticketLifetime: 3600, // seconds; tickets are on by default for a listener (`sessionTickets: true`)
});
const tasks: Promise<void>[] = [];
const accepting = (async () => {
  for await (const conn of listener) {
    tasks.push((async () => {
      await conn.write(new TextEncoder().encode("hello\n")); // the tickets go out before this
      await conn.closeWrite();
      conn.close();
    })());
  }
})();

// Without `sessionCache` the client uses defaultSessionCache(), shared by the process; here one of its own.
const sessionCache = new MemorySessionCache({ capacity: 16 });
const options = {
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [ca.cert],
  sessionCache,
};
for (const attempt of ["first", "second"]) {
  const conn = await connectTls(options);
  const { resumed, peerCertificates } = await conn.handshake();
  await new Response(conn.readable).text(); // read to the end: the ticket comes with the data
  conn.close();
  console.log(`${attempt} connection: resumed ${resumed}, server certificate ${peerCertificates[0].subject}`);
  if (resumed !== (attempt === "second")) throw new Error("unexpected resumption");
}

listener.close();
await accepting;
await Promise.all(tasks);
