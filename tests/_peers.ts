/**
 * Real TLS peers for the interop tests, each listening on 127.0.0.1 on a port of its own (tests of several
 * files run in parallel), each an `AsyncDisposable` to hold with `await using` so that no process, socket
 * or timer outlives its test:
 *
 * - {@link startOpenSslServer}: `openssl s_server`, TLS 1.3 only. Mode `"echo"` (`-quiet`): what the client
 *   sends, s_server writes raw to its stdout, and the harness writes it back into its stdin, which s_server
 *   sends to the client — a byte-exact echo of binary data through OpenSSL. Mode `"interactive"` (`-msg`):
 *   the test reads what s_server prints (received data, each TLS message, alerts) and writes lines to its
 *   stdin (`k` / `K` sends a KeyUpdate).
 * - {@link startGnutlsServer}: `gnutls-serv`, TLS 1.3 only by priority string. Mode `"echo"` echoes text
 *   lines (binary data makes it close), so echo payloads must be {@link textPayload}; mode `"http"` answers
 *   any `GET` with the bytes given as `httpData`.
 * - {@link startDenoServer}: `Deno.listenTls` (rustls) in this process, echoing bytes.
 * - {@link startNodeServer}: a Node `tls.createServer` child process echoing bytes with `socket.pipe(socket)`.
 *
 * A missing binary makes the start function throw: a test fails, it is never skipped.
 *
 * @module
 */
import type { CertAndKey } from "./_pki.ts";
import { PeerProcess, requireBinary, waitForPort } from "./_peer_process.ts";

export { PeerProcess } from "./_peer_process.ts";
export * from "./_payload.ts";

/** TLS 1.3 cipher suites, by IANA name. */
export const SUITES = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
] as const;
/** One of {@link SUITES}. */
export type Suite = typeof SUITES[number];
/** Key exchange groups, named as the client names them. */
export type Group = "X25519MLKEM768" | "X25519" | "P-256" | "P-384" | "P-521" | "X448";
/** The groups that OpenSSL 3.0, GnuTLS 3.7 and Node 20 have (no ML-KEM). */
export const CLASSIC_GROUPS = ["X25519", "P-256", "P-384"] as const satisfies readonly Group[];
/** The rarer groups OpenSSL 3.0 and GnuTLS 3.7 have too (tested once each, not in every combination). */
export const RARE_GROUPS = ["P-521", "X448"] as const satisfies readonly Group[];

// ---------------------------------------------------------------------------------------------------------
// openssl s_server

/** Options of {@link startOpenSslServer}. */
export interface OpenSslServerOptions {
  /** The server's certificate and key. */
  cert: CertAndKey;
  /** `-ciphersuites`; all three by default. */
  suites?: readonly Suite[];
  /** `-groups`; OpenSSL's default (X25519, P-256, P-384, …) when absent. */
  groups?: readonly Exclude<Group, "X25519MLKEM768">[];
  /**
   * `"echo"` (default): `-quiet`, and the harness pipes stdout back to stdin. `"interactive"`: `-msg`, the
   * test reads {@link PeerProcess.stdout} and writes to stdin with {@link PeerProcess.send}.
   */
  mode?: "echo" | "interactive";
  /** More `s_server` arguments. */
  extraArgs?: string[];
}

/**
 * Starts `openssl s_server -tls1_3` on 127.0.0.1.
 *
 * In `"interactive"` mode it binds port 0 and reports the port it got ("ACCEPT 127.0.0.1:N"); in `"echo"`
 * mode (`-quiet` prints nothing) it binds a free port found beforehand and is polled until it accepts,
 * retrying with another port if the port was taken in between.
 */
