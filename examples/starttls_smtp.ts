/**
 * STARTTLS (RFC 3207, SMTP): the connection starts in plain text, the client asks for TLS with a command, and
 * both sides run the TLS handshake on the same TCP connection — the server with `acceptTls(tcp, …)`, the
 * client with `startTls(tcp, …)` — then speak the same protocol, encrypted. IMAP (RFC 9051 §6.2.1) and
 * POP3 (RFC 2595) work the same way.
 *
 * ```sh
 * deno run -A examples/starttls_smtp.ts                      # a server and a client of this library
 * deno run -A examples/starttls_smtp.ts --serve --port 2525  # the server only, for another client:
 * openssl s_client -starttls smtp -connect 127.0.0.1:2525 -CAfile ca.pem -servername localhost -crlf
 * ```
 *
 * `--serve` makes its own certificate unless given `--cert FILE --key FILE`, and serves until stopped.
 * `tests/http_test.ts` runs it with `--serve` against `openssl s_client -starttls smtp`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { acceptTls, generateCertificate, startTls } from "../mod.ts";

/** The most a command or reply line may hold, CRLF included (RFC 5321 §4.5.3.1.4–5: 512 octets). */
const MAX_LINE = 512;

/** Reads CRLF-terminated lines from a `Deno.Conn` or a `TlsConn`. */
class LineReader {
  #buffer = new Uint8Array(0);
  constructor(private readonly conn: { read(p: Uint8Array): Promise<number | null> }) {}

