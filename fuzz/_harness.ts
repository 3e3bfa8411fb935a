/**
 * The fuzzer's in-memory world: two engines (connection/engine.ts) — one client, one server — driven against
 * each other without sockets, with deterministic randomness. A {@link Scenario} records one valid handshake,
 * decrypts what the peer sent with the secrets from its key log into a {@link Script} of plaintext records,
 * and appends post-handshake traffic (NewSessionTicket, application data, KeyUpdate, close_notify, and data
 * after close_notify). A fuzz case edits the script, then {@link serializeScript} encrypts it again under the
 * same keys, so a mutated handshake message reaches the target's handshake logic instead of stopping at
 * bad_record_mac. No hook in the library is needed: the engine under test is the one applications use.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import { resolveClientConfig, type StartTlsOptions } from "../connection/client.ts";
import { type EngineOptions, TlsEngine } from "../connection/engine.ts";
import {
  AlertDescription,
  type AlertName,
  alertName,
  CertificateVerificationError,
  TlsAlertError,
  TlsError,
} from "../errors.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { type AcceptTlsOptions, resolveServerConfig } from "../connection/server.ts";
import type { Aead } from "../crypto/provider.ts";
import { startClient } from "../handshake/client_start.ts";
import type { CachedSession, SessionCache } from "../handshake/session.ts";
import { HandshakeType, TLS13_SUITES, type Tls13Suite } from "../handshake/constants.ts";
import { nextTrafficSecret, trafficKeys } from "../handshake/key_schedule.ts";
import { encodeHandshake, encodeKeyUpdate, encodeNewSessionTicket } from "../handshake/messages.ts";
import { ExpectClientHello } from "../handshake/server13_hello.ts";
import { recordNonce } from "../record/protection13.ts";
import { type DeterministicCrypto, deterministicCrypto } from "./_crypto.ts";
import { CLIENT, ROOT, SERVER } from "./_fixtures.ts";

/** The clock of every fuzz handshake (inside the fixtures' validity). */
export const FUZZ_NOW: Date = new Date("2026-01-01T00:00:00Z");

/** Content types (RFC 8446 §5.1). */
export const CT = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;

/** One record the peer sends, before protection. */
export interface ScriptRecord {
  /** Content type: the header's for a plaintext record, the inner one for a protected record. */
  type: number;
  content: Uint8Array;
  /** -1: sent in the clear; otherwise the index of the write epoch (traffic secret) that protects it. */
  epoch: number;
  /** legacy_record_version in the header (default 0x0303). */
  version?: number;
  /** Header content type instead of the natural one (23 for protected records). */
  outerType?: number;
  /** Zero bytes of padding inside a protected record (RFC 8446 §5.4). */
  padding?: number;
  /** Added to the header's length field (a framing lie). */
  lengthDelta?: number;
}

/** What the peer sends: records, and the indices at which each delivery (one `receive()` call) starts. */
export interface Script {
  records: ScriptRecord[];
  flights: number[];
}

/** A write epoch of the peer: a traffic secret with its key, IV and AEAD. */
export interface Epoch {
  readonly secret: Uint8Array;
  readonly iv: Uint8Array;
  readonly aead: Aead;
}

/** A fuzz scenario: which side is tested and how the two sides are configured. */
export interface ScenarioSpec {
  readonly name: string;
  /** The engine under test; the other side's traffic is recorded and mutated. */
  readonly target: "client" | "server";
  readonly client?: Partial<StartTlsOptions>;
  readonly server?: Partial<AcceptTlsOptions>;
  /** Client middlebox compatibility mode (default true). */
  readonly middleboxCompat?: boolean;
  /**
   * TLS 1.2: the records are kept as they were sent (those after ChangeCipherSpec stay encrypted, so only
   * the plaintext part of the handshake is mutated structurally) and no TLS 1.3 traffic is appended.
   */
  readonly tls12?: boolean;
  /** Record a resumed handshake: a full one first, then one with its ticket (RFC 8446 §2.2). */
  readonly resume?: boolean;
}

