/**
 * Closing without losing data, over a `{ readable, writable }` pair (the TCP cases, against Deno's own TLS,
 * are in `deno_compat_test.ts`): both roles, TLS 1.3 and 1.2, `write`/`read` and the `writable`/`readable`
 * streams; `closeWrite()` resolving only once everything and the close_notify are with the transport; the
 * linger bound on a peer that stalls, and none on a peer that is merely slow; the abortive close.
 */
import assert from "node:assert/strict";
import { startTlsWithTestOptions } from "../connection/client.ts";
import { resolveServerConfig, serverConn } from "../connection/server.ts";
import { toByteTransport } from "../connection/transport.ts";
import type { StreamPair } from "../connection/transport.ts";
import type { TlsConn, TlsVersion } from "../mod.ts";
import { payload, receive } from "./_compat.ts";
import { memoryPipe, records, serverPki } from "./_server.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const VERSIONS: readonly TlsVersion[] = ["TLSv1.3", "TLSv1.2"];

type Role = "client" | "server";

/** A client and a server of this library over `pipe`, both with the handshake done. */
async function connectedPair(
  pipe: [StreamPair, StreamPair],
  maxVersion: TlsVersion,
  lingerMs?: number,
): Promise<Record<Role, TlsConn>> {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const config = await resolveServerConfig({ cert: leaf.cert, key: leaf.key, maxVersion });
  const server = serverConn(config, toByteTransport(pipe[1]), {}, { lingerMs });
  const [client] = await Promise.all([
    startTlsWithTestOptions(
      pipe[0],
      { serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null, maxVersion },
      { lingerMs },
    ),
    server.handshake(),
  ]);
  await client.handshake();
  return { client, server };
}

/** A pipe whose directions hold at most `chunks` chunks: a writer waits for the reader beyond that. */
function narrowPipe(chunks = 1): [StreamPair, StreamPair] {
  const direction = () =>
    new TransformStream<Uint8Array, Uint8Array>({}, { highWaterMark: chunks }, { highWaterMark: 0 });
  const toServer = direction();
  const toClient = direction();
  return [
    { readable: toClient.readable, writable: toServer.writable },
    { readable: toServer.readable, writable: toClient.writable },
  ];
}

const other = (role: Role): Role => role === "client" ? "server" : "client";

for (const maxVersion of VERSIONS) {
  for (const writer of ["client", "server"] as const) {
    for (const api of ["write", "writable"] as const) {
      Deno.test(`RFC 8446 §6.1: ${maxVersion}, the ${writer} sends 1 MiB with ${api} then close(); the peer reads every byte (stream pair)`, async () => {
        const ends = await connectedPair(narrowPipe(4), maxVersion);
        const data = payload(MiB, 11);
        const reader = ends[other(writer)];
        const [{ closed }, received] = await Promise.all([
          (async () => {
            const conn = ends[writer];
            if (api === "write") {
              for (let off = 0; off < data.length; off += 16 * KiB) {
                await conn.write(data.subarray(off, off + 16 * KiB));
              }
            } else {
              const chunks = Array.from(
                { length: 64 },
                (_, i) => data.subarray(i * 16 * KiB, (i + 1) * 16 * KiB),
              );
              await ReadableStream.from(chunks).pipeTo(conn.writable); // closing it is closeWrite()
            }
            // Not awaited here: it completes once the reader's close_notify comes back.
            return { closed: conn.close() };
          })(),
          api === "write" ? receive(reader, data) : new Response(reader.readable).bytes().then((b) => ({
            bytes: b.length,
            intact: b.every((x, i) => x === data[i]) && b.length === data.length,
            end: "eof",
          })),
        ]);
        assert.deepEqual(received, { bytes: MiB, intact: true, end: "eof" });
        await Promise.all([closed, reader.close()]);
      });
    }
  }

  Deno.test(`RFC 8446 §6.1: ${maxVersion}, closeWrite() resolves once every queued record and the close_notify are with the transport`, async () => {
    const written: Uint8Array[] = [];
    const pipe = memoryPipe({ toServer: (chunk) => written.push(chunk) });
    const { client, server } = await connectedPair(pipe, maxVersion);
    const before = records(written).length;
    // Awaited writes return with up to 512 KiB still being sealed or queued (write-behind).
    for (let i = 0; i < 64; i++) await client.write(payload(16 * KiB, i));
    await client.closeWrite();
    const sent = records(written).slice(before);
    // 64 full records of application data, then the close_notify (in TLS 1.2 visibly an alert).
    assert.equal(sent.length, 65);
    assert.ok(sent.slice(0, 64).every((r) => r.type === 23 && r.fragment.length >= 16 * KiB));
    assert.equal(sent[64].type, maxVersion === "TLSv1.2" ? 21 : 23);
    assert.deepEqual(await receive(server, new Uint8Array(0), 0), {
      bytes: 0,
      intact: true,
      end: "not read",
    });
    await Promise.all([client.close(), server.close()]);
  });
}

