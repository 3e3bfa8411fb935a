/**
 * `deno task bench:compare`: this library against Deno's native TLS (rustls), in one process on loopback,
 * each measured with the same certificate (ECDSA P-256), the same load and the same harness:
 *
 * - (a) bulk transfer: 256 MiB in 64 KiB writes, client → server, both ends of one implementation (MB/s);
 * - (b) sequential full TLS 1.3 handshakes (X25519, ECDSA P-256) per second; mixed pairs for information;
 * - (c) the same handshakes from 32 concurrent clients;
 * - (d) resumed handshakes (psk_dhe_ke with a session cache; reported as not measured when a second
 *   connection does not resume); Deno's client keeps no session between calls, so its figure is full handshakes;
 * - (e) memory per idle established connection (1,000 connections, both ends in this process).
 *
 * Prints a table with the ratios this/native and writes it as JSON to `bench/results/compare.json` (or to
 * `--out=FILE`). `--quick` shortens every measurement for a CI smoke run;
 * `--only=bulk,sequential,concurrent,resumed,memory` picks some.
 * Run with `--v8-flags=--expose-gc` (the task does) so that memory is measured after a full collection.
 *
 * @module
 */

import { TLS13_SUITES } from "../handshake/constants.ts";
import { MemorySessionCache } from "../mod.ts";
import {
  type BenchConn,
  closeQuietly,
  type ConnectOptions,
  type Implementation,
  makePki,
  nativeTls,
  type OurConn,
  thisLibrary,
} from "./_peers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const WRITE_SIZE = 64 * KiB;
const CONCURRENCY = 32;

interface Settings {
  /** Each throughput is measured this many times, native and this library in turn; the best run counts. */
  readonly rounds: number;
  readonly bulkBytes: number;
  readonly handshakes: number;
  readonly concurrentHandshakes: number;
  readonly idleConnections: number;
}

const FULL: Settings = {
  rounds: 3,
  bulkBytes: 256 * MiB,
  handshakes: 300,
  concurrentHandshakes: 640,
  idleConnections: 1000,
};
const QUICK: Settings = {
  rounds: 1,
  bulkBytes: 16 * MiB,
  handshakes: 50,
  concurrentHandshakes: 64,
  idleConnections: 100,
};

/** One row of the result table; a side is null when it was not measured. */
export interface Metric {
  readonly unit: string;
  /** This library's figure. */
  readonly this: number | null;
  /** Deno's native TLS figure. */
  readonly native: number | null;
  /** this / native; higher is better for rates, lower for memory. */
  readonly ratio: number | null;
  readonly target?: string;
  readonly note?: string;
}

/** Every metric the JSON carries, in table order. */
export const METRIC_NAMES = [
  "bulk",
  "sequential",
  "sequential_this_client_native_server",
  "sequential_native_client_this_server",
  "concurrent",
  "resumed",
  "memory_heap",
  "memory_rss",
] as const;

// ---------------------------------------------------------------------------------------------------------
// helpers

/** A counter whose value can be awaited. */
class Counter {
  value = 0;
  #waiters: { at: number; resolve: () => void }[] = [];

  increment(): void {
    this.value++;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.value < w.at) return true;
      w.resolve();
      return false;
    });
  }

  until(at: number, timeoutMs = 120_000): Promise<void> {
    if (this.value >= at) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const timer = setTimeout(() => reject(new Error(`timed out at ${this.value} of ${at}`)), timeoutMs);
    this.#waiters.push({ at, resolve: () => (clearTimeout(timer), resolve()) });
    return promise;
  }
}

/** Reads until the peer closes (or the connection fails), then closes. */
async function drainAndClose(conn: BenchConn): Promise<void> {
  const buf = new Uint8Array(4 * KiB);
  try {
    while ((await conn.read(buf)) !== null) { /* nothing is expected */ }
  } catch {
    // the peer closed without close_notify, or reset: the handshake is what was measured
  }
  closeQuietly(conn);
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

// ---------------------------------------------------------------------------------------------------------
// (a) bulk transfer

const AES_256: ConnectOptions = { cipherSuites: ["TLS_AES_256_GCM_SHA384"] };

/** MB/s of `bytes` written by a client in 64 KiB writes until the server has read them all. */
async function bulk(impl: Implementation, bytes: number): Promise<number> {
  const chunk = new Uint8Array(WRITE_SIZE);
  crypto.getRandomValues(chunk);
  const received = Promise.withResolvers<number>();
  const listener = impl.listen((conn) => {
    (async () => {
      const buf = new Uint8Array(WRITE_SIZE);
      let total = 0;
      try {
        while (total < bytes) {
          const n = await conn.read(buf);
          if (n === null) break;
          total += n;
        }
      } catch (e) {
        received.reject(e);
      }
      if (total < bytes) received.reject(new Error(`server read ${total} of ${bytes} bytes`));
      received.resolve(performance.now());
      closeQuietly(conn);
    })();
  }, AES_256);
  const client = await impl.connect(listener.port, AES_256);
  const start = performance.now();
  for (let sent = 0; sent < bytes; sent += WRITE_SIZE) await client.write(chunk);
  const end = await received.promise;
  await drainAndClose(client);
  listener.close();
  return bytes / 1e6 / ((end - start) / 1000);
}

// ---------------------------------------------------------------------------------------------------------
// (b), (c) handshakes

const X25519: ConnectOptions = { groups: ["X25519"] };
const WARMUP_HANDSHAKES = 10;

/**
 * Handshakes per second (full ones, unless `options` give this library's client a session cache):
 * `concurrency` clients connect in turn until `count` handshakes are done. Each
 * client completes its handshake, then reads until the server (which closes once its side is complete)
 * has closed, so every counted handshake is complete at both ends.
 */
async function handshakes(
  client: Implementation,
  server: Implementation,
  count: number,
  concurrency: number,
  options: ConnectOptions = X25519,
): Promise<number> {
  const served = new Counter();
  const listener = server.listen((conn) => {
    served.increment();
    closeQuietly(conn);
  });
  const one = async () => drainAndClose(await client.connect(listener.port, options));
  for (let i = 0; i < WARMUP_HANDSHAKES; i++) await one();
  await served.until(WARMUP_HANDSHAKES);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < count) await one();
  }));
  await served.until(WARMUP_HANDSHAKES + count);
  const seconds = (performance.now() - start) / 1000;
  listener.close();
  return count / seconds;
}