/** The scenarios of the fuzzer: both roles, HelloRetryRequest, client certificates, ALPN, P-256, ML-KEM. */
export const SCENARIOS: readonly ScenarioSpec[] = [
  { name: "client", target: "client", server: { groups: ["X25519"] } },
  { name: "server", target: "server", client: { groups: ["X25519"] } },
  {
    name: "client-hrr",
    target: "client",
    server: { groups: ["P-256"] },
    client: { groups: ["X25519", "P-256"] },
  },
  {
    name: "server-hrr",
    target: "server",
    server: { groups: ["P-256"] },
    client: { groups: ["X25519", "P-256"] },
  },
  {
    name: "client-mtls-alpn",
    target: "client",
    server: { groups: ["P-384"], clientAuth: "require", clientCaCerts: [ROOT.cert], alpnProtocols: ["h2"] },
    client: { groups: ["P-384"], cert: CLIENT.cert, key: CLIENT.key, alpnProtocols: ["h2", "http/1.1"] },
  },
  {
    name: "server-mtls-alpn",
    target: "server",
    server: { clientAuth: "require", clientCaCerts: [ROOT.cert], alpnProtocols: ["h2"] },
    client: {
      groups: ["X25519"],
      cert: CLIENT.cert,
      key: CLIENT.key,
      alpnProtocols: ["h2"],
      cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"],
    },
    middleboxCompat: false,
  },
  {
    // The server's ML-KEM encapsulation is random, so this scenario's bytes differ between runs.
    name: "client-mlkem",
    target: "client",
    client: { cipherSuites: ["TLS_AES_256_GCM_SHA384"] },
  },
  {
    name: "client-resumed",
    target: "client",
    server: { groups: ["X25519"], sessionTickets: true },
    resume: true,
  },
  {
    name: "server-resumed",
    target: "server",
    client: { groups: ["X25519"] },
    server: { sessionTickets: true },
    resume: true,
  },
  {
    name: "client-tls12",
    target: "client",
    server: { maxVersion: "TLSv1.2", groups: ["X25519"] },
    tls12: true,
  },
  {
    name: "server-tls12",
    target: "server",
    client: { maxVersion: "TLSv1.2", groups: ["P-256"] },
    server: { clientAuth: "request", clientCaCerts: [ROOT.cert] },
    tls12: true,
  },
];

/**
 * A session cache for fuzzing: it keeps the first ticket it is given and offers it on every handshake
 * (a real cache hands a ticket out once), so that every replay of a resumed handshake offers the same PSK.
 */
class FixedSessionCache implements SessionCache {
  #kept: CachedSession | undefined;
  get(): CachedSession | undefined {
    return this.#kept;
  }
  set(_key: string, ticket: CachedSession): void {
    this.#kept ??= ticket;
  }
  delete(): void {}
}

/** Builds the two engines of a spec; each call of `client()`/`server()` rewinds that side's randomness. */
async function endpoints(spec: ScenarioSpec, seed: number) {
  const clientCrypto = deterministicCrypto(seed);
  const serverCrypto = deterministicCrypto(seed ^ 0x5eed);
  const clientConfig = await resolveClientConfig(
    {
      serverName: "localhost",
      caCerts: [ROOT.cert],
      sessionCache: spec.resume ? new FixedSessionCache() : null,
      ...spec.client,
    },
    { crypto: clientCrypto, now: () => FUZZ_NOW, middleboxCompat: spec.middleboxCompat ?? true },
  );
  const serverConfig = await resolveServerConfig(
    { cert: SERVER.cert, key: SERVER.key, ...spec.server },
    { crypto: serverCrypto, now: () => FUZZ_NOW },
  );
  const make =
    (crypto: DeterministicCrypto, begin: EngineOptions["begin"]) => (keyLog?: (line: string) => void) => {
      crypto.reset();
      return new TlsEngine({ crypto, begin, keyLog });
    };
  return {
    client: make(clientCrypto, (io) => startClient(clientConfig, io)),
    server: make(serverCrypto, () => Promise.resolve(new ExpectClientHello(serverConfig))),
  };
}

