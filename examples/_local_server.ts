/**
 * Scaffolding shared by the runnable examples (not part of what they show): a CA and a "localhost"
 * certificate made with the library's `generateCertificate`, and a TLS server on 127.0.0.1 (Deno's own TLS)
 * that answers every HTTP request with a short text and closes with close_notify.
 *
 * @module
 */

import { generateCertificate } from "../mod.ts";

/** A running example server and the CA that issued its certificate. */
export interface LocalServer extends AsyncDisposable {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** The CA certificate (PEM) to trust. */
  readonly caCert: string;
  /** The server's certificate (PEM). */
  readonly cert: string;
}

/** Starts the server; dispose of it (`await using`) to stop it. */
export async function startLocalServer(text = "hello from a local TLS server\n"): Promise<LocalServer> {
  const ca = await generateCertificate({ subject: "CN=Example CA", isCA: true, keyAlgorithm: "ECDSA-P256" });
  const leaf = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    issuer: ca,
    keyAlgorithm: "ECDSA-P256",
    extKeyUsage: ["serverAuth"],
  });
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key });
  const tasks = new Set<Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      const task = answer(conn, text).finally(() => tasks.delete(task));
      tasks.add(task);
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    caCert: ca.cert,
    cert: leaf.cert,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

async function answer(conn: Deno.TlsConn, text: string): Promise<void> {
  try {
    const buf = new Uint8Array(4096);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) return;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    const body = new TextEncoder().encode(text);
    const header = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(header));
    await conn.write(body);
    await conn.closeWrite();
  } catch {
    // the client went away (e.g. it refused the certificate)
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}
