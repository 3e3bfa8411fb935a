/**
 * KeyUpdate under concurrency (RFC 8446 §4.6.3) must never reuse a key and nonce (§5.3). Two engines talk in
 * memory while the client's application calls `updateKeys()` (alone, or several at once with `Promise.all`),
 * the server sends bursts of up to 32 KeyUpdates with update_requested, and both sides write application
 * data — in random interleavings from fixed seeds. Afterwards the client's whole output is opened again from
 * the NSS key log by an independent reader (`_traffic_walk.ts`), which proves that every record went out
 * under the next (epoch, sequence number) of one chain of keys, each pair once; a spy on the AEAD proves
 * that no (key, nonce) was sealed twice; and each side must have read everything the other wrote, in order.
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import type { Aead, CryptoProvider } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import type { TlsEngine } from "../connection/engine.ts";
import { Rng } from "../fuzz/_rng.ts";
import { enginePair } from "./_engine_pair.ts";
import {
  keyLogSecret,
  splitRecords,
  type WalkedRecord,
  type WalkSuite,
  walkTraffic,
} from "./_traffic_walk.ts";

const SUITES: readonly WalkSuite[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];
const CONTENT_HANDSHAKE = 22;
const CONTENT_APPLICATION_DATA = 23;

/** Holds every HKDF-Expand while closed; `entered` resolves when the first one waits. */
class Gate {
  #open = Promise.withResolvers<void>();
  #entered = Promise.withResolvers<void>();
  closed = false;

  get entered(): Promise<void> {
    return this.#entered.promise;
  }

  async pass(): Promise<void> {
    if (!this.closed) return;
    this.#entered.resolve();
    await this.#open.promise;
  }

  open(): void {
    this.closed = false;
    this.#open.resolve();
  }
}

/**
 * A provider whose AEAD keys report every (key, nonce) they seal to `seals`, and whose HKDF-Expand (the
 * derivation of each next traffic secret and its key) waits at `gate` while it is closed.
 */
function sealSpy(seals: string[], gate: Gate): CryptoProvider {
  return {
    ...webCrypto,
    async hkdfExpand(hash, prk, info, length) {
      await gate.pass();
      return webCrypto.hkdfExpand(hash, prk, info, length);
    },
    async importAead(name, key): Promise<Aead> {
      const aead = await webCrypto.importAead(name, key);
      const id = key.toHex();
      return {
        name: aead.name,
        keyLength: aead.keyLength,
        seal(nonce, aad, plaintext) {
          seals.push(`${id}/${nonce.toHex()}`);
          return aead.seal(nonce, aad, plaintext);
        },
        open: (nonce, aad, ciphertext) => aead.open(nonce, aad, ciphertext),
      };
    },
  };
}

/**
 * Carries one engine's output to the other, in the order it was queued, one `receive()` at a time (as
 * `TlsConn` does), and keeps every record it carried. What the receiver answers goes back the other way.
 */
class Wire {
  readonly records: Uint8Array[] = [];
  reverse: Wire | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(readonly from: TlsEngine, readonly to: TlsEngine) {}

  /** Takes what `from` queued and delivers it after everything taken before. */
  pump(): void {
    const items = this.from.takeOutput();
    if (items.length === 0) return;
    this.#chain = this.#chain.then(async () => {
      const parts = await Promise.all(items);
      for (const part of parts) this.records.push(...splitRecords(part));
      await this.to.receive(concat(...parts));
      this.reverse?.pump();
    });
    this.#chain.catch(() => {}); // reported by `settled`
  }

  /** Takes what `from` queued, keeps its records, and returns them for the test to deliver itself. */
  async take(): Promise<Uint8Array> {
    const bytes = concat(...await Promise.all(this.from.takeOutput()));
    this.records.push(...splitRecords(bytes));
    return bytes;
  }

  /** Settles once everything pumped so far was delivered; rejects with the receiver's failure. */
  get settled(): Promise<void> {
    return this.#chain;
  }
}

interface Pair {
  readonly client: TlsEngine;
  readonly server: TlsEngine;
  /** Client to server, and server to client, from the end of the handshake on. */
  readonly up: Wire;
  readonly down: Wire;
  readonly keyLog: string[];
  readonly seals: string[];
  readonly gate: Gate;
}