/** The records of a byte string (a partial record at the end is an error: recordings are whole). */
export function splitRecords(bytes: Uint8Array): { type: number; version: number; fragment: Uint8Array }[] {
  const out = [];
  let i = 0;
  while (i < bytes.length) {
    const length = (bytes[i + 3] << 8) | bytes[i + 4];
    out.push({
      type: bytes[i],
      version: (bytes[i + 1] << 8) | bytes[i + 2],
      fragment: bytes.slice(i + 5, i + 5 + length),
    });
    i += 5 + length;
  }
  if (i !== bytes.length) throw new Error("recording ends inside a record");
  return out;
}

/** Takes and resolves everything an engine has queued. */
export async function drain(engine: TlsEngine): Promise<Uint8Array> {
  return concat(...(await Promise.all(engine.takeOutput())));
}

/** Runs a client and a server engine against each other in memory until neither has anything to send. */
export async function pump(
  client: TlsEngine,
  server: TlsEngine,
): Promise<{ toServer: Uint8Array[]; toClient: Uint8Array[] }> {
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  await client.start();
  await server.start();
  for (let round = 0; round < 16; round++) {
    const c = await drain(client);
    if (c.length > 0) {
      toServer.push(c);
      await server.receive(c);
    }
    const s = await drain(server);
    if (s.length > 0) {
      toClient.push(s);
      await client.receive(s);
    }
    if (c.length === 0 && s.length === 0) break;
  }
  return { toServer, toClient };
}

/** Builds epoch `secret`'s record protection material. */
async function epoch(engine: TlsEngine, suite: Tls13Suite, secret: Uint8Array): Promise<Epoch> {
  const { key, iv } = await trafficKeys(engine.crypto, suite, secret);
  return { secret, iv, aead: await engine.crypto.importAead(suite.aead, key) };
}

/** The secret logged under `label` in NSS key-log lines. */
function logged(lines: readonly string[], label: string): Uint8Array {
  const line = lines.find((l) => l.startsWith(`${label} `));
  if (!line) throw new Error(`no ${label} in the key log`);
  return Uint8Array.fromHex(line.split(" ")[2]);
}

/** Decrypts a recorded flight sequence into script records, following Finished and KeyUpdate key changes. */
async function decryptRecording(
  chunks: readonly Uint8Array[],
  epochs: readonly Epoch[],
  tls12 = false,
): Promise<Script> {
  const script: Script = { records: [], flights: [] };
  let current = 0;
  let seq = 0n;
  for (const chunk of chunks) {
    script.flights.push(script.records.length);
    for (const record of splitRecords(chunk)) {
      if (record.type !== CT.application_data || tls12) {
        script.records.push({
          type: record.type,
          content: record.fragment,
          epoch: -1,
          version: record.version,
        });
        continue;
      }
      const e = epochs[current];
      const header = Uint8Array.of(23, 3, 3, record.fragment.length >> 8, record.fragment.length & 0xff);
      const inner = await e.aead.open(recordNonce(e.iv, seq++), header, record.fragment);
      let end = inner.length - 1;
      while (inner[end] === 0) end--;
      const type = inner[end];
      const content = inner.slice(0, end);
      script.records.push({ type, content, epoch: current });
      if (type === CT.handshake) {
        for (let i = 0; i + 4 <= content.length;) {
          const t = content[i];
          i += 4 + ((content[i + 1] << 16) | (content[i + 2] << 8) | content[i + 3]);
          if (t === HandshakeType.finished || t === HandshakeType.key_update) {
            current++;
            seq = 0n;
          }
        }
      }
    }
  }
  return script;
}

