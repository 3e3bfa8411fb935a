/**
 * Helpers for the server tests: an in-memory byte pipe, a PKI made with the library's own
 * `generateCertificate` (no OpenSSL needed), and a `listenTls` server that answers one line per connection
 * (or one HTTP request) and records every handshake and every failure, disposable with `await using`.
 *
 * @module
 */
import type { StreamPair } from "../connection/transport.ts";
import {
  listenTls,
  type ListenTlsOptions,
  type TlsConn,
  type TlsHandshakeInfo,
  type TlsListener,
} from "../mod.ts";
import { generateCertificate, type GeneratedCertificate } from "../x509/generate.ts";
import type { KeyPairAlgorithm } from "../crypto/keygen.ts";

/**
 * The connection of `connectTls`/`startTls` once its handshake is complete: they resolve before it (as Deno's
 * do), so this waits for `handshake()` too, and rejects with its error.
 */
export async function completed(pending: Promise<TlsConn>): Promise<TlsConn> {
  const conn = await pending;
  await conn.handshake();
  return conn;
}

/** Taps on an in-memory pipe: each sees the chunks written in its direction. */
export interface PipeTaps {
  toClient?: (chunk: Uint8Array) => void;
  toServer?: (chunk: Uint8Array) => void;
}

/** Two connected in-memory transports `[client, server]`: what one side writes the other reads. */
export function memoryPipe(taps: PipeTaps = {}): [StreamPair, StreamPair] {
  const stream = (tap?: (chunk: Uint8Array) => void) =>
    new TransformStream<Uint8Array, Uint8Array>(
      {
        transform(chunk, controller) {
          tap?.(chunk);
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 1024 },
      { highWaterMark: 1024 },
    );
  const toServer = stream(taps.toServer);
  const toClient = stream(taps.toClient);
  return [
    { readable: toClient.readable, writable: toServer.writable },
    { readable: toServer.readable, writable: toClient.writable },
  ];
}

/** Splits a captured byte stream into TLS records (type and fragment); a partial record at the end is dropped. */
export function records(chunks: readonly Uint8Array[]): { type: number; fragment: Uint8Array }[] {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  const out = [];
  for (let i = 0; i + 5 <= all.length;) {
    const length = (all[i + 3] << 8) | all[i + 4];
    if (i + 5 + length > all.length) break;
    out.push({ type: all[i], fragment: all.subarray(i + 5, i + 5 + length) });
    i += 5 + length;
  }
  return out;
}

/** Key types of the generated server certificates, named as in test names. */
export const GENERATED_TYPES = {
  "ECDSA P-256": "ECDSA-P256",
  "ECDSA P-384": "ECDSA-P384",
  "RSA-2048": "RSA-2048",
  "RSA-PSS-2048": "RSA-PSS-2048",
  "Ed25519": "Ed25519",
} as const satisfies Record<string, KeyPairAlgorithm>;
/** One of the keys of {@link GENERATED_TYPES}. */
export type GeneratedType = keyof typeof GENERATED_TYPES;

/** The generated PKI of the server tests. */
export interface ServerPki {
  /** The CA every certificate below but `untrustedClient` chains to. */
  root: GeneratedCertificate;
  /** "localhost" (and 127.0.0.1) server certificates, one per key type. */
  leaves: Record<GeneratedType, GeneratedCertificate>;
  /** Server certificates for SNI: `a.example` and `b.example`. */
  a: GeneratedCertificate;
  b: GeneratedCertificate;
  /** A client certificate (EKU clientAuth) issued by `root`. */
  client: GeneratedCertificate;
  /** An Ed25519 client certificate issued by `root`. */
  clientEd25519: GeneratedCertificate;
  /** A client certificate issued by an unrelated CA. */
  untrustedClient: GeneratedCertificate;
  /** A certificate issued by `root` whose extended key usage is serverAuth only. */
  serverOnly: GeneratedCertificate;
}

async function makePki(): Promise<ServerPki> {
  const root = await generateCertificate({ subject: "CN=subtls Server Test Root", isCA: true });
  const other = await generateCertificate({ subject: "CN=subtls Unrelated Root", isCA: true });
  const leafEntries = await Promise.all(
    Object.entries(GENERATED_TYPES).map(async ([name, keyAlgorithm]) =>
      [
        name,
        await generateCertificate({
          subject: "CN=localhost",
          subjectAltNames: ["localhost", "127.0.0.1"],
          issuer: root,
          keyAlgorithm,
          extKeyUsage: ["serverAuth"],
        }),
      ] as const
    ),
  );
  const issue = (
    subject: string,
    names: string[],
    extra: Partial<Parameters<typeof generateCertificate>[0]> = {},
  ) => generateCertificate({ subject, subjectAltNames: names, issuer: root, ...extra });
  return {
    root,
    leaves: Object.fromEntries(leafEntries) as Record<GeneratedType, GeneratedCertificate>,
    a: await issue("CN=a.example", ["a.example"]),
    b: await issue("CN=b.example", ["b.example", "*.b.example"]),
    client: await issue("CN=test client", [], { extKeyUsage: ["clientAuth"] }),
    clientEd25519: await issue("CN=ed25519 client", [], {
      extKeyUsage: ["clientAuth"],
      keyAlgorithm: "Ed25519",
    }),
    untrustedClient: await generateCertificate({
      subject: "CN=untrusted client",
      subjectAltNames: [],
      issuer: other,
      extKeyUsage: ["clientAuth"],
    }),
    serverOnly: await issue("CN=server only", [], { extKeyUsage: ["serverAuth"] }),
  };
}

let cached: Promise<ServerPki> | undefined;

/** The generated PKI, made once per test process. */
export function serverPki(): Promise<ServerPki> {
  cached ??= makePki();
  return cached;
}

/** A `listenTls` server for tests; see {@link startLineServer}. */
export class LineServer implements AsyncDisposable {
  /** Every completed handshake, in order. */
  readonly handshakes: TlsHandshakeInfo[] = [];
  /** Every failed handshake's error (from `onHandshakeError`), in order. */
  readonly errors: unknown[] = [];
  /** Errors of accepted connections (reading, writing). */
  readonly connErrors: unknown[] = [];
  readonly listener: TlsListener;
  #loop: Promise<void>;
  #tasks = new Set<Promise<void>>();
  #changed = Promise.withResolvers<void>();

  constructor(
    options: Omit<ListenTlsOptions, "port"> & { port?: number },
    readonly respond: (conn: TlsConn) => Promise<void>,
  ) {
    this.listener = listenTls({
      hostname: "127.0.0.1",
      port: 0,
      ...options,
      onHandshakeError: (e, addr) => {
        this.errors.push(e);
        options.onHandshakeError?.(e, addr);
        this.#notify();
      },
    });
    this.#loop = this.#accept();
  }

  /** The port the server listens on (127.0.0.1). */
  get port(): number {
    return this.listener.addr.port;
  }

  #notify() {
    const c = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    c.resolve();
  }

  async #accept(): Promise<void> {
    for await (const conn of this.listener) {
      const task = (async () => {
        try {
          this.handshakes.push(await conn.handshake());
          this.#notify();
          await this.respond(conn);
        } catch (e) {
          this.connErrors.push(e);
        } finally {
          conn.close();
          this.#notify();
        }
      })();
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  /** Waits (up to 10 s) until `count` handshake failures have been recorded. */
  async waitForErrors(count = 1): Promise<unknown[]> {
    const deadline = Date.now() + 10_000;
    while (this.errors.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`no handshake error within 10 s (have ${this.errors.length})`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#changed.promise, new Promise((r) => timer = setTimeout(r, 100))]);
      clearTimeout(timer);
    }
    return this.errors;
  }

  /** Waits (up to 10 s) until `count` handshakes have completed. */
  async waitForHandshakes(count = 1): Promise<TlsHandshakeInfo[]> {
    const deadline = Date.now() + 10_000;
    while (this.handshakes.length < count) {
      if (Date.now() > deadline) throw new Error(`no handshake within 10 s (have ${this.handshakes.length})`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.#changed.promise, new Promise((r) => timer = setTimeout(r, 100))]);
      clearTimeout(timer);
    }
    return this.handshakes;
  }

  /** Closes the listener and waits for its connections to finish. */
  async stop(): Promise<void> {
    this.listener.close();
    await this.#loop;
    await Promise.all(this.#tasks);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Reads one line (up to and including "\n") or until the end; returns it without decoding. */
export async function readLine(conn: TlsConn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
    if (buf[n - 1] === 0x0a) break;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * After this side's close_notify, reads (and drops) whatever the peer still sends until it closes too or
 * `ms` pass, through the application's own reads (`close()` does the same internally).
 */
export async function lingerAfterClose(conn: TlsConn, ms = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const buf = new Uint8Array(16 * 1024);
  const drain = (async () => {
    try {
      while ((await conn.read(buf)) !== null) { /* dropped */ }
    } catch {
      // the peer reset or closed without close_notify: nothing more to wait for
    }
  })();
  await Promise.race([drain, new Promise((r) => timer = setTimeout(r, ms))]);
  clearTimeout(timer);
}

/**
 * A server that, on each connection, reads one line, writes it back and closes with close_notify — enough
 * for a command-line client to send a line, print what comes back, and exit when the server closes.
 */
export function startLineServer(options: Omit<ListenTlsOptions, "port">): LineServer {
  return new LineServer(options, async (conn) => {
    const line = await readLine(conn);
    await conn.write(line);
    // close_notify after everything written; close() then reads until the client closes too (at most
    // CLOSE_LINGER_MS without progress), so the client's last records never turn into a reset.
    await conn.close();
  });
}

/** A server answering one HTTP/1.x request per connection with `body` (for curl). */
export function startHttpServer(options: Omit<ListenTlsOptions, "port">, body: Uint8Array): LineServer {
  return new LineServer(options, async (conn) => {
    const decoder = new TextDecoder();
    let request = "";
    const buf = new Uint8Array(16 * 1024);
    while (!request.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) return;
      request += decoder.decode(buf.subarray(0, n));
    }
    const head =
      `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n` +
      "Connection: close\r\n\r\n";
    await conn.write(new TextEncoder().encode(head));
    for (let off = 0; off < body.length; off += 64 * 1024) {
      await conn.write(body.subarray(off, off + 64 * 1024));
    }
    // close_notify after everything written; close() then reads until the client closes too (at most
    // CLOSE_LINGER_MS without progress), so the client's last records never turn into a reset.
    await conn.close();
  });
}
