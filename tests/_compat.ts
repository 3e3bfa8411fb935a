/**
 * The two implementations side by side, for `deno_compat_test.ts`: Deno's native `connectTls`/`listenTls`/
 * `startTls` and this library's, behind one interface, with helpers that turn what a connection did into a
 * plain value (bytes received, how reading ended, which error class) that the two can be compared on.
 *
 * @module
 */

import { connectTls, listenTls, type ListenTlsOptions, startTls, type TlsVersion } from "../mod.ts";
import { sharedChain } from "./_certs.ts";
import { generateCertificate } from "../x509/generate.ts";

/** Which implementation runs one end of a connection. */
export type Impl = "native" | "ours";

/** A TLS connection of either implementation: `Deno.Conn` plus `handshake()`. */
export type AnyTlsConn = Deno.Conn & { handshake(): Promise<{ alpnProtocol: string | null }> };

/** The certificates of the scenarios: a CA, a chain for 127.0.0.1/localhost, and one for another name. */
export interface CompatPki {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** A chain from the same CA whose only name is `other.example`. */
  readonly otherCert: string;
  readonly otherKey: string;
}

let pki: Promise<CompatPki> | undefined;

/** The certificates, made once per process. */
export function compatPki(): Promise<CompatPki> {
  pki ??= (async () => {
    const { root, inter, leaf } = await sharedChain();
    const other = await generateCertificate({
      subject: "CN=other.example",
      subjectAltNames: ["other.example"],
      issuer: inter,
    });
    return {
      ca: root.cert,
      cert: leaf.cert + inter.cert,
      key: leaf.key,
      otherCert: other.cert + inter.cert,
      otherKey: other.key,
    };
  })();
  return pki;
}

/** Options a scenario gives a listener. */
export interface ListenOptions {
  alpnProtocols?: string[];
  /** Serve the chain for `other.example` instead. */
  other?: boolean;
  /** Versions of our server (the native one cannot be restricted). */
  maxVersion?: TlsVersion;
  /** Told about connections our listener dropped (failed handshakes, accept errors). */
  onHandshakeError?: ListenTlsOptions["onHandshakeError"];
}

/** A listener of either implementation on 127.0.0.1, any free port. */
export interface AnyListener extends AsyncIterable<AnyTlsConn> {
  readonly port: number;
  accept(): Promise<AnyTlsConn>;
  close(): void;
}

/** Starts a TLS listener of `impl` on 127.0.0.1. */
export async function listen(impl: Impl, options: ListenOptions = {}): Promise<AnyListener> {
  const p = await compatPki();
  const cert = options.other ? p.otherCert : p.cert;
  const key = options.other ? p.otherKey : p.key;
  const base = { hostname: "127.0.0.1", port: 0, cert, key, alpnProtocols: options.alpnProtocols };
  const listener: Deno.Listener<AnyTlsConn, Deno.NetAddr> = impl === "native"
    ? Deno.listenTls(base)
    : listenTls({ ...base, maxVersion: options.maxVersion, onHandshakeError: options.onHandshakeError });
  return {
    port: listener.addr.port,
    accept: () => listener.accept(),
    close: () => listener.close(),
    [Symbol.asyncIterator]: () => listener[Symbol.asyncIterator](),
  };
}

/** Options a scenario gives a client. */
export interface ConnectOptions {
  hostname?: string;
  alpnProtocols?: string[];
  unsafelyDisableHostnameVerification?: boolean;
  /** Trust no CA of ours (an unknown issuer). */
  untrusted?: boolean;
  /** Versions of our client (the native one cannot be restricted). */
  maxVersion?: TlsVersion;
}

async function clientOptions(options: ConnectOptions) {
  const p = await compatPki();
  return {
    hostname: options.hostname ?? "127.0.0.1",
    alpnProtocols: options.alpnProtocols,
    caCerts: options.untrusted ? [] : [p.ca],
    unsafelyDisableHostnameVerification: options.unsafelyDisableHostnameVerification,
  };
}

/** `connectTls` of `impl`. */
export async function connect(impl: Impl, port: number, options: ConnectOptions = {}): Promise<AnyTlsConn> {
  const base = { ...await clientOptions(options), port };
  if (impl === "native") return await Deno.connectTls(base);
  // An empty caCerts is "trust nothing" for both.
  return await connectTls({ ...base, maxVersion: options.maxVersion, sessionCache: null });
}

/** A TCP connection upgraded with `startTls` of `impl`. */
export async function connectStartTls(
  impl: Impl,
  port: number,
  options: ConnectOptions = {},
): Promise<AnyTlsConn> {
  const base = await clientOptions(options);
  const tcp = await Deno.connect({ hostname: base.hostname, port });
  if (impl === "native") return await Deno.startTls(tcp, base);
  return await startTls(tcp, { ...base, maxVersion: options.maxVersion, sessionCache: null });
}

/** A connected pair: a client of one implementation, accepted by a listener of another. */
export interface Pair {
  readonly client: AnyTlsConn;
  readonly server: AnyTlsConn;
}

/** Connects a `clientImpl` client to `listener` and accepts it. */
export async function pair(
  clientImpl: Impl,
  listener: AnyListener,
  options: ConnectOptions = {},
): Promise<Pair> {
  const [client, server] = await Promise.all([
    connect(clientImpl, listener.port, options),
    listener.accept(),
  ]);
  return { client, server };
}

/** The name of the `Deno.errors` class `e` is an instance of, else its constructor's name. */
export function errorClass(e: unknown): string {
  for (const [name, cls] of Object.entries(Deno.errors)) {
    if (e instanceof cls) return name;
  }
  return (e as Error)?.constructor?.name ?? `${typeof e} ${String(e)}`;
}

/** How a promise settled: `ok` or `ok <value>`, or the error class it rejected with. */
export async function outcome(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    const value = await (typeof p === "function" ? p() : p);
    return value === undefined ? "ok" : `ok ${JSON.stringify(value)}`;
  } catch (e) {
    return errorClass(e);
  }
}

/** Deterministic bytes (a fixed xorshift stream), the same in every run. */
export function payload(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** What a side read: how many bytes, whether they were the expected ones, how reading ended. */
export interface Received {
  bytes: number;
  intact: boolean;
  end: string;
}

/**
 * Reads until the end of the stream (or an error) and compares what came with `expected`. With `upTo`, stops
 * after that many bytes (as a length-framed protocol does), leaving the end of the stream unread.
 */
export async function receive(conn: Deno.Conn, expected: Uint8Array, upTo?: number): Promise<Received> {
  const buf = new Uint8Array(64 * 1024);
  let bytes = 0;
  let intact = true;
  try {
    for (;;) {
      if (bytes === upTo) return { bytes, intact: intact && bytes === expected.length, end: "not read" };
      const n = await conn.read(
        upTo === undefined ? buf : buf.subarray(0, Math.min(buf.length, upTo - bytes)),
      );
      if (n === null) return { bytes, intact: intact && bytes === expected.length, end: "eof" };
      for (let i = 0; i < n && intact; i++) intact = expected[bytes + i] === buf[i];
      bytes += n;
    }
  } catch (e) {
    return { bytes, intact: false, end: errorClass(e) };
  }
}

/** Writes `data` with awaited writes of `chunk` bytes; `ok` or the error class. */
export function send(conn: Deno.Conn, data: Uint8Array, chunk: number): Promise<string> {
  return outcome(async () => {
    for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off, off + chunk));
  });
}

/** Closes without throwing (the native close throws on a second call). */
export function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