/** Whether a record goes in the clear: epoch -1, or a script without keys (TLS 1.2 keeps raw records). */
function inClear(r: ScriptRecord, epochs: readonly Epoch[]): boolean {
  return r.epoch < 0 || epochs.length === 0;
}

/** Protects and frames a script (an epoch past the last known one uses the last); returns one byte string per delivery. Never throws for a mutated script. */
export async function serializeScript(script: Script, epochs: readonly Epoch[]): Promise<Uint8Array[]> {
  const seqs = new Map<number, bigint>();
  const bytes: Uint8Array[] = [];
  for (const r of script.records) {
    const delta = r.lengthDelta ?? 0;
    if (inClear(r, epochs)) {
      const length = Math.max(0, Math.min(0xffff, r.content.length + delta));
      const version = r.version ?? 0x0303;
      bytes.push(concat(
        Uint8Array.of(r.outerType ?? r.type, version >> 8, version & 0xff, length >> 8, length & 0xff),
        r.content,
      ));
      continue;
    }
    const index = Math.min(r.epoch, epochs.length - 1);
    const e = epochs[index];
    const seq = seqs.get(index) ?? 0n;
    seqs.set(index, seq + 1n);
    const inner = new Uint8Array(r.content.length + 1 + Math.max(0, r.padding ?? 0));
    inner.set(r.content);
    inner[r.content.length] = r.type;
    const length = Math.min(0xffff, inner.length + 16);
    const header = Uint8Array.of(r.outerType ?? 23, 3, 3, length >> 8, length & 0xff);
    const sealed = await e.aead.seal(recordNonce(e.iv, seq), header, inner);
    const claimed = Math.max(0, Math.min(0xffff, length + delta));
    header[3] = claimed >> 8;
    header[4] = claimed & 0xff;
    bytes.push(concat(header, sealed));
  }
  const out: Uint8Array[] = [];
  const starts = [...new Set(script.flights.filter((i) => i >= 0 && i < bytes.length))].sort((a, b) => a - b);
  if (starts[0] !== 0) starts.unshift(0);
  for (let i = 0; i < starts.length; i++) out.push(concat(...bytes.slice(starts[i], starts[i + 1])));
  return out.filter((b) => b.length > 0);
}

/** A deep copy of a script. */
export function cloneScript(script: Script): Script {
  return { records: script.records.map((r) => ({ ...r })), flights: [...script.flights] };
}

/** A recorded scenario, ready to produce fresh target engines. */
export interface Scenario {
  readonly spec: ScenarioSpec;
  /** The peer's traffic to the target, handshake and post-handshake, unprotected. */
  readonly script: Script;
  /** The peer's write epochs: handshake, application 0, 1, … */
  readonly epochs: readonly Epoch[];
  /** The application data the target receives from the unmutated script. */
  readonly expectedPlaintext: Uint8Array;
  /** Every secret of the recorded handshake (both key logs), for leak checks. */
  readonly secrets: readonly Uint8Array[];
  /** A fresh engine under test, whose randomness repeats the recording's. */
  newTarget(keyLog?: (line: string) => void): TlsEngine;
}

const encoder = new TextEncoder();

