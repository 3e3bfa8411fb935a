/**
 * Helpers for the resumption tests: this library's client and server over an in-memory pipe, each with its
 * own clock, a trace of the handshake messages each side saw, and bytes that a test can slip in after the
 * ClientHello (early data a client sends before any answer).
 *
 * @module
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { type ClientTestOptions, startTlsWithTestOptions } from "../connection/client.ts";
import { resolveServerConfig, serverConn } from "../connection/server.ts";
import { type StreamPair, toByteTransport } from "../connection/transport.ts";
import {
  type AcceptTlsOptions,
  type CachedSession,
  type SessionCache,
  SessionTicketKeys,
  type StartTlsOptions,
  TlsAlertError,
  type TlsConn,
  type TlsHandshakeInfo,
  type TraceEvent,
} from "../mod.ts";
import { serverPki } from "./_server.ts";

/** A `SessionCache` over a Map that records each call, as `"get key"`, `"set key"`, `"delete key"`. */
export class SpyCache implements SessionCache {
  readonly entries = new Map<string, CachedSession>();
  readonly calls: string[] = [];
  get(key: string): CachedSession | undefined {
    this.calls.push(`get ${key}`);
    return this.entries.get(key);
  }
  set(key: string, ticket: CachedSession): void {
    this.calls.push(`set ${key}`);
    this.entries.set(key, ticket);
  }
  delete(key: string): void {
    this.calls.push(`delete ${key}`);
    this.entries.delete(key);
  }
}

/** Two connected in-memory transports `[client, server]`; `inject` goes to the server after the first chunk. */
function pipe(inject: readonly Uint8Array[]): [StreamPair, StreamPair] {
  let chunks = 0;
  // Room for whole flights in each direction, so that neither side waits for the other to read.
  const room = { highWaterMark: 1024 };
  const toServer = new TransformStream<Uint8Array, Uint8Array>(
    {
      transform(chunk, controller) {
        controller.enqueue(chunk);
        if (chunks++ === 0) { for (const bytes of inject) controller.enqueue(bytes); }
      },
    },
    room,
    room,
  );
  const toClient = new TransformStream<Uint8Array, Uint8Array>({}, room, room);
  return [
    { readable: toClient.readable, writable: toServer.writable },
    { readable: toServer.readable, writable: toClient.writable },
  ];
}

/** What one side of a connection did. */
export interface Side {
  /** The connection, or the error its handshake failed with. */
  readonly result: PromiseSettledResult<TlsConn>;
  /** Handshake messages, as `"sent client_hello"`, `"received finished"`, … */
  readonly messages: string[];
  /** The extensions of each ClientHello or ServerHello, sent or received, in order. */
  readonly helloExtensions: string[][];
}

/** The options of one connection between this library's client and server. */
export interface PairOptions {
  /** Server options (the ECDSA P-256 "localhost" certificate is added); `sessionTickets` is usually set. */
  server?: Partial<AcceptTlsOptions>;
  /** Client options (`serverName: "localhost"` and the test root are added). */
  client?: Partial<StartTlsOptions>;
  /** The server's clock. */
  serverNow?: () => Date;
  /** The client's test knobs (its clock, a ClientHello hook). */
  clientTest?: ClientTestOptions;
  /** Records sent to the server right after the client's first flight. */
  inject?: readonly Uint8Array[];
}

/** One connection's two sides. */
export interface Pair {
  readonly client: Side;
  readonly server: Side;
}

function observer(side: { messages: string[]; helloExtensions: string[][] }) {
  return (event: TraceEvent) => {
    if (event.kind !== "message") return;
    side.messages.push(`${event.direction} ${event.message.type}`);
    const extensions = event.message.fields.extensions;
    if (Array.isArray(extensions)) side.helloExtensions.push(extensions as string[]);
  };
}

/** Runs one handshake between this library's client and server over an in-memory pipe. */
export async function handshake(options: PairOptions = {}): Promise<Pair> {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const [c, s] = pipe(options.inject ?? []);
  const clientSide = { messages: [] as string[], helloExtensions: [] as string[][] };
  const serverSide = { messages: [] as string[], helloExtensions: [] as string[][] };
  const server = (async () => {
    const config = await resolveServerConfig(
      { cert: leaf.cert, key: leaf.key, ...options.server },
      { now: options.serverNow },
    );
    const conn = serverConn(config, toByteTransport(s), { trace: observer(serverSide) });
    await conn.handshake();
    return conn;
  })();
  const client = startTlsWithTestOptions(c, {
    serverName: "localhost",
    caCerts: [pki.root.cert],
    trace: observer(clientSide),
    ...options.client,
  }, options.clientTest ?? {}).then(async (conn) => {
    await conn.handshake();
    return conn;
  });
  const [serverResult, clientResult] = await Promise.allSettled([server, client]);
  return { client: { result: clientResult, ...clientSide }, server: { result: serverResult, ...serverSide } };
}

/** The connection of a side whose handshake succeeded. */
export function conn(side: Side): TlsConn {
  if (side.result.status === "rejected") throw side.result.reason;
  return side.result.value;
}

const OK = new TextEncoder().encode("ok\n");

/**
 * Completes a connection: the server writes a line that the client reads — so the client has processed the
 * NewSessionTickets sent before it — and both close; without `readTickets` the client closes abortively, so
 * that no ticket reaches it. Returns the two handshake infos `[client, server]`.
 */
export async function finish(pair: Pair, readTickets = true): Promise<[TlsHandshakeInfo, TlsHandshakeInfo]> {
  const client = conn(pair.client);
  const server = conn(pair.server);
  const infos: [TlsHandshakeInfo, TlsHandshakeInfo] = [await client.handshake(), await server.handshake()];
  if (readTickets) {
    await server.write(OK);
    const buf = new Uint8Array(16);
    assert.equal(await client.read(buf), OK.length);
    client.close();
  } else {
    // At once: close() would read on until the server's close_notify, and take the tickets on the way.
    client.abort();
  }
  server.close();
  return infos;
}

/** Runs a handshake and completes it; `[client, server]` infos and the pair. */
export async function connectAndFinish(
  options: PairOptions = {},
): Promise<[TlsHandshakeInfo, TlsHandshakeInfo, Pair]> {
  const pair = await handshake(options);
  const [client, server] = await finish(pair);
  return [client, server, pair];
}

/** Fresh ticket keys and an empty spy cache, and the options that use them. */
export function resumable(server: Partial<AcceptTlsOptions> = {}, client: Partial<StartTlsOptions> = {}) {
  const keys = new SessionTicketKeys();
  const cache = new SpyCache();
  return {
    keys,
    cache,
    options: {
      server: { sessionTickets: keys, ...server },
      client: { sessionCache: cache, ...client },
    } satisfies PairOptions,
  };
}

/** Asserts that `result` failed with the TLS alert `alert` from `source`. */
export function assertAlert(
  result: PromiseSettledResult<unknown>,
  alert: string,
  source: "local" | "remote",
): void {
  assert.equal(result.status, "rejected", `expected ${alert}, but the handshake succeeded`);
  const e = (result as PromiseRejectedResult).reason;
  assert.ok(e instanceof TlsAlertError, `expected a TlsAlertError, got ${e}`);
  assert.equal(e.alert, alert, e.message);
  assert.equal(e.source, source, e.message);
}

/** A protected-looking record of `length` random bytes (early data nobody can decrypt). */
export function junkRecord(length: number): Uint8Array {
  return concat(
    Uint8Array.of(23, 3, 3, length >> 8, length & 0xff),
    crypto.getRandomValues(new Uint8Array(length)),
  );
}
