/**
 * Mutual TLS: the server asks for a client certificate (`clientAuth: "require"`) and verifies it against its
 * own CA for clients (`clientCaCerts`); the client presents one with `cert` and `key`. The server then knows
 * who is calling from `peerCertificates`. A client without a certificate is refused with the
 * `certificate_required` alert.
 *
 * ```sh
 * deno run -A examples/mutual_tls.ts
 * ```
 *
 * @module
 */

import { connectTls, generateCertificate, listenTls, TlsAlertError, type TlsConn } from "../mod.ts";

// One CA for the server's certificate, another for client certificates (they may be the same one).
const serverCa = await generateCertificate({ subject: "CN=Example Server CA", isCA: true });
const server = await generateCertificate({
  subject: "CN=localhost",
  issuer: serverCa,
  extKeyUsage: ["serverAuth"],
});
const clientCa = await generateCertificate({ subject: "CN=Example Client CA", isCA: true });
const alice = await generateCertificate({
  subject: "CN=alice, O=Example",
  subjectAltNames: [], // a client certificate needs no host name
  issuer: clientCa,
  extKeyUsage: ["clientAuth"],
});

const listener = listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: server.cert,
  key: server.key,
  clientAuth: "require", // "request": ask, but also accept a client without a certificate
  clientCaCerts: [clientCa.cert],
  onHandshakeError: (error) => console.log(`server: refused a client: ${(error as Error).message}`),
});

/** Greets the client by the subject of the certificate it presented. */
async function greet(conn: TlsConn): Promise<void> {
  try {
    const { peerCertificates } = await conn.handshake();
    await conn.write(new TextEncoder().encode(`hello, ${peerCertificates[0].subject}\n`));
    await conn.closeWrite();
  } finally {
    conn.close();
  }
}
const tasks: Promise<void>[] = [];
const accepting = (async () => {
  for await (const conn of listener) tasks.push(greet(conn));
})();

const options = {
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [serverCa.cert],
};

// 1. Without a client certificate: refused. In TLS 1.3 the client's handshake is over before the server
// has checked it, so the server's alert arrives on the first read.
try {
  const anonymous = await connectTls(options);
  await anonymous.read(new Uint8Array(64));
  anonymous.close();
  throw new Error("a client without a certificate was accepted");
} catch (e) {
  if (!(e instanceof TlsAlertError)) throw e;
  console.log(`without a certificate: refused, ${e.source} alert ${e.alert}`);
  if (e.alert !== "certificate_required") throw new Error(`unexpected alert ${e.alert}`);
}

// 2. With a client certificate: accepted, and the server knows who it is.
const conn = await connectTls({ ...options, cert: alice.cert, key: alice.key });
const greeting = await new Response(conn.readable).text();
console.log(`with a certificate: ${greeting.trim()}`);
conn.close();
if (greeting !== "hello, CN=alice, O=Example\n") throw new Error("unexpected greeting");

listener.close();
await accepting;
await Promise.all(tasks);