/** Records the scenario `spec` (with randomness from `seed`) and checks that its script replays cleanly. */
export async function recordScenario(spec: ScenarioSpec, seed = 1): Promise<Scenario> {
  const ends = await endpoints(spec, seed);
  let clientLog: string[] = [];
  let serverLog: string[] = [];
  let client = ends.client((l) => clientLog.push(l));
  let server = ends.server((l) => serverLog.push(l));
  let { toServer, toClient } = await pump(client, server);
  if (spec.resume) {
    // The first handshake left a ticket in the client's cache (delivered with the server's first flight
    // after the handshake); the second one resumes with it.
    [clientLog, serverLog] = [[], []];
    client = ends.client((l) => clientLog.push(l));
    server = ends.server((l) => serverLog.push(l));
    ({ toServer, toClient } = await pump(client, server));
    if (!client.info?.resumed) throw new Error(`scenario ${spec.name}: the second handshake did not resume`);
  }
  if (!client.connected || !server.connected) {
    throw new Error(
      `scenario ${spec.name}: the recorded handshake did not complete (${client.error ?? server.error})`,
    );
  }
  const peer = spec.target === "client" ? server : client;
  const side = spec.target === "client" ? "SERVER" : "CLIENT";
  const log = spec.target === "client" ? serverLog : clientLog;
  const recording = spec.target === "client" ? toClient : toServer;
  const allSecrets: Uint8Array[] = [...clientLog, ...serverLog].map((l) =>
    Uint8Array.fromHex(l.split(" ")[2])
  );
  let script: Script;
  let epochs: Epoch[] = [];
  let expectedPlaintext: Uint8Array = new Uint8Array(0);
  if (spec.tls12) {
    script = await decryptRecording(recording, [], true);
  } else {
    const suite = TLS13_SUITES.find((s) => s.name === peer.info!.cipherSuite)!;
    const secrets = [
      logged(log, `${side}_HANDSHAKE_TRAFFIC_SECRET`),
      logged(log, `${side}_TRAFFIC_SECRET_0`),
    ];
    for (let i = 0; i < 3; i++) secrets.push(await nextTrafficSecret(peer.crypto, suite, secrets.at(-1)!));
    allSecrets.push(...secrets);
    epochs = await Promise.all(secrets.map((s) => epoch(peer, suite, s)));
    script = await decryptRecording(recording, epochs);
    // Post-handshake traffic under application keys 0 and (after a KeyUpdate) 1.
    const data1 = encoder.encode(`${spec.name}: application data 0`);
    const data2 = encoder.encode(`${spec.name}: application data 1`);
    expectedPlaintext = concat(data1, data2);
    const post: ScriptRecord[] = [];
    if (spec.target === "client") {
      post.push({
        type: CT.handshake,
        epoch: 1,
        content: encodeHandshake(
          HandshakeType.new_session_ticket,
          encodeNewSessionTicket({
            ticketLifetime: 7200,
            ticketAgeAdd: 0x01020304,
            ticketNonce: Uint8Array.of(0),
            ticket: new Uint8Array(32).fill(7),
            extensions: [],
          }),
        ),
      });
    }
    post.push(
      { type: CT.application_data, epoch: 1, content: data1 },
      {
        type: CT.handshake,
        epoch: 1,
        content: encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: 1 })),
      },
      { type: CT.application_data, epoch: 2, content: data2 },
      { type: CT.alert, epoch: 2, content: Uint8Array.of(1, 0) },
      { type: CT.application_data, epoch: 2, content: encoder.encode("after close_notify: ignored") },
    );
    for (const r of post) {
      script.flights.push(script.records.length);
      script.records.push(r);
    }
  }
  const scenario: Scenario = {
    spec,
    script,
    epochs,
    expectedPlaintext,
    secrets: allSecrets,
    newTarget: spec.target === "client" ? ends.client : ends.server,
  };
  const check = await runTarget(scenario, await serializeScript(script, epochs), { closeAtEnd: false });
  const closed = spec.tls12 || check.peerClosed;
  if (
    check.bug || check.error || !check.connected || !closed || !sameBytes(check.plaintext, expectedPlaintext)
  ) {
    throw new Error(
      `scenario ${spec.name}: the unmutated script does not replay (${
        check.bug ?? check.error ?? "no close"
      })`,
    );
  }
  return scenario;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** What happened to the engine under test. `bug` is set when the fuzzing rule was broken. */
export interface TargetOutcome {
  /** The engine's error, if it failed. */
  readonly error?: unknown;
  /** Whether the handshake completed. */
  readonly connected: boolean;
  /** Whether close_notify was received. */
  readonly peerClosed: boolean;
  /** Application data received. */
  readonly plaintext: Uint8Array;
  /** Why the case breaks the rule: an exception other than a TlsError, internal_error, an inconsistency. */
  readonly bug?: string;
}