Deno.test("close() gives up on a peer that neither reads nor closes, after the linger time without progress", async () => {
  for (const maxVersion of VERSIONS) {
    const { client, server } = await connectedPair(narrowPipe(1), maxVersion, 300);
    // The server never reads again: once the pipe is full, nothing the client flushes is taken.
    for (let i = 0; i < 8; i++) await client.write(payload(64 * KiB, i));
    const started = performance.now();
    await client.close();
    const took = performance.now() - started;
    assert.ok(took >= 250 && took < 3000, `close() took ${took.toFixed(0)} ms`);
    server.abort();
  }
});

Deno.test("close() waits for a peer that reads everything but never answers the close_notify, at most the linger time", async () => {
  const { client, server } = await connectedPair(narrowPipe(4), "TLSv1.3", 300);
  const reading = receive(server, new Uint8Array(0));
  const started = performance.now();
  await client.close();
  const took = performance.now() - started;
  assert.ok(took >= 250 && took < 3000, `close() took ${took.toFixed(0)} ms`);
  // The server saw the close_notify: the end of the stream.
  assert.deepEqual(await reading, { bytes: 0, intact: true, end: "eof" });
  server.abort();
});

Deno.test("close() gives up on a peer that keeps sending instead of answering the close_notify", async () => {
  const { client, server } = await connectedPair(narrowPipe(4), "TLSv1.3", 300);
  // The server reads (and so sees the close_notify) but writes without end instead of closing: the client's
  // close() drops its data, and waits for its close_notify only the linger time.
  const reading = receive(server, new Uint8Array(0));
  let writing = true;
  const flood = (async () => {
    while (writing) await server.write(payload(16 * KiB, 1)).catch(() => writing = false);
  })();
  await new Promise((r) => setTimeout(r, 50));
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    client.close().then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 5000)),
  ]);
  clearTimeout(timer);
  const took = performance.now() - started;
  writing = false;
  if (!closed) client.abort();
  assert.ok(closed, "close() still waiting after 5 s");
  assert.deepEqual(await reading, { bytes: 0, intact: true, end: "eof" });
  server.abort();
  await flood;
  assert.ok(took >= 250 && took < 3000, `close() took ${took.toFixed(0)} ms`);
});

Deno.test("close() is not cut short by the linger time while a slow peer keeps reading", async () => {
  const { client, server } = await connectedPair(narrowPipe(1), "TLSv1.3", 200);
  const data = payload(MiB, 12);
  // The server takes 32 KiB every 30 ms: the whole transfer lasts several linger times.
  const slowly = (async () => {
    const buf = new Uint8Array(32 * KiB);
    let bytes = 0;
    let intact = true;
    for (;;) {
      await new Promise((r) => setTimeout(r, 30));
      const n = await server.read(buf);
      if (n === null) return { bytes, intact };
      for (let i = 0; i < n && intact; i++) intact = buf[i] === data[bytes + i];
      bytes += n;
    }
  })();
  for (let off = 0; off < data.length; off += 64 * KiB) {
    await client.write(data.subarray(off, off + 64 * KiB));
  }
  const closing = client.close();
  assert.deepEqual(await slowly, { bytes: MiB, intact: true });
  await server.close();
  await closing;
});

Deno.test("abort(): the abortive close drops what is queued, sends no close_notify, interrupts a pending read", async () => {
  const { client, server } = await connectedPair(narrowPipe(1), "TLSv1.3");
  const pending = client.read(new Uint8Array(1)).then(() => "read", (e) => (e as Error).name);
  for (let i = 0; i < 4; i++) await client.write(payload(64 * KiB, i));
  client.abort();
  assert.equal(await pending, "Interrupted");
  await assert.rejects(client.read(new Uint8Array(1)), (e) => (e as Error).name === "BadResource");
  // The server gets what was already through, then an error — never a clean end of stream.
  const received = await receive(server, new Uint8Array(0));
  assert.ok(received.bytes < 4 * 64 * KiB, `${received.bytes} bytes`);
  assert.notEqual(received.end, "eof");
  await server.close();
});