export async function startOpenSslServer(options: OpenSslServerOptions): Promise<PeerProcess> {
  await requireBinary("openssl", "apt-get install -y openssl");
  await requireTools();
  const mode = options.mode ?? "echo";
  const args = (accept: string) => [
    "s_server",
    "-accept",
    accept,
    "-tls1_3",
    "-cert",
    options.cert.certPath,
    "-key",
    options.cert.keyPath,
    "-ciphersuites",
    (options.suites ?? SUITES).join(":"),
    ...(options.groups ? ["-groups", options.groups.join(":")] : []),
    ...(mode === "echo" ? ["-quiet"] : ["-msg"]),
    ...(options.extraArgs ?? []),
  ];
  if (mode === "interactive") {
    const peer = PeerProcess.spawn("openssl s_server", ["stdbuf", "-o0", "openssl", ...args("127.0.0.1:0")]);
    try {
      const match = await peer.waitFor("stdout", /^ACCEPT 127\.0\.0\.1:(\d+)$/m);
      peer.port = Number(match[1]);
      return peer;
    } catch (e) {
      await peer.stop();
      throw e;
    }
  }
  return await startOnFreePort(
    "openssl s_server",
    (port) =>
      PeerProcess.spawn("openssl s_server", ["stdbuf", "-o0", "openssl", ...args(`127.0.0.1:${port}`)], {
        echoStdout: true,
      }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// gnutls-serv

/** GnuTLS's names of the suites' ciphers (in priority strings and on gnutls-serv's stdout). */
export const GNUTLS_CIPHER: Record<Suite, string> = {
  TLS_AES_128_GCM_SHA256: "AES-128-GCM",
  TLS_AES_256_GCM_SHA384: "AES-256-GCM",
  TLS_CHACHA20_POLY1305_SHA256: "CHACHA20-POLY1305",
};
/** GnuTLS's names of the groups (`+GROUP-…` in priority strings, "Using curve: …" on stdout). */
export const GNUTLS_GROUP: Record<Exclude<Group, "X25519MLKEM768">, string> = {
  "X25519": "X25519",
  "P-256": "SECP256R1",
  "P-384": "SECP384R1",
  "P-521": "SECP521R1",
  "X448": "X448",
};

/** Options of {@link startGnutlsServer}. */
export interface GnutlsServerOptions {
  /** The server's certificate and key. */
  cert: CertAndKey;
  /** Cipher suites to allow; GnuTLS's `NORMAL` set when absent. */
  suites?: readonly Suite[];
  /** Groups to allow; GnuTLS's `NORMAL` set when absent. */
  groups?: readonly Exclude<Group, "X25519MLKEM768">[];
  /** `"echo"` (default): `--echo`, text lines only. `"http"`: `--http`, answering with `httpData`. */
  mode?: "echo" | "http";
  /** The body of every HTTP response in `"http"` mode; GnuTLS's status page when absent. */
  httpData?: Uint8Array;
  /** A whole priority string instead of the TLS 1.3 one `suites` and `groups` make (e.g. for TLS 1.2). */
  priority?: string;
}

/** The GnuTLS priority string for TLS 1.3 only, limited to `suites` and `groups` when given. */
export function gnutlsPriority(
  suites?: readonly Suite[],
  groups?: readonly Exclude<Group, "X25519MLKEM768">[],
): string {
  let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
  if (suites) priority += ":-CIPHER-ALL:" + suites.map((s) => "+" + GNUTLS_CIPHER[s]).join(":");
  if (groups) priority += ":-GROUP-ALL:" + groups.map((g) => "+GROUP-" + GNUTLS_GROUP[g]).join(":");
  return priority;
}

/**
 * Starts `gnutls-serv` (it listens on all interfaces, so the free port is found on 0.0.0.0) and waits
 * until it says it listens and accepts a connection. It prints each connection's parameters to stdout
 * ("- Cipher: AES-128-GCM", " - Using curve: X25519").
 */
export async function startGnutlsServer(options: GnutlsServerOptions): Promise<PeerProcess> {
  await requireBinary("gnutls-serv", "apt-get install -y gnutls-bin");
  await requireTools();
  const mode = options.mode ?? "echo";
  let dataDir: string | undefined;
  const extra: string[] = [];
  if (mode === "http" && options.httpData) {
    dataDir = await Deno.makeTempDir({ prefix: "subtls-gnutls-" });
    await Deno.writeFile(`${dataDir}/data`, options.httpData);
    extra.push(`--httpdata=${dataDir}/data`);
  }
  try {
    const peer = await startOnFreePort(
      "gnutls-serv",
      (port) =>
        PeerProcess.spawn("gnutls-serv", [
          "stdbuf",
          "-o0",
          "gnutls-serv",
          "--port",
          String(port),
          mode === "echo" ? "--echo" : "--http",
          ...extra,
          `--x509certfile=${options.cert.certPath}`,
          `--x509keyfile=${options.cert.keyPath}`,
          `--priority=${options.priority ?? gnutlsPriority(options.suites, options.groups)}`,
        ]),
      async (peer) => {
        await peer.waitFor("stderr", new RegExp(`IPv4 0\\.0\\.0\\.0 port ${peer.port}\\.\\.\\.done`));
      },
      "0.0.0.0",
    );
    if (dataDir) {
      const dir = dataDir;
      peer.addCleanup(() => Deno.remove(dir, { recursive: true }));
      dataDir = undefined; // the peer owns it now
    }
    return peer;
  } finally {
    if (dataDir) await Deno.remove(dataDir, { recursive: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Node tls.createServer

/** Options of {@link startNodeServer}. */
export interface NodeServerOptions {
  /** The server's certificate and key. */
  cert: CertAndKey;
  /** TLS 1.3 cipher suites (`ciphers`); Node's default when absent. */
  suites?: readonly Suite[];
  /** Groups (`ecdhCurve`); Node's default when absent. */
  groups?: readonly Exclude<Group, "X25519MLKEM768">[];
  /** `ALPNProtocols`. */
  alpnProtocols?: string[];
}

/** The Node program: a TLS 1.3 echo server that prints one JSON line per event. */
const NODE_SERVER = `
const fs = require("node:fs");
const tls = require("node:tls");
const o = JSON.parse(process.argv[1]);
const log = (event) => process.stdout.write(JSON.stringify(event) + "\\n");
const server = tls.createServer({
  key: fs.readFileSync(o.keyPath),
  cert: fs.readFileSync(o.certPath),
  minVersion: "TLSv1.3",
  maxVersion: "TLSv1.3",
  ...(o.ciphers ? { ciphers: o.ciphers } : {}),
  ...(o.ecdhCurve ? { ecdhCurve: o.ecdhCurve } : {}),
  ...(o.alpn ? { ALPNProtocols: o.alpn } : {}),
}, (socket) => {
  const cipher = socket.getCipher();
  log({ event: "secure", protocol: socket.getProtocol(), cipher: cipher.standardName || cipher.name,
    alpn: socket.alpnProtocol || null });
  socket.on("error", (e) => log({ event: "socketError", code: e.code || null, message: e.message }));
  socket.on("close", () => log({ event: "close" }));
  socket.pipe(socket);
});
server.on("tlsClientError", (e) => log({ event: "tlsClientError", code: e.code || null, message: e.message }));
server.listen(0, "127.0.0.1", () => log({ event: "ready", port: server.address().port }));
// Exit when the harness goes away (its end of stdin closes), even if it could not stop this process.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/** Starts a Node TLS 1.3 echo server; it prints `{"event":"ready","port":N}` once it listens. */
export async function startNodeServer(options: NodeServerOptions): Promise<PeerProcess> {
  await requireBinary("node", "install Node.js");
  await requireTools();
  const config = {
    certPath: options.cert.certPath,
    keyPath: options.cert.keyPath,
    ciphers: options.suites?.join(":"),
    ecdhCurve: options.groups?.join(":"),
    alpn: options.alpnProtocols,
  };
  const peer = PeerProcess.spawn("node tls server", ["node", "-e", NODE_SERVER, JSON.stringify(config)]);
  try {
    const match = await peer.waitFor("stdout", /^\{"event":"ready","port":(\d+)\}$/m);
    peer.port = Number(match[1]);
    return peer;
  } catch (e) {
    await peer.stop();
    throw e;
  }
}

/** The JSON events a Node server printed so far, such as `{ event: "secure", cipher: "TLS_…" }`. */
export function nodeEvents(peer: PeerProcess): Record<string, unknown>[] {
  return peer.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

// ---------------------------------------------------------------------------------------------------------
// Deno.listenTls (in-process)

/** Options of {@link startDenoServer}. */
export interface DenoServerOptions {
  /** The server's certificate and key. */
  cert: CertAndKey;
  /** `alpnProtocols` of `Deno.listenTls`. */
  alpnProtocols?: string[];
}

/** A `Deno.listenTls` echo server in this process. */
export class DenoEchoServer implements AsyncDisposable {
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /** Each completed handshake, in order. */
  readonly handshakes: Deno.TlsHandshakeInfo[] = [];
  /** Each connection's error (a failed handshake, a reset), in order. */
  readonly errors: unknown[] = [];
  #listener: Deno.TlsListener;
  #conns = new Set<Deno.TlsConn>();
  #tasks = new Set<Promise<void>>();
  #acceptLoop: Promise<void>;

  constructor(options: DenoServerOptions) {
    this.#listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: options.cert.cert,
      key: options.cert.key,
      alpnProtocols: options.alpnProtocols,
    });
    this.port = this.#listener.addr.port;
    this.#acceptLoop = this.#accept();
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TlsConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // the listener was closed
      }
      this.#conns.add(conn);
      const task = this.#echo(conn).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  async #echo(conn: Deno.TlsConn): Promise<void> {
    try {
      this.handshakes.push(await conn.handshake());
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
      }
    } catch (e) {
      this.errors.push(e);
    } finally {
      try {
        conn.close();
      } catch {
        // closed by stop()
      }
    }
  }

  /** Closes the listener and every connection, and waits until all of them are done. */
  async stop(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
    await this.#acceptLoop;
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    await Promise.all(this.#tasks);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Starts a {@link DenoEchoServer}; it accepts connections at once. */
export function startDenoServer(options: DenoServerOptions): Promise<DenoEchoServer> {
  return Promise.resolve(new DenoEchoServer(options));
}

// ---------------------------------------------------------------------------------------------------------

/** A port that was free a moment ago on `hostname`. */
export function freePort(hostname = "127.0.0.1"): number {
  const listener = Deno.listen({ hostname, port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Starts a peer that must be given its port up front: picks a free port, waits until the peer accepts
 * connections there, and tries another port (up to 5 in all) when the peer says the port is in use.
 */
async function startOnFreePort(
  name: string,
  spawn: (port: number) => PeerProcess,
  ready?: (peer: PeerProcess) => Promise<void>,
  hostname = "127.0.0.1",
): Promise<PeerProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = freePort(hostname);
    const peer = spawn(port);
    peer.port = port;
    try {
      await ready?.(peer);
      await waitForPort(peer);
      return peer;
    } catch (e) {
      await peer.stop();
      lastError = e;
      if (!/address already in use|could not bind|bind\(\)/i.test(peer.stderr + peer.stdout)) throw e;
    }
  }
  throw new Error(`${name}: no free port after 5 attempts`, { cause: lastError });
}

/** Checks for the tools every peer process runs under. */
async function requireTools(): Promise<void> {
  await requireBinary("timeout", "apt-get install -y coreutils");
  await requireBinary("stdbuf", "apt-get install -y coreutils");
}