/** Options of {@link runTarget}. */
export interface RunOptions {
  /** Report the transport's end after the last delivery (`transportClosed()`). */
  readonly closeAtEnd?: boolean;
  /**
   * The peer's handshake messages as sent, when the case did not edit raw bytes: if they differ from the
   * recording's before the end of the peer's Finished, the handshake must not complete (its transcript is
   * authenticated, RFC 8446 §4.4.4).
   */
  readonly handshakeBytes?: Uint8Array;
}

/** Describes an error for a report, with the stack of its cause. */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const cause = e.cause instanceof Error ? `\n  caused by: ${e.cause.stack}` : "";
  return `${e.stack ?? e.message}${cause}`;
}

/** Why `e` is not an acceptable way for the engine to fail, or undefined when it is. */
export function badError(e: unknown): string | undefined {
  if (!(e instanceof TlsError)) return `not a TlsError: ${describeError(e)}`;
  if (e instanceof TlsAlertError && e.alert === "internal_error" && e.source === "local") {
    return `internal_error (an exception escaped the handshake logic): ${describeError(e)}`;
  }
  return undefined;
}

/**
 * The handshake messages of a script's handshake records, concatenated in order. A record counts by the type
 * the target sees: its header's when it goes in the clear, its inner type when it is protected.
 */
export function handshakeBytes(script: Script, epochs: readonly Epoch[]): Uint8Array {
  const seen = (r: ScriptRecord) => inClear(r, epochs) ? r.outerType ?? r.type : r.type;
  return concat(...script.records.filter((r) => seen(r) === CT.handshake).map((r) => r.content));
}