// ---------------------------------------------------------------------------------------------------------
// (d) resumption

/** Whether a second connection of this library's client to its own listener reports `resumed`. */
async function resumptionAvailable(impl: Implementation, options: ConnectOptions): Promise<boolean> {
  let resumed = false;
  const listener = impl.listen((conn) => closeQuietly(conn));
  try {
    for (let i = 0; i < 2; i++) {
      const conn = await impl.connect(listener.port, options) as OurConn;
      resumed = (await conn.handshake()).resumed;
      await drainAndClose(conn);
    }
  } finally {
    listener.close();
  }
  return resumed;
}

// ---------------------------------------------------------------------------------------------------------
// (e) memory

interface MemoryPerConnection {
  /** V8 heap plus external (ArrayBuffer) memory, bytes per connection end. */
  heap: number;
  /** Resident set size, bytes per connection end. */
  rss: number;
}

/**
 * Memory per idle connection end: `count` connections are established (both ends in this process), each
 * server end waiting in `read()` as an idle server does; the growth of the heap (V8 heap + external) and of
 * the resident set, after a full collection, is divided by the 2 × `count` ends.
 */
async function idleMemory(impl: Implementation, count: number): Promise<MemoryPerConnection> {
  const servers: BenchConn[] = [];
  const clients: BenchConn[] = [];
  const established = new Counter();
  // Every pending server read shares one buffer: what is measured is the connection, not the application.
  const shared = new Uint8Array(16 * KiB);
  const listener = impl.listen((conn) => {
    servers.push(conn);
    conn.read(shared).catch(() => {});
    established.increment();
  });
  // Warm up (code, caches, the listener's own state) before the baseline.
  for (let i = 0; i < 5; i++) clients.push(await impl.connect(listener.port, X25519));
  await established.until(5);
  for (const c of [...servers.splice(0), ...clients.splice(0)]) closeQuietly(c);
  await settle();
  gc();
  await settle();
  const before = Deno.memoryUsage();
  for (let opened = 0; opened < count; opened += CONCURRENCY) {
    const batch = Math.min(CONCURRENCY, count - opened);
    clients.push(
      ...await Promise.all(Array.from({ length: batch }, () => impl.connect(listener.port, X25519))),
    );
  }
  await established.until(5 + count);
  await settle();
  gc();
  await settle();
  const after = Deno.memoryUsage();
  for (const c of [...servers, ...clients]) closeQuietly(c);
  listener.close();
  const ends = 2 * count;
  return {
    heap: (after.heapUsed + after.external - before.heapUsed - before.external) / ends,
    rss: (after.rss - before.rss) / ends,
  };
}

// ---------------------------------------------------------------------------------------------------------
// the run

/**
 * The best of `rounds` runs of each measurement, taken in turn (native, this, native, …) so that a machine
 * busy with something else slows both alike and the best runs are comparable.
 */
async function bestOf(rounds: number, ...measures: (() => Promise<number>)[]): Promise<number[]> {
  const best = measures.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [i, measure] of measures.entries()) best[i] = Math.max(best[i], await measure());
  }
  return best;
}

function ratio(ours: number | null, native: number | null): number | null {
  return ours === null || native === null || native === 0 ? null : ours / native;
}

function row(
  unit: string,
  ours: number | null,
  native: number | null,
  target?: string,
  note?: string,
): Metric {
  return { unit, this: ours, native, ratio: ratio(ours, native), target, note };
}