  /** Bytes received after the last line returned. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** The next line without its CRLF, or `null` at the end of the stream. */
  async line(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf(0x0a);
      if (end >= 0) {
        const line = new TextDecoder().decode(this.#buffer.subarray(0, end)).replace(/\r$/, "");
        this.#buffer = this.#buffer.slice(end + 1);
        return line;
      }
      if (this.#buffer.length >= MAX_LINE) throw new Error("line too long");
      const chunk = new Uint8Array(MAX_LINE);
      const n = await this.conn.read(chunk);
      if (n === null) return null;
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
    }
  }
}

/** Writes one line, CRLF added. */
async function send(conn: { write(p: Uint8Array): Promise<number> }, line: string): Promise<void> {
  const bytes = new TextEncoder().encode(line + "\r\n");
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/**
 * One SMTP-style session: greeting, EHLO offering STARTTLS, the upgrade, then EHLO and QUIT over TLS. No
 * mail is taken: the example is about the upgrade.
 */
async function serveSession(tcp: Deno.Conn, cert: string, key: string): Promise<void> {
  try {
    await plainSession(tcp, cert, key);
  } finally {
    try {
      tcp.close();
    } catch {
      // closed already, with the TLS connection
    }
  }
}

async function plainSession(tcp: Deno.Conn, cert: string, key: string): Promise<void> {
  const plain = new LineReader(tcp);
  await send(tcp, "220 localhost ESMTP example ready");
  for (let line = await plain.line(); line !== null; line = await plain.line()) {
    const verb = line.split(" ")[0].toUpperCase();
    if (verb === "EHLO") {
      await send(tcp, `250-localhost greets ${line.slice(5)}`);
      await send(tcp, "250 STARTTLS");
    } else if (verb === "STARTTLS") {
      // RFC 3207 §4: nothing the client sent before the handshake may count afterwards. A client that
      // pipelined commands after STARTTLS would have them run as if they came over TLS: refuse it.
      if (plain.buffered > 0) {
        await send(tcp, "501 5.5.1 nothing may follow STARTTLS before the handshake");
        return;
      }
      await send(tcp, "220 2.0.0 ready to start TLS");
      const conn = await acceptTls(tcp, { cert, key }); // the same TCP connection, now TLS
      try {
        const info = await conn.handshake();
        // A new reader: nothing of the plain-text session carries over (RFC 3207 §4.2).
        const secure = new LineReader(conn);
        for (let line = await secure.line(); line !== null; line = await secure.line()) {
          const verb = line.split(" ")[0].toUpperCase();
          if (verb === "EHLO") {
            await send(conn, `250-localhost greets ${line.slice(5)} over ${info.protocol}`);
            await send(conn, "250 AUTH PLAIN"); // offered only now that a password would be encrypted
          } else if (verb === "QUIT") {
            await send(conn, "221 2.0.0 bye");
            break;
          } else {
            await send(conn, "502 5.5.2 not in this example");
          }
        }
      } finally {
        await conn.close(); // close_notify, then the TCP connection is closed
      }
      return;
    } else if (verb === "QUIT") {
      await send(tcp, "221 2.0.0 bye");
      break;
    } else {
      await send(tcp, "530 5.7.0 must issue a STARTTLS command first");
    }
  }
}

/** Serves SMTP-style sessions on `listener` until it is closed, each in a task of its own. */
async function serve(listener: Deno.Listener, cert: string, key: string): Promise<void> {
  const sessions = new Set<Promise<void>>();
  for await (const tcp of listener) {
    const session = serveSession(tcp, cert, key)
      .catch((e) => console.error(`session: ${e}`))
      .finally(() => sessions.delete(session));
    sessions.add(session);
  }
  await Promise.all(sessions);
}

/** Reads one reply (all its `250-` continuation lines); returns the lines. */
async function reply(lines: LineReader, expected: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const line = await lines.line();
    if (line === null) throw new Error("the server closed the connection");
    console.log(`  S: ${line}`);
    out.push(line);
    if (!line.startsWith(expected)) throw new Error(`expected a ${expected} reply, got "${line}"`);
    if (line[3] !== "-") return out;
  }
}

/** The client side of the upgrade, printing the dialogue. */
async function client(port: number, caCert: string): Promise<void> {
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  const plain = new LineReader(tcp);
  const say = async (conn: Deno.Conn, line: string) => {
    console.log(`  C: ${line}`);
    await send(conn, line);
  };
  await reply(plain, "220");
  await say(tcp, "EHLO client.example");
  const capabilities = await reply(plain, "250");
  if (!capabilities.some((l) => l.slice(4).toUpperCase() === "STARTTLS")) {
    throw new Error("the server does not offer STARTTLS"); // never go on in plain text
  }
  await say(tcp, "STARTTLS");
  await reply(plain, "220");
  const conn = await startTls(tcp, { serverName: "localhost", caCerts: [caCert] });
  const info = await conn.handshake();
  console.log(
    `  -- TLS: ${info.protocol} ${info.cipherSuite}, server ${info.peerCertificates[0].subject} --`,
  );
  const secure = new LineReader(conn);
  await say(conn, "EHLO client.example");
  await reply(secure, "250");
  await say(conn, "QUIT");
  await reply(secure, "221");
  await conn.close();
}

const USAGE = "usage: deno run -A examples/starttls_smtp.ts [--serve [--port N] [--cert FILE --key FILE]]";
let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: {
      serve: { type: "boolean" },
      port: { type: "string" },
      cert: { type: "string" },
      key: { type: "string" },
    },
  });
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  Deno.exit(2);
}
const { values } = parsed;
if (!values.serve && (values.cert !== undefined || values.key !== undefined)) {
  console.error(`--cert and --key go with --serve\n${USAGE}`);
  Deno.exit(2);
}
if ((values.cert === undefined) !== (values.key === undefined)) {
  console.error(`give --cert and --key together\n${USAGE}`);
  Deno.exit(2);
}

let cert: string, key: string, caCert: string | undefined;
if (values.cert !== undefined && values.key !== undefined) {
  cert = await Deno.readTextFile(values.cert);
  key = await Deno.readTextFile(values.key);
} else {
  const ca = await generateCertificate({ subject: "CN=Example Mail CA", isCA: true });
  const leaf = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    issuer: ca,
    extKeyUsage: ["serverAuth"],
  });
  ({ cert, key } = leaf);
  caCert = ca.cert;
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(values.port ?? 0) });
if (values.serve) {
  if (caCert !== undefined) {
    const caFile = await Deno.makeTempFile({ prefix: "example-ca-", suffix: ".pem" });
    await Deno.writeTextFile(caFile, caCert);
    console.log(`the CA is in ${caFile}`);
  }
  console.log(`listening on 127.0.0.1:${listener.addr.port}`);
  await serve(listener, cert, key);
} else {
  const serving = serve(listener, cert, key);
  console.log(`SMTP-style server on 127.0.0.1:${listener.addr.port}; the client's session:`);
  await client(listener.addr.port, caCert!);
  listener.close();
  await serving;
}
