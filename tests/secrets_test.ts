/**
 * No key material leaks: handshakes run with a key log that captures every secret (RFC 8446 §7.1 traffic
 * secrets, the exporter secret, TLS 1.3 resumption PSKs from the session cache), and the secrets — with the
 * keys and IVs derived from them (§7.3) and the next generations after KeyUpdate (§7.2) — must not appear in
 * hex, base64 or as byte lists in `JSON.stringify` or `Deno.inspect` of any public object (TlsConn,
 * TlsListener, TlsHandshakeInfo, trace events, session caches, engines, key schedule stages) nor in
 * `String(error)`, `error.stack` or an inspected error of failed handshakes.
 */
import assert from "node:assert/strict";
import {
  acceptTls,
  type CachedSession,
  connectTls,
  listenTls,
  MemorySessionCache,
  type SessionCache,
  startTls,
  type StreamPair,
  type TlsConn,
  type TlsHandshakeInfo,
  type TraceEvent,
} from "../mod.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { deriveSecret } from "../crypto/tls13_hkdf.ts";
import { TLS13_SUITES, type Tls13Suite } from "../handshake/constants.ts";
import { EarlySecret, nextTrafficSecret, trafficKeys } from "../handshake/key_schedule.ts";
import { assertPeerClosesToo, readExactly } from "./_payload.ts";
import { completed, lingerAfterClose, memoryPipe, serverPki } from "./_server.ts";
import { drain, pump, recordScenario, SCENARIOS } from "../fuzz/_harness.ts";

/** The secrets of key-log lines, with the keys, IVs and later generations derived from them. */
async function expand(lines: readonly string[], suite: Tls13Suite): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const line of lines) {
    let secret: Uint8Array = Uint8Array.fromHex(line.split(" ")[2]);
    for (let generation = 0; generation < 4; generation++) {
      const { key, iv } = await trafficKeys(webCrypto, suite, secret);
      out.push(secret, key, iv);
      secret = await nextTrafficSecret(webCrypto, suite, secret);
    }
  }
  return out;
}

/** Integers in `text`, in order (for byte lists such as `[12, 34, …]` or `Uint8Array(32) [ 12, 34 …`). */
function integers(text: string): number[] {
  return Array.from(text.matchAll(/\d+/g), (m) => Number(m[0]));
}

