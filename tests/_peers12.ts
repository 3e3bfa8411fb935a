/**
 * Helpers of the TLS 1.2 interop tests: the suites with their OpenSSL and GnuTLS names and the certificate
 * that serves each, `openssl s_server -tls1_2`, command-line clients run to completion, a client
 * certificate, Node and Python TLS 1.2 peers, and a TCP relay that can rewrite the ClientHello on its way
 * (a man in the middle). A missing binary fails the test: it is never skipped.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import type { Tls12CipherSuiteName } from "../mod.ts";
import { ContentType, encodeRecord, HEADER_LENGTH } from "../record/framing.ts";
import { generateCertificate } from "../x509/generate.ts";
import { PeerProcess, requireBinary } from "./_peer_process.ts";
import { type CertAndKey, type CertType, testPki } from "./_pki.ts";

/** A TLS 1.2 ECDHE suite, its names in OpenSSL and GnuTLS, and the test certificate that serves it. */
export interface Suite12 {
  /** IANA name. */
  readonly name: Tls12CipherSuiteName;
  /** OpenSSL's name (`-cipher`, and s_client's "Cipher is"). */
  readonly openssl: string;
  /** GnuTLS's cipher name (`+AES-128-GCM` in a priority string). */
  readonly gnutls: string;
  /** The leaf of the test PKI that authenticates it. */
  readonly cert: CertType;
}