/** A client and a server engine after a TLS 1.3 handshake with `suite`; the client's seals are spied on. */
async function connectedPair(suite: WalkSuite): Promise<Pair> {
  const seals: string[] = [];
  const gate = new Gate();
  const { client, server, keyLog } = await enginePair({ suite, clientCrypto: sealSpy(seals, gate) });
  const up = new Wire(client, server);
  const down = new Wire(server, client);
  up.reverse = down;
  down.reverse = up;
  return { client, server, up, down, keyLog, seals, gate };
}

/** Lets other tasks (and WebCrypto) run: `n` turns of the event loop. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Pumps both ways until nothing is left to carry, then closes both sides; throws the first failure. */
async function finish(pair: Pair): Promise<void> {
  for (let round = 0; round < 100; round++) {
    pair.up.pump();
    pair.down.pump();
    await Promise.all([pair.up.settled, pair.down.settled]);
    await turns(1);
    if (!pair.client.hasOutput && !pair.server.hasOutput) break;
  }
  pair.client.close();
  pair.up.pump();
  await pair.up.settled;
  pair.server.close();
  pair.down.pump();
  await pair.down.settled;
}

/** What the checks found in one direction's records. */
interface Checked {
  readonly walked: WalkedRecord[];
  readonly keyUpdates: number;
}

/**
 * Opens the records of one direction from the key log and checks the properties: each record under the next
 * (epoch, sequence number), each pair once; the application data is `written`, in order; close_notify last.
 */
async function checkDirection(
  pair: Pair,
  wire: Wire,
  label: string,
  suite: WalkSuite,
  written: readonly Uint8Array[],
): Promise<Checked> {
  const walked = await walkTraffic(wire.records, keyLogSecret(pair.keyLog, label), suite);
  const pairs = new Set(walked.map((r) => `${r.epoch}/${r.seq}`));
  assert.equal(pairs.size, walked.length, "an (epoch, sequence) pair was used twice");
  const data = walked.filter((r) => r.type === CONTENT_APPLICATION_DATA).map((r) => r.content);
  assert.deepEqual(concat(...data), concat(...written), `${label}: application data differs`);
  assert.deepEqual([...walked.at(-1)!.content], [1, 0], `${label}: close_notify ends the stream`);
  const keyUpdates = walked.filter((r) => r.type === CONTENT_HANDSHAKE && r.content[0] === 24).length;
  return { walked, keyUpdates };
}

/** The checks every run ends with: no failure, everything read in order, no (key, nonce) sealed twice. */
async function checkRun(
  pair: Pair,
  suite: WalkSuite,
  clientWrites: readonly Uint8Array[],
  serverWrites: readonly Uint8Array[],
): Promise<Checked> {
  assert.equal(pair.client.error, undefined, `client failed: ${pair.client.error}`);
  assert.equal(pair.server.error, undefined, `server failed: ${pair.server.error}`);
  assert.ok(pair.client.peerClosed && pair.server.peerClosed, "both sides saw close_notify");
  assert.deepEqual(concat(...pair.server.takePlaintext()), concat(...clientWrites));
  assert.deepEqual(concat(...pair.client.takePlaintext()), concat(...serverWrites));
  const unique = new Set(pair.seals);
  assert.equal(unique.size, pair.seals.length, "the client sealed two records with the same key and nonce");
  await checkDirection(pair, pair.down, "SERVER_TRAFFIC_SECRET_0", suite, serverWrites);
  return await checkDirection(pair, pair.up, "CLIENT_TRAFFIC_SECRET_0", suite, clientWrites);
}

/** `n` KeyUpdates with update_requested from the server, one record each, delivered to the client at once. */
async function peerRequests(pair: Pair, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await pair.server.updateKeys(true);
  pair.down.pump();
}