function hasRun(values: readonly number[], run: readonly number[]): boolean {
  outer: for (let i = 0; i + run.length <= values.length; i++) {
    for (let j = 0; j < run.length; j++) if (values[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * Whether `text` shows `secret`, or a 12-byte stretch of it: hex (either case), base64 or base64url, a list
 * of its byte values, or the values of an object with numeric keys (JSON of a Uint8Array).
 */
function shows(text: string, secret: Uint8Array): boolean {
  const lower = text.toLowerCase();
  const compact = text.replace(/\s+/g, "");
  const ints = integers(text);
  const odd = ints.filter((_, i) => i % 2 === 1);
  for (let at = 0; at + 12 <= secret.length; at += 4) {
    const part = secret.subarray(at, at + 12);
    if (lower.includes(part.toHex())) return true;
    for (let shift = 0; shift < 3; shift++) {
      const b64 = part.subarray(shift, shift + 9).toBase64();
      if (
        compact.includes(b64) ||
        compact.includes(part.subarray(shift, shift + 9).toBase64({ alphabet: "base64url" }))
      ) {
        return true;
      }
    }
    const run = Array.from(part);
    if (hasRun(ints, run) || hasRun(odd, run)) return true;
  }
  return false;
}

/** Asserts that none of `texts` shows any of `secrets`. */
function assertNoSecret(texts: Record<string, string>, secrets: readonly Uint8Array[]): void {
  assert.ok(secrets.length > 0, "the test captured secrets");
  for (const [what, text] of Object.entries(texts)) {
    for (const secret of secrets) {
      assert.ok(!shows(text, secret), `${what} shows key material ${secret.toHex().slice(0, 16)}…`);
    }
  }
}

/** JSON and deep inspection of an object. */
function views(name: string, value: unknown): Record<string, string> {
  return {
    [`JSON.stringify(${name})`]: JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v)) ??
      "",
    [`Deno.inspect(${name})`]: Deno.inspect(value, { depth: 10, showHidden: true, iterableLimit: 1000 }),
  };
}

/** Every way an error is shown: message, stack, inspection (with its cause chain), JSON. */
function errorViews(name: string, e: unknown): Record<string, string> {
  const out: Record<string, string> = { ...views(name, e), [`String(${name})`]: String(e) };
  for (let c: unknown = e, i = 0; c instanceof Error && i < 5; c = c.cause, i++) {
    out[`${name}.cause^${i}.stack`] = c.stack ?? "";
  }
  return out;
}

/** A session cache that keeps what it is given, so that the test learns the resumption PSKs. */
class RecordingCache implements SessionCache {
  readonly #seen: CachedSession[] = [];
  readonly #inner = new MemorySessionCache();
  /** Every session the client handed to the cache. */
  sessions(): readonly CachedSession[] {
    return this.#seen;
  }
  get(key: string) {
    return this.#inner.get(key);
  }
  set(key: string, ticket: CachedSession) {
    this.#seen.push(ticket);
    return this.#inner.set(key, ticket);
  }
  delete(key: string) {
    return this.#inner.delete(key);
  }
}

/** The secret of a cached session: the TLS 1.3 resumption PSK or the TLS 1.2 master secret. */
function secretOf(session: CachedSession): Uint8Array {
  return session.protocol === "TLSv1.3" ? session.psk : session.masterSecret;
}

Deno.test("the leak check itself finds a secret in hex, base64, byte lists and inspected arrays", () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  for (
    const text of [
      `label ${secret.toHex().toUpperCase()}`,
      secret.toBase64(),
      secret.subarray(3).toBase64({ alphabet: "base64url" }),
      JSON.stringify(Array.from(secret)),
      JSON.stringify(secret),
      Deno.inspect({ nested: { secret } }, { depth: 10 }),
    ]
  ) {
    assert.ok(shows(text, secret), text);
  }
  assert.ok(!shows(Deno.inspect(crypto.getRandomValues(new Uint8Array(32))), secret));
});

Deno.test("no key material in TlsConn, TlsListener, handshake info, trace events or the session cache", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const serverLog: string[] = [];
  const clientLog: string[] = [];
  const trace: TraceEvent[] = [];
  const cache = new RecordingCache();
  using listener = listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: leaf.cert,
    key: leaf.key,
    keyLog: (l) => serverLog.push(l),
  });
  const texts: Record<string, string> = {};
  const infos: TlsHandshakeInfo[] = [];
  for (const round of [0, 1]) {
    const accepted = listener.accept();
    const client = await connectTls({
      port: listener.addr.port,
      serverName: "localhost",
      caCerts: [pki.root.cert],
      keyLog: (l) => clientLog.push(l),
      trace: (e) => trace.push(e),
      sessionCache: cache,
    });
    const server = await accepted;
    const info = await client.handshake();
    infos.push(info);
    await server.write(new TextEncoder().encode("ping"));
    await readExactly(client, 4); // the tickets arrive with the server's first data
    await client.updateKeys(true);
    await server.updateKeys(true);
    await client.write(new TextEncoder().encode("pong"));
    await readExactly(server, 4);
    await server.write(new TextEncoder().encode("ok"));
    await readExactly(client, 2);
    Object.assign(
      texts,
      views(`client ${round}`, client),
      views(`server ${round}`, server),
      views(`client info ${round}`, info),
      views(`server info ${round}`, await server.handshake()),
    );
    await client.closeWrite();
    assert.equal(await server.read(new Uint8Array(1)), null);
    server.close();
    await assertPeerClosesToo(client);
    client.close();
  }
  assert.equal(infos[1].resumed, true, "the second connection resumed (its PSK is checked too)");
  Object.assign(texts, views("listener", listener), views("trace", trace), views("cache", cache));
  const suite = TLS13_SUITES.find((s) => s.name === infos[0].cipherSuite)!;
  const secrets = [
    ...(await expand([...clientLog, ...serverLog], suite)),
    ...cache.sessions().map(secretOf),
  ];
  assert.ok(cache.sessions().length > 0, "tickets were cached");
  assert.ok(shows(clientLog.join("\n"), secrets[0]), "the key log itself does show secrets");
  assertNoSecret(texts, secrets);
});

/** A pipe whose server-to-client direction passes through `edit`. */
function editingPipe(edit: (chunk: Uint8Array, index: number) => Uint8Array): [StreamPair, StreamPair] {
  const [c, s] = memoryPipe();
  let index = 0;
  const editor = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      controller.enqueue(edit(chunk, index++));
    },
  });
  const serverSide: StreamPair = { readable: s.readable, writable: editor.writable };
  editor.readable.pipeTo(s.writable).catch(() => {});
  return [c, serverSide];
}