function format(n: number | null, digits = 1): string {
  return n === null ? "—" : n.toFixed(digits);
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const onlyArg = Deno.args.find((a) => a.startsWith("--only="));
  const only = onlyArg ? new Set(onlyArg.slice("--only=".length).split(",")) : undefined;
  const run = (name: string) => !only || only.has(name);
  const settings = quick ? QUICK : FULL;
  const pki = await makePki();
  const ours = thisLibrary(pki);
  const native = nativeTls(pki);
  const log = (s: string) => console.error(s);
  const metrics: Record<string, Metric> = {};

  if (run("bulk")) {
    log(`(a) bulk: ${settings.bulkBytes / MiB} MiB in 64 KiB writes …`);
    const [n, t] = await bestOf(
      settings.rounds,
      () => bulk(native, settings.bulkBytes),
      () => bulk(ours, settings.bulkBytes),
    );
    metrics.bulk = row("MB/s", t, n, "≥ 0.8", "TLS_AES_256_GCM_SHA384 at both ends");
  }
  if (run("sequential")) {
    log(`(b) ${settings.handshakes} sequential handshakes …`);
    const [n, t, tn, nt] = await bestOf(
      settings.rounds,
      () => handshakes(native, native, settings.handshakes, 1),
      () => handshakes(ours, ours, settings.handshakes, 1),
      () => handshakes(ours, native, settings.handshakes, 1),
      () => handshakes(native, ours, settings.handshakes, 1),
    );
    metrics.sequential = row("handshakes/s", t, n, "≥ 0.7", "TLS 1.3, X25519, ECDSA P-256");
    metrics.sequential_this_client_native_server = row("handshakes/s", tn, n, undefined, "informative");
    metrics.sequential_native_client_this_server = row("handshakes/s", nt, n, undefined, "informative");
  }
  if (run("concurrent")) {
    log(`(c) ${settings.concurrentHandshakes} handshakes from ${CONCURRENCY} concurrent clients …`);
    const [n, t] = await bestOf(
      settings.rounds,
      () => handshakes(native, native, settings.concurrentHandshakes, CONCURRENCY),
      () => handshakes(ours, ours, settings.concurrentHandshakes, CONCURRENCY),
    );
    metrics.concurrent = row("handshakes/s", t, n, "≥ 0.7", `${CONCURRENCY} clients`);
  }
  if (run("resumed")) {
    log("(d) resumed handshakes …");
    const resuming: ConnectOptions = { ...X25519, sessionCache: new MemorySessionCache() };
    if (await resumptionAvailable(ours, resuming)) {
      const [n, t] = await bestOf(
        settings.rounds,
        () => handshakes(native, native, settings.handshakes, 1),
        () => handshakes(ours, ours, settings.handshakes, 1, resuming),
      );
      metrics.resumed = row(
        "handshakes/s",
        t,
        n,
        undefined,
        "psk_dhe_ke; native: full handshakes (Deno.startTls keeps no session across calls)",
      );
    } else {
      metrics.resumed = row(
        "handshakes/s",
        null,
        null,
        undefined,
        "not measured: the second connection did not resume (a regression to investigate)",
      );
    }
  }
  if (run("memory")) {
    log(`(e) memory of ${settings.idleConnections} idle connections …`);
    const n = await idleMemory(native, settings.idleConnections);
    const t = await idleMemory(ours, settings.idleConnections);
    metrics.memory_heap = row("KiB/end", t.heap / KiB, n.heap / KiB, "≤ 64 KiB", "V8 heap + external");
    metrics.memory_rss = row("KiB/end", t.rss / KiB, n.rss / KiB, "≤ 64 KiB", "resident set");
  }

  const machine = {
    nproc: navigator.hardwareConcurrency,
    cpu: cpuModel(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    gc: typeof (globalThis as { gc?: unknown }).gc === "function",
    defaultSuite: TLS13_SUITES[0].name,
  };
  const result = { date: new Date().toISOString(), quick, settings, machine, metrics };

  const lines = [
    "| metric | unit | this | native | this/native | target |",
    "|---|---|---:|---:|---:|---|",
    ...Object.entries(metrics).map(([name, m]) =>
      `| ${name} | ${m.unit} | ${format(m.this)} | ${format(m.native)} | ${format(m.ratio, 2)} | ${
        m.target ?? ""
      }${m.note ? ` (${m.note})` : ""} |`
    ),
  ];
  console.log(lines.join("\n"));
  console.log(`\n${machine.nproc} CPUs, ${machine.cpu}, Deno ${machine.deno}${quick ? ", --quick" : ""}`);
  const outArg = Deno.args.find((a) => a.startsWith("--out="));
  const out = outArg ? outArg.slice("--out=".length) : new URL("./results/compare.json", import.meta.url);
  await Deno.mkdir(new URL(".", out instanceof URL ? out : new URL(out, `file://${Deno.cwd()}/`)), {
    recursive: true,
  });
  await Deno.writeTextFile(out, JSON.stringify(result, null, 2) + "\n");
}

if (import.meta.main) {
  await main();
  // Connections closed without waiting (closeQuietly) may keep resources alive: end the process here.
  Deno.exit(0);
}