Deno.test("RFC 8446 §4.6.3: Promise.all of four updateKeys() sends four KeyUpdates, no (epoch, sequence) twice", async () => {
  const suite = "TLS_AES_128_GCM_SHA256";
  const pair = await connectedPair(suite);
  const data = [new Uint8Array(3000).fill(1), new Uint8Array(20_000).fill(2)];
  pair.client.send(data[0]);
  await Promise.all([0, 1, 2, 3].map(() => pair.client.updateKeys()));
  pair.client.send(data[1]);
  await finish(pair);
  const { walked, keyUpdates } = await checkRun(pair, suite, data, []);
  assert.equal(keyUpdates, 4);
  assert.equal(walked.at(-1)!.epoch, 4, "the data after the updates went out under generation 4");
});

Deno.test("RFC 8446 §4.6.3: a local updateKeys() racing 32 peer update requests is answered once, keys stay in step", async () => {
  for (const suite of SUITES) {
    const pair = await connectedPair(suite);
    for (let i = 0; i < 32; i++) await pair.server.updateKeys(true);
    const requests = await pair.down.take();
    const local = pair.client.updateKeys();
    const received = pair.client.receive(requests);
    pair.client.send(new Uint8Array(5000).fill(7));
    await Promise.all([local, received]);
    pair.client.send(new Uint8Array(100).fill(8));
    await finish(pair);
    const { keyUpdates } = await checkRun(pair, suite, [
      new Uint8Array(5000).fill(7),
      new Uint8Array(100).fill(8),
    ], []);
    // The local update, and one answer for the 32 requests received while silent (RFC 8446 §4.6.3).
    assert.equal(keyUpdates, 2, suite);
  }
});

Deno.test("RFC 8446 §4.6.3: an update request is answered before the next application data record", async () => {
  const suite = "TLS_AES_128_GCM_SHA256";
  const pair = await connectedPair(suite);
  await pair.server.updateKeys(true);
  const request = await pair.down.take();
  pair.gate.closed = true;
  const received = pair.client.receive(request);
  // Written once the KeyUpdate was read, while the next traffic secrets are still being derived.
  await pair.gate.entered;
  pair.client.send(new Uint8Array([1, 2, 3]));
  pair.gate.open();
  await received;
  await finish(pair);
  const { walked } = await checkRun(pair, suite, [new Uint8Array([1, 2, 3])], []);
  assert.equal(walked[0].type, CONTENT_HANDSHAKE, "the KeyUpdate answer comes first");
  assert.deepEqual({ epoch: walked[1].epoch, type: walked[1].type }, {
    epoch: 1,
    type: CONTENT_APPLICATION_DATA,
  });
});

Deno.test("RFC 8446 §4.6.3: the peer's answers to 40 update requests of ours do not count as a KeyUpdate flood", async () => {
  const suite = "TLS_AES_128_GCM_SHA256";
  const pair = await connectedPair(suite);
  const written: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) {
    await pair.client.updateKeys(true);
    written.push(Uint8Array.of(i));
    pair.client.send(written[i]);
  }
  pair.up.pump();
  await pair.up.settled;
  // Our server answered the first request and folded the rest into it (it sent no data); a peer that
  // answers each one, as OpenSSL does, sends 39 more.
  for (let i = 0; i < 39; i++) await pair.server.updateKeys(false);
  await finish(pair);
  const { keyUpdates } = await checkRun(pair, suite, written, []);
  assert.equal(keyUpdates, 40);
});

Deno.test("RFC 8446 §6.1: after its close_notify a side answers no update request and refuses updateKeys()", async () => {
  const suite = "TLS_AES_128_GCM_SHA256";
  const pair = await connectedPair(suite);
  pair.client.close();
  pair.up.pump();
  await pair.up.settled;
  await pair.server.updateKeys(true);
  pair.down.pump();
  await pair.down.settled;
  assert.equal(pair.client.error, undefined);
  assert.ok(!pair.client.hasOutput, "nothing follows the close_notify");
  await assert.rejects(pair.client.updateKeys(), /cannot update keys after close/);
  const walked = await walkTraffic(
    pair.up.records,
    keyLogSecret(pair.keyLog, "CLIENT_TRAFFIC_SECRET_0"),
    suite,
  );
  assert.deepEqual(walked.map((r) => [...r.content]), [[1, 0]], "the client sent close_notify only");
});