Deno.test("no key material in the errors of handshakes that fail after keys are in use", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const log: string[] = [];
  const errors: unknown[] = [];
  const suiteNames = new Set<string>();
  const attempt = async (
    serverExtra: Record<string, unknown>,
    clientExtra: Record<string, unknown>,
    pipe = memoryPipe(),
  ) => {
    const [c, s] = pipe;
    const results = await Promise.allSettled([
      acceptTls(s, { cert: leaf.cert, key: leaf.key, keyLog: (l) => log.push(l), ...serverExtra }),
      completed(startTls(c, {
        serverName: "localhost",
        caCerts: [pki.root.cert],
        keyLog: (l) => log.push(l),
        sessionCache: null,
        ...clientExtra,
      })),
    ]);
    for (const r of results) {
      if (r.status === "rejected") errors.push(r.reason);
      else {
        suiteNames.add((await r.value.handshake()).cipherSuite);
        // A failure reported on the first read (the peer's alert after our Finished).
        await r.value.read(new Uint8Array(1)).catch((e) => errors.push(e));
        r.value.close();
      }
    }
  };
  // verifyPeer refuses the server (after the handshake keys).
  await attempt({}, { verifyPeer: () => Promise.reject(new Error("no thanks")) });
  // The server requires a client certificate that does not come.
  await attempt({ clientAuth: "require", clientCaCerts: [pki.root.cert] }, {});
  // A bit flipped in the server's protected flight: bad_record_mac.
  await attempt(
    {},
    {},
    editingPipe((chunk, i) => {
      if (i !== 0 || chunk.length < 300) return chunk;
      const copy = chunk.slice();
      copy[copy.length - 20] ^= 1;
      return copy;
    }),
  );
  assert.ok(errors.length >= 5, `failures were observed (${errors.length})`);
  const texts: Record<string, string> = {};
  errors.forEach((e, i) => Object.assign(texts, errorViews(`error ${i}`, e)));
  const secrets: Uint8Array[] = [];
  for (const suite of TLS13_SUITES.filter((s) => suiteNames.size === 0 || suiteNames.has(s.name))) {
    secrets.push(...(await expand(log, suite)));
  }
  assertNoSecret(texts, secrets);
});

Deno.test("no key material in engines or key schedule stages", async () => {
  const log: string[] = [];
  const client = (await recordScenario(SCENARIOS[0])).newTarget((l) => log.push(l));
  const server = (await recordScenario(SCENARIOS[1])).newTarget((l) => log.push(l));
  await pump(client, server);
  await drain(client);
  assert.ok(client.connected && server.connected);
  const engineSuite = TLS13_SUITES.find((x) => x.name === client.info!.cipherSuite)!;
  const suite = TLS13_SUITES[0];
  const psk = crypto.getRandomValues(new Uint8Array(32));
  const shared = crypto.getRandomValues(new Uint8Array(32));
  const early = await EarlySecret.create(webCrypto, suite, psk);
  const handshake = await early.advance(shared);
  const master = await handshake.advance();
  // The stage secrets, computed independently (RFC 8446 §7.1).
  const zeros = new Uint8Array(suite.hashLength);
  const emptyHash = await webCrypto.hash(suite.hash, new Uint8Array(0));
  const earlySecret = await webCrypto.hkdfExtract(suite.hash, zeros, psk);
  const hsSecret = await webCrypto.hkdfExtract(
    suite.hash,
    await deriveSecret(webCrypto, suite.hash, suite.hashLength, earlySecret, "derived", emptyHash),
    shared,
  );
  const masterSecret = await webCrypto.hkdfExtract(
    suite.hash,
    await deriveSecret(webCrypto, suite.hash, suite.hashLength, hsSecret, "derived", emptyHash),
    zeros,
  );
  assertNoSecret(
    {
      ...views("client engine", client),
      ...views("server engine", server),
      ...views("early secret", early),
      ...views("handshake secret", handshake),
      ...views("master secret", master),
    },
    [...(await expand(log, engineSuite)), psk, shared, earlySecret, hsSecret, masterSecret],
  );
});

Deno.test("no key material in a connection that lingered and closed", async () => {
  // lingerAfterClose exercises the read path after close_notify; the objects stay clean afterwards too.
  const pki = await serverPki();
  const leaf = pki.leaves["Ed25519"];
  const log: string[] = [];
  const [c, s] = memoryPipe();
  const [server, client] = await Promise.all([
    acceptTls(s, { cert: leaf.cert, key: leaf.key, keyLog: (l) => log.push(l) }),
    completed(startTls(c, { serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null })),
  ]);
  const { cipherSuite } = await client.handshake();
  await server.closeWrite();
  await lingerAfterClose(client as TlsConn, 200);
  await Promise.all([client.close(), server.close()]);
  const suite = TLS13_SUITES.find((x) => x.name === cipherSuite)!;
  assertNoSecret({ ...views("client", client), ...views("server", server) }, await expand(log, suite));
});
