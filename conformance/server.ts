/**
 * The server under test: a `listenTls` listener of this library that speaks enough HTTP for tlsfuzzer. Each
 * request (a header block ending in an empty line, CRLF or LF) gets a short `HTTP/1.0 200` answer on the
 * same connection; `GET /keyupdate` first sends a KeyUpdate that asks the client to update too (what
 * `test-tls13-keyupdate-from-server.py` expects). In echo mode every chunk of data is sent back as it came
 * (what the `*-lengths.py` scripts expect). The connection stays open until the client's close_notify, which
 * is answered with one.
 *
 * @module
 */

import {
  CertificateVerificationError,
  listenTls,
  type ListenTlsOptions,
  TlsAlertError,
  type TlsConn,
} from "../mod.ts";
import type { ConformancePki, ServerKey } from "./pki.ts";

/** How the server of one run is set up. */
export interface ServerSetup {
  /** Certificates by key type, the default (chosen when the client can verify it) first. */
  readonly keys: readonly ServerKey[];
  /** `http` (default) answers requests; `echo` sends back what it receives. */
  readonly mode?: "http" | "echo";
  /** Options of `listenTls` beyond the certificates (EMS, versions, client authentication, …). */
  readonly options?: Partial<Omit<ListenTlsOptions, "port" | "hostname" | "cert" | "key" | "certificates">>;
  /** Asks for a client certificate issued by the runs' root CA. */
  readonly clientAuth?: "request" | "require";
}

/** What the server saw during one script, for the runner's report. */
export interface ServerStats {
  handshakes: number;
  /** Failed handshakes by the message of their error (the alert, or the cause of a silent close). */
  readonly failures: Map<string, number>;
}

/** A running server; `close()` stops it and waits for its connections. */
export interface RunningServer extends AsyncDisposable {
  readonly port: number;
  readonly stats: ServerStats;
  close(): Promise<void>;
}

const RESPONSE_BODY = "subtls conformance server\n";
const RESPONSE = new TextEncoder().encode(
  `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${RESPONSE_BODY.length}\r\n\r\n` +
    RESPONSE_BODY,
);
/** Most bytes of an unfinished request kept; a longer one is answered and dropped. */
const MAX_REQUEST = 64 * 1024;
const decoder = new TextDecoder("latin1");

/** Starts a server on a free loopback port. */
export function startServer(pki: ConformancePki, setup: ServerSetup): RunningServer {
  const stats: ServerStats = { handshakes: 0, failures: new Map() };
  const count = (e: unknown) => {
    const key = summarize(e);
    stats.failures.set(key, (stats.failures.get(key) ?? 0) + 1);
  };
  const listener = listenTls({
    hostname: "127.0.0.1",
    port: 0,
    certificates: setup.keys.map((k) => ({ cert: pki.servers[k].cert, key: pki.servers[k].key })),
    ...(setup.clientAuth ? { clientAuth: setup.clientAuth, clientCaCerts: [pki.root.cert] } : {}),
    ...setup.options,
    onHandshakeError: count,
  });
  const tasks = new Set<Promise<void>>();
  const serve = setup.mode === "echo" ? echo : http;
  const loop = (async () => {
    for await (const conn of listener) {
      stats.handshakes++;
      const task = serve(conn).catch(() => {}).finally(() => conn.close());
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })();
  const close = async () => {
    listener.close();
    await loop.catch(() => {});
    await Promise.allSettled([...tasks]);
  };
  return { port: listener.addr.port, stats, close, [Symbol.asyncDispose]: close };
}

/** "sent decode_error", "received close_notify", or the message of an error that sent no alert. */
function summarize(e: unknown): string {
  if (e instanceof TlsAlertError) return `${e.source === "remote" ? "received" : "sent"} ${e.alert}`;
  if (e instanceof CertificateVerificationError) return `sent ${e.alert ?? "no alert"} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}

async function http(conn: TlsConn): Promise<void> {
  const buffer = new Uint8Array(65536);
  let pending = "";
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    pending += decoder.decode(buffer.subarray(0, n));
    for (let end = requestEnd(pending); end >= 0; end = requestEnd(pending)) {
      const request = pending.slice(0, end);
      pending = pending.slice(end);
      if (/^GET \/keyupdate[ ?]/.test(request)) await conn.updateKeys(true);
      await conn.write(RESPONSE);
    }
    if (pending.length > MAX_REQUEST) {
      pending = "";
      await conn.write(RESPONSE);
    }
  }
}

/** The index just past the empty line that ends the first request in `s`, or -1. */
function requestEnd(s: string): number {
  const m = /\r?\n\r?\n/.exec(s);
  return m ? m.index + m[0].length : -1;
}

async function echo(conn: TlsConn): Promise<void> {
  const buffer = new Uint8Array(16384);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    await conn.write(buffer.subarray(0, n));
  }
}