Deno.test("RFC 8446 §7.2: the record layer installs only the next generation of a traffic secret", async () => {
  const pair = await connectedPair("TLS_AES_128_GCM_SHA256");
  const suite = {
    code: 0x1301,
    name: "TLS_AES_128_GCM_SHA256",
    aead: "AES-128-GCM",
    hash: "SHA-256",
    keyLength: 16,
    hashLength: 32,
  } as const;
  const secret = Promise.resolve(new Uint8Array(32));
  for (const generation of [0, 2, 5]) {
    assert.throws(
      () => pair.client.updateWriteSecret(suite, generation, secret, new Uint8Array([24, 0, 0, 1, 0])),
      (e) => e instanceof TlsAlertError && e.alert === "internal_error",
    );
    assert.throws(
      () => pair.client.updateReadSecret(suite, generation, secret),
      (e) => e instanceof TlsAlertError && e.alert === "internal_error",
    );
  }
  assert.ok(!pair.client.hasOutput, "nothing was queued by a refused install");
});

/** Iterations of the property test (each a fresh handshake and about 30 random steps); more with the variable. */
const RUNS = Number(Deno.env.get("KEYUPDATE_RACE_RUNS") ?? 48);

Deno.test(`RFC 8446 §4.6.3, §5.3: property — ${RUNS} random interleavings of local updates, peer requests and writes reuse no nonce`, async () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const rng = new Rng(seed);
    const suite = SUITES[seed % SUITES.length];
    const pair = await connectedPair(suite);
    const clientWrites: Uint8Array[] = [];
    const serverWrites: Uint8Array[] = [];
    const pending: Promise<unknown>[] = [];
    let server: Promise<void> = Promise.resolve();
    // Awaited together at the end; a failure before that is not "unhandled".
    const track = (p: Promise<unknown>) => {
      p.catch(() => {});
      pending.push(p);
    };
    /** Runs `f` after the server's earlier steps: the server acts in order, as one peer. */
    const onServer = (f: () => void | Promise<void>) => {
      server = server.then(f);
      track(server);
    };
    let localUpdates = 0;
    let requestsInARow = 0;
    try {
      for (let step = 0; step < 30; step++) {
        const action = rng.weighted(
          [
            [4, "write"],
            [3, "local"],
            [2, "peer"],
            [1, "serverWrite"],
            [2, "pump"],
            [2, "wait"],
          ] as const,
        );
        if (action === "write") {
          const data = rng.bytes(rng.range(1, 40_000));
          clientWrites.push(data);
          pair.client.send(data);
          if (rng.chance(0.5)) pair.up.pump();
        } else if (action === "local" && localUpdates < 12) {
          // One update, or several at once (Promise.all); some ask the server to update too.
          const n = rng.chance(0.3) ? rng.range(2, 4) : 1;
          for (let i = 0; i < n; i++) track(pair.client.updateKeys(rng.chance(0.3)));
          localUpdates += n;
          if (rng.chance(0.5)) pair.up.pump();
        } else if (action === "peer") {
          // A burst of update requests. The client accepts 32 KeyUpdates without data in between: these,
          // and one answer of the server to the client's own requests (later ones are folded into it).
          const n = rng.range(1, 31);
          if (requestsInARow + n > 31) {
            const data = rng.bytes(rng.range(1, 3000));
            serverWrites.push(data);
            onServer(() => pair.server.send(data));
            requestsInARow = 0;
          }
          requestsInARow += n;
          onServer(() => peerRequests(pair, n));
        } else if (action === "serverWrite") {
          const data = rng.bytes(rng.range(1, 20_000));
          serverWrites.push(data);
          onServer(() => {
            pair.server.send(data);
            pair.down.pump();
          });
          requestsInARow = 0;
        } else if (action === "pump") {
          pair.up.pump();
          pair.down.pump();
        } else {
          await turns(rng.range(0, 3));
        }
      }
      await Promise.all(pending);
      await server;
      await finish(pair);
      await checkRun(pair, suite, clientWrites, serverWrites);
    } catch (e) {
      const reused = pair.seals.length - new Set(pair.seals).size;
      throw new Error(
        `seed ${seed} (${suite}): ${(e as Error).message}; (key, nonce) pairs sealed twice: ${reused}`,
        {
          cause: e,
        },
      );
    }
  }
});