/** The handshake bytes of the recording up to the end of the peer's (first) Finished message. */
function authenticatedPrefix(scenario: Scenario): Uint8Array {
  const all = handshakeBytes(scenario.script, scenario.epochs);
  if (scenario.spec.tls12) return all.subarray(0, 0);
  for (let i = 0; i + 4 <= all.length;) {
    const end = i + 4 + ((all[i + 1] << 16) | (all[i + 2] << 8) | all[i + 3]);
    if (all[i] === HandshakeType.finished) return all.subarray(0, end);
    i = end;
  }
  return all;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * The description of the last alert the target sent: read in the clear, or opened with the target's own
 * TLS 1.3 write secrets (from its key log) under the recording's suite; undefined when none can be read.
 */
export async function lastAlertSent(
  scenario: Scenario,
  sent: Uint8Array,
  keyLog: readonly string[],
): Promise<number | undefined> {
  let records;
  try {
    records = splitRecords(sent);
  } catch {
    return undefined;
  }
  const last = records.at(-1);
  if (!last) return undefined;
  if (last.type === CT.alert && last.fragment.length === 2) return last.fragment[1];
  if (last.type !== CT.application_data || scenario.spec.tls12 || scenario.epochs.length === 0) {
    return undefined;
  }
  const side = scenario.spec.target === "client" ? "CLIENT" : "SERVER";
  const engineSuite = TLS13_SUITES.find((s) => s.aead === scenario.epochs[0].aead.name);
  const lines = keyLog.filter((l) =>
    l.startsWith(`${side}_HANDSHAKE_TRAFFIC_SECRET `) || l.startsWith(`${side}_TRAFFIC_SECRET_0 `)
  );
  if (!engineSuite || lines.length === 0) return undefined;
  const secrets: Uint8Array[] = lines.map((l) => Uint8Array.fromHex(l.split(" ")[2]));
  for (let i = 0; i < 2; i++) secrets.push(await nextTrafficSecret(webCrypto, engineSuite, secrets.at(-1)!));
  const keys = [];
  for (const secret of secrets) {
    const { key, iv } = await trafficKeys(webCrypto, engineSuite, secret);
    keys.push({ aead: await webCrypto.importAead(engineSuite.aead, key), iv, seq: 0n });
  }
  let current = 0;
  let result: number | undefined;
  for (const record of records) {
    if (record.type !== CT.application_data) continue;
    const header = Uint8Array.of(23, 3, 3, record.fragment.length >> 8, record.fragment.length & 0xff);
    result = undefined;
    for (let e = current; e < keys.length; e++) {
      try {
        const inner = await keys[e].aead.open(recordNonce(keys[e].iv, keys[e].seq), header, record.fragment);
        keys[e].seq++;
        current = e;
        let end = inner.length - 1;
        while (end > 0 && inner[end] === 0) end--;
        if (inner[end] === CT.alert && end === 2) result = inner[1];
        break;
      } catch {
        // not this epoch
      }
    }
  }
  return result;
}

/**
 * Feeds `deliveries` to a fresh target engine, one `receive()` each, and checks the fuzzing rule: every
 * failure is a TlsError that is not a local internal_error, the engine reports that same error afterwards,
 * the alert it sent is the one its error names, queued records resolve, no plaintext comes out after
 * close_notify nor more than went in, and a handshake whose authenticated messages were altered does not
 * complete.
 */
export async function runTarget(
  scenario: Scenario,
  deliveries: readonly Uint8Array[],
  options: RunOptions = {},
): Promise<TargetOutcome> {
  const keyLog: string[] = [];
  const engine = scenario.newTarget((l) => keyLog.push(l));
  const plaintext: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  let fed = 0;
  let bug: string | undefined;
  const flush = async () => {
    try {
      sent.push(...await Promise.all(engine.takeOutput()));
    } catch (e) {
      bug ??= `a queued output record rejected: ${describeError(e)}`;
    }
    const received = engine.takePlaintext();
    if (received.length > 0 && closedBefore) {
      bug ??= "application data accepted after close_notify (RFC 8446 §6.1)";
    }
    plaintext.push(...received);
  };
  let closedBefore = false;
  await engine.start();
  await flush();
  let thrown: unknown;
  for (const bytes of deliveries) {
    fed += bytes.length;
    closedBefore = engine.peerClosed;
    try {
      await engine.receive(bytes);
    } catch (e) {
      thrown = e;
      break;
    }
    await flush();
  }
  await flush();
  if (thrown === undefined && options.closeAtEnd) engine.transportClosed();
  const error = engine.error;
  if (thrown !== undefined) {
    bug ??= badError(thrown);
    if (thrown !== error) bug ??= `receive() threw ${describeError(thrown)} but engine.error is ${error}`;
  }
  if (error !== undefined) {
    bug ??= badError(error);
    // After the first fatal error the engine stays failed with that error.
    try {
      await engine.receive(Uint8Array.of(23, 3, 3, 0, 1, 0));
      bug ??= "receive() succeeded after a fatal error";
    } catch (e) {
      if (e !== error) bug ??= `a second receive() threw a different error: ${describeError(e)}`;
    }
    // Never throw without sending the matching alert first.
    const expected = error instanceof TlsAlertError && error.source === "local"
      ? error.alert
      : error instanceof CertificateVerificationError
      ? error.alert
      : undefined;
    if (expected !== undefined && !expected.startsWith("unknown_alert")) {
      const alert = await lastAlertSent(scenario, concat(...sent), keyLog);
      if (alert !== undefined && alert !== AlertDescription[expected as AlertName]) {
        bug ??= `the error names ${expected} but the alert sent was ${alertName(alert)}: ${
          describeError(error)
        }`;
      }
    }
  }
  if (engine.connected && options.handshakeBytes !== undefined) {
    if (!startsWith(options.handshakeBytes, authenticatedPrefix(scenario))) {
      bug ??= "the handshake completed although the peer's authenticated handshake messages were altered";
    }
  }
  const all = concat(...plaintext);
  if (all.length > fed) bug ??= `${all.length} bytes of plaintext out of ${fed} bytes in`;
  return { error, connected: engine.connected, peerClosed: engine.peerClosed, plaintext: all, bug };
}
