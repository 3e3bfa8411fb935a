/**
 * The load run of `tests/load_test.ts`, in a process of its own (started with `--v8-flags=--expose-gc`, so
 * that heap sizes are measured after a full collection): one `listenTls` echo server on loopback, many
 * `connectTls` clients at once doing request/response round trips, and misbehaving clients mixed in
 * (garbage, stalled, trickling). Prints one JSON line with the results.
 *
 * Usage: deno run -A --v8-flags=--expose-gc tests/_load_child.ts <clients> <roundTrips> <payloadBytes>
 *
 * @module
 */
import { connectTls, type TlsConn } from "../mod.ts";
import { TlsListener } from "../connection/listener.ts";
import { readLine, serverPki } from "./_server.ts";

const [clients, roundTrips, payloadBytes] = Deno.args.map(Number);
const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  gc?.();
  gc?.();
  return Deno.memoryUsage().heapUsed;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pki = await serverPki();
const leaf = pki.leaves["ECDSA P-256"];

/** Echoes lines until the client's close_notify. */
async function echo(conn: TlsConn): Promise<void> {
  try {
    for (;;) {
      const line = await readLine(conn);
      if (line.length === 0) break;
      await conn.write(line);
    }
    await conn.closeWrite();
  } catch {
    // a client that went away
  } finally {
    conn.close();
  }
}

const handshakeErrors: string[] = [];
// The clients run in this process too, so each handshake costs its CPU twice here; a machine short of CPU
// then stretches 256 concurrent handshakes (the listener's default) past their deadline. 32 at a time keeps
// each one short while the rest wait in the kernel's backlog, where no deadline runs.
const listener = new TlsListener({
  hostname: "127.0.0.1",
  port: 0,
  cert: leaf.cert,
  key: leaf.key,
  handshakeTimeout: 15_000,
  onHandshakeError: (e) => handshakeErrors.push(String(e)),
}, { maxHandshakes: 32 });
const port = listener.addr.port;
const serving = new Set<Promise<void>>();
const accepting = (async () => {
  for await (const conn of listener) {
    const task = echo(conn);
    serving.add(task);
    task.finally(() => serving.delete(task));
  }
})();

// Warm up (JIT, certificate parsing, the trust store) before the baseline.
await goodClient(0, 1);
await new Promise((r) => setTimeout(r, 200));
const baseline = heap();

/** One client: `trips` round trips of a line of `payloadBytes` bytes, each checked. */
async function goodClient(id: number, trips = roundTrips): Promise<string | undefined> {
  let conn: TlsConn | undefined;
  try {
    conn = await connectTls({ port, serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null });
    for (let i = 0; i < trips; i++) {
      const body = `${id}:${i}:`.padEnd(payloadBytes - 1, String.fromCharCode(97 + ((id + i) % 26)));
      await conn.write(encoder.encode(body + "\n"));
      const back = decoder.decode(await readLine(conn));
      if (back !== body + "\n") {
        return `client ${id}: round trip ${i} came back as ${JSON.stringify(back.slice(0, 40))}`;
      }
    }
    await conn.closeWrite();
    const end = await conn.read(new Uint8Array(16));
    if (end !== null) return `client ${id}: data after the echo`;
    return undefined;
  } catch (e) {
    return `client ${id}: ${e}`;
  } finally {
    conn?.close();
  }
}

/** Misbehaving clients: garbage, a stalled half ClientHello, and a trickle of one byte per 100 ms. */
async function badClient(kind: "garbage" | "stalled" | "trickle"): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (kind === "garbage") await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    if (kind === "stalled") await conn.write(Uint8Array.of(22, 3, 1, 0, 200, 1, 0, 0, 196));
    if (kind === "trickle") {
      for (const b of [22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3]) {
        await conn.write(Uint8Array.of(b));
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const buf = new Uint8Array(1024);
    while ((await conn.read(buf)) !== null) { /* until the server closes */ }
  } catch {
    // reset by the server
  } finally {
    conn.close();
  }
}

const started = performance.now();
let peak = 0;
const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().heapUsed), 100);
const bad = [
  ...Array.from({ length: 5 }, () => badClient("garbage")),
  ...Array.from({ length: 5 }, () => badClient("stalled")),
  ...Array.from({ length: 3 }, () => badClient("trickle")),
];
const results = await Promise.all(Array.from({ length: clients }, (_, i) => goodClient(i + 1)));
const goodMs = performance.now() - started;
await Promise.all(bad);
clearInterval(sampler);
const failures = results.filter((r): r is string => r !== undefined);
while (serving.size > 0) await Promise.race(serving);
await new Promise((r) => setTimeout(r, 500));
const after = heap();
listener.close();
await accepting;

console.log(JSON.stringify({
  clients,
  roundTrips,
  payloadBytes,
  failures: failures.slice(0, 10),
  failureCount: failures.length,
  handshakeErrors: handshakeErrors.length,
  handshakeErrorSamples: [...new Set(handshakeErrors.map((e) => e.slice(0, 80)))].slice(0, 5),
  goodMs: Math.round(goodMs),
  baselineMiB: +(baseline / 2 ** 20).toFixed(1),
  peakMiB: +(peak / 2 ** 20).toFixed(1),
  afterMiB: +(after / 2 ** 20).toFixed(1),
  gc: gc !== undefined,
}));