/** The six ECDHE suites: ECDSA ones with the ECDSA P-256 leaf, RSA ones with the RSA-2048 leaf. */
export const ECDHE_SUITES: readonly Suite12[] = [
  suite12("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "AES-128-GCM"),
  suite12("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", "AES-256-GCM"),
  suite12(
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "CHACHA20-POLY1305",
  ),
  suite12("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "AES-128-GCM"),
  suite12("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "AES-256-GCM"),
  suite12("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", "CHACHA20-POLY1305"),
];

function suite12(name: Tls12CipherSuiteName, openssl: string, gnutls: string): Suite12 {
  return { name, openssl, gnutls, cert: name.includes("ECDSA") ? "ECDSA P-256" : "RSA-2048" };
}

/** The GnuTLS priority string for TLS 1.2 only, with `extra` appended (e.g. `%NO_SESSION_HASH`). */
export function gnutls12Priority(extra = ""): string {
  return "NORMAL:-VERS-ALL:+VERS-TLS1.2" + extra;
}

/** Starts `openssl s_server -tls1_2 …args` on 127.0.0.1 (a port of its own, read from its "ACCEPT" line). */
export async function startOpenSsl12Server(args: string[]): Promise<PeerProcess> {
  await requireBinary("openssl", "apt-get install -y openssl");
  await requireBinary("stdbuf", "apt-get install -y coreutils");
  const peer = PeerProcess.spawn("openssl s_server -tls1_2", [
    "stdbuf",
    "-o0",
    "openssl",
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-tls1_2",
    ...args,
  ]);
  try {
    peer.port = Number((await peer.waitFor("stdout", /^ACCEPT 127\.0\.0\.1:(\d+)$/m))[1]);
    return peer;
  } catch (e) {
    await peer.stop();
    throw e;
  }
}

/** `-cert`/`-key` arguments for `cert`. */
export function certArgs(cert: CertAndKey): string[] {
  return ["-cert", cert.certPath, "-key", cert.keyPath];
}

export { describeTool, runTool, type ToolResult } from "./_peer_process.ts";

const clientCerts = new Map<string, Promise<CertAndKey>>();

/**
 * A client certificate (EKU clientAuth, subject "CN=`name`") issued by the test root, as files; made once per
 * name and process.
 */
export function clientCertificateFiles(name: string): Promise<CertAndKey> {
  let made = clientCerts.get(name);
  if (!made) {
    made = (async () => {
      const pki = await testPki();
      const cert = await generateCertificate({
        subject: `CN=${name}`,
        subjectAltNames: [],
        issuer: pki.root,
        extKeyUsage: ["clientAuth"],
      });
      const base = `${pki.dir}/${name.replaceAll(" ", "-")}`;
      await Deno.writeTextFile(`${base}.pem`, cert.cert);
      await Deno.writeTextFile(`${base}.key`, cert.key);
      return { cert: cert.cert, key: cert.key, certPath: `${base}.pem`, keyPath: `${base}.key` };
    })();
    clientCerts.set(name, made);
  }
  return made;
}

/** The TLS 1.2 tests' client certificate, "CN=tls12 client". */
export function tls12ClientCertificate(): Promise<CertAndKey> {
  return clientCertificateFiles("tls12 client");
}

// ---------------------------------------------------------------------------------------------------------
// Node and Python

/** A Node TLS 1.2 echo server; prints `{"event":"ready","port":N}`, then one JSON line per connection. */
export const NODE_SERVER_12 = `
const fs = require("node:fs");
const tls = require("node:tls");
const o = JSON.parse(process.argv[1]);
const log = (event) => process.stdout.write(JSON.stringify(event) + "\\n");
const server = tls.createServer({
  key: fs.readFileSync(o.keyPath), cert: fs.readFileSync(o.certPath), maxVersion: "TLSv1.2",
  ...(o.ciphers ? { ciphers: o.ciphers } : {}),
}, (socket) => {
  const cipher = socket.getCipher();
  log({ event: "secure", protocol: socket.getProtocol(), cipher: cipher.standardName || cipher.name });
  socket.on("error", (e) => log({ event: "socketError", code: e.code || null, message: e.message }));
  socket.pipe(socket);
});
server.on("tlsClientError", (e) => log({ event: "tlsClientError", code: e.code || null, message: e.message }));
server.listen(0, "127.0.0.1", () => log({ event: "ready", port: server.address().port }));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/** A Node TLS 1.2 client: sends a line, reads to the end, prints one JSON line. */
export const NODE_CLIENT_12 = `
const fs = require("node:fs");
const tls = require("node:tls");
const o = JSON.parse(process.argv[1]);
const line = Buffer.from("node tls 1.2 ".repeat(5000) + "\\n");
const chunks = [];
const socket = tls.connect({
  host: "127.0.0.1", port: o.port, servername: "localhost", ca: fs.readFileSync(o.ca), maxVersion: "TLSv1.2",
  ...(o.ciphers ? { ciphers: o.ciphers } : {}),
  ...(o.cert ? { cert: fs.readFileSync(o.cert), key: fs.readFileSync(o.key) } : {}),
}, () => socket.write(line));
socket.on("data", (d) => chunks.push(d));
socket.on("end", () => {
  const cipher = socket.getCipher();
  console.log(JSON.stringify({ protocol: socket.getProtocol(), cipher: cipher.standardName || cipher.name,
    authorized: socket.authorized, same: Buffer.concat(chunks).equals(line) }));
});
socket.on("error", (e) => console.log(JSON.stringify({ error: e.code || null, message: e.message })));
`;

/** A Python TLS 1.2 client (maximum_version TLSv1_2): sends a line, reads to the end, prints JSON. */
export const PYTHON_CLIENT_12 = `
import json, socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
with socket.create_connection(("127.0.0.1", port)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        line = b"python tls 1.2 " * 1000 + b"\\n"
        s.sendall(line)
        back = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            back += chunk
        print(json.dumps({"version": s.version(), "cipher": s.cipher()[0], "same": back == line}))
`;

/** A Python TLS 1.2 server (maximum_version TLSv1_2) for one connection: echoes what it reads until EOF. */
export const PYTHON_SERVER_12 = `
import json, socket, ssl, sys
cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(cert, key)
with socket.create_server(("127.0.0.1", 0)) as listener:
    print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
    raw, _ = listener.accept()
    with ctx.wrap_socket(raw, server_side=True) as s:
        print(json.dumps({"version": s.version(), "cipher": s.cipher()[0]}), flush=True)
        while True:
            data = s.recv(65536)
            if not data:
                break
            s.sendall(data)
        s.unwrap()
`;

// ---------------------------------------------------------------------------------------------------------
// A man in the middle

/**
 * A TCP relay on 127.0.0.1 to `targetPort`, for one connection at a time. The client's first record — its
 * ClientHello, which must fit in one record — goes through `rewrite` (given and returning the handshake
 * message, header included), and the record is rebuilt around the result, its length fixed; everything else
 * is copied as it comes; `fromServer`, when given, sees every chunk the server sends.
 */
export class Relay implements AsyncDisposable {
  readonly #listener: Deno.TcpListener;
  readonly #tasks = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #loop: Promise<void>;

  constructor(
    readonly targetPort: number,
    readonly rewrite: (clientHello: Uint8Array) => Uint8Array,
    readonly fromServer?: (chunk: Uint8Array) => void,
  ) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#accept();
  }

  /** The port the relay listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let client: Deno.Conn;
      try {
        client = await this.#listener.accept();
      } catch {
        return;
      }
      const task = this.#relay(client).catch(() => {}).finally(() => this.#tasks.delete(task));
      this.#tasks.add(task);
    }
  }

  async #relay(client: Deno.Conn): Promise<void> {
    const server = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    this.#conns.add(client).add(server);
    try {
      let buffered: Uint8Array = new Uint8Array(0);
      const buf = new Uint8Array(65536);
      while (buffered.length < HEADER_LENGTH || buffered.length < HEADER_LENGTH + recordLength(buffered)) {
        const n = await client.read(buf);
        if (n === null) return;
        buffered = concat(buffered, buf.subarray(0, n));
      }
      const end = HEADER_LENGTH + recordLength(buffered);
      const version = (buffered[1] << 8) | buffered[2];
      const hello = this.rewrite(buffered.slice(HEADER_LENGTH, end));
      await writeAll(
        server,
        concat(encodeRecord(ContentType.handshake, version, hello), buffered.subarray(end)),
      );
      await Promise.all([pipe(client, server), pipe(server, client, this.fromServer)]);
    } finally {
      for (const c of [client, server]) {
        this.#conns.delete(c);
        try {
          c.close();
        } catch {
          // already closed
        }
      }
    }
  }

  /** Stops listening, closes every relayed connection and waits for them. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#loop;
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#tasks);
  }
}

function recordLength(header: Uint8Array): number {
  return (header[3] << 8) | header[4];
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Copies `from` to `to` (showing each chunk to `tap`) until `from` ends or either fails; then half-closes `to`. */
async function pipe(from: Deno.Conn, to: Deno.Conn, tap?: (chunk: Uint8Array) => void): Promise<void> {
  const buf = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      tap?.(buf.slice(0, n));
      await writeAll(to, buf.subarray(0, n));
    }
    await to.closeWrite();
  } catch {
    // one side went away: the finally of #relay closes both
  }
}
