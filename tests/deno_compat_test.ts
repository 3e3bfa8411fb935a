/**
 * The differential test against Deno's own TLS: each scenario runs with Deno's native `connectTls`/
 * `listenTls`/`startTls` at both ends, then with this library at both ends and across (our client with the
 * native server, the native client with our server), and must give the same observable result — bytes
 * received, `null` at the end, error classes, what `handshake()` returns. The data-loss scenarios run many
 * times, to catch a race. Where the library deliberately differs, the scenario says so in one line (and the
 * docs/guide.md lists it).
 *
 * RFC 8446 §6.1: each side sends close_notify before closing its write side; the other side's reading is
 * unaffected, and nothing written before the close_notify may be lost.
 */
import assert from "node:assert/strict";
import {
  closeQuietly,
  delay,
  type Impl,
  listen,
  type ListenOptions,
  pair,
  payload,
  receive,
  type Received,
  send,
} from "./_compat.ts";
import type { TlsVersion } from "../mod.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
/** Client implementation, server implementation: the reference first, then ours at both ends and across. */
const COMBOS: readonly (readonly [Impl, Impl])[] = [["ours", "ours"], ["ours", "native"], ["native", "ours"]];
const reference = (): readonly [Impl, Impl] => ["native", "native"];

type Role = "client" | "server";

/** Options of one run: who is which implementation, and which TLS version our side(s) may use. */
interface Run {
  clientImpl: Impl;
  serverImpl: Impl;
  maxVersion?: TlsVersion;
}

async function withPair<T>(
  run: Run,
  body: (ends: Record<Role, Deno.Conn>) => Promise<T>,
  listenOptions: ListenOptions = {},
): Promise<T> {
  const listener = await listen(run.serverImpl, { ...listenOptions, maxVersion: run.maxVersion });
  try {
    const { client, server } = await pair(run.clientImpl, listener, { maxVersion: run.maxVersion });
    try {
      return await body({ client, server });
    } finally {
      closeQuietly(client);
      closeQuietly(server);
    }
  } finally {
    listener.close();
  }
}

/**
 * The half-close exchange of HTTP/1.0 and many RPC framings: `initiator` writes `size` bytes in writes of
 * `chunk` bytes and closeWrite()s; the other side reads them (to the end of the stream, or — `framed` — just
 * the `size` bytes, leaving the close_notify, sent a moment later, unread), writes `size` bytes back and close()s right after its
 * last awaited write; the initiator reads the answer to the end.
 */
function halfCloseExchange(initiator: Role, size: number, chunk: number, framed: boolean) {
  const request = payload(size, 1);
  const answer = payload(size, 2);
  const responder: Role = initiator === "client" ? "server" : "client";
  return (run: Run) =>
    withPair(run, async (ends) => {
      const [initiatorSide, responderSide] = await Promise.all([
        (async () => {
          const wrote = await send(ends[initiator], request, chunk);
          // Framed, the close_notify comes a moment later: it is still unread when the peer closes.
          if (framed) await delay(30);
          await ends[initiator].closeWrite();
          const received = await receive(ends[initiator], answer);
          return { wrote, received };
        })(),
        (async () => {
          const received = await receive(ends[responder], request, framed ? size : undefined);
          const wrote = await send(ends[responder], answer, chunk);
          ends[responder].close();
          return { received, wrote };
        })(),
      ]);
      return { initiator: initiatorSide, responder: responderSide };
    });
}

/**
 * `writer` sends 1 MiB with awaited writes, then (optionally) closeWrite(), then close() at once, while the
 * other side only reads: every byte must arrive, then the end of the stream.
 */
function writeThenClose(writer: Role, closeWrite: boolean) {
  const data = payload(MiB, 3);
  const reader: Role = writer === "client" ? "server" : "client";
  return (run: Run) =>
    withPair(run, async (ends) => {
      const [wrote, received] = await Promise.all([
        (async () => {
          const wrote = await send(ends[writer], data, 16 * KiB);
          if (closeWrite) await ends[writer].closeWrite();
          ends[writer].close();
          return wrote;
        })(),
        receive(ends[reader], data),
      ]);
      return { wrote, received };
    });
}

/**
 * `initiator` sends a 1 MiB request (then closeWrite()) while reading the answer; the other side reads only the
 * first 1 KiB of it, answers 256 KiB and close()s — an HTTP server refusing a large upload does this. The
 * request's unread rest must not turn the close into a reset that destroys the answer.
 */
function answerBeforeRequestIsRead(initiator: Role) {
  const request = payload(MiB, 4);
  const answer = payload(256 * KiB, 5);
  const responder: Role = initiator === "client" ? "server" : "client";
  return (run: Run) =>
    withPair(run, async (ends) => {
      const [received, responded] = await Promise.all([
        (async () => {
          const [received] = await Promise.all([
            receive(ends[initiator], answer),
            send(ends[initiator], request, 64 * KiB).then(() => ends[initiator].closeWrite()).catch(() => {}),
          ]);
          return received;
        })(),
        (async () => {
          const head = await receive(ends[responder], request.subarray(0, KiB), KiB);
          const wrote = await send(ends[responder], answer, 64 * KiB);
          ends[responder].close();
          return { head, wrote };
        })(),
      ]);
      return { received, responded };
    });
}

/**
 * Runs `scenario` `repeat` times in each combination of `combos` (ours at both ends and across, by default)
 * and compares with `expected` (by default, what the native run gives).
 */
async function differential<T>(
  scenario: (run: Run) => Promise<T>,
  repeat: number,
  maxVersions: readonly (TlsVersion | undefined)[] = [undefined],
  combos: readonly (readonly [Impl, Impl])[] = COMBOS,
  expected?: T,
): Promise<void> {
  const [clientImpl, serverImpl] = reference();
  expected ??= await scenario({ clientImpl, serverImpl });
  for (let i = 0; i < repeat; i++) {
    for (const [clientImpl, serverImpl] of combos) {
      for (const maxVersion of maxVersions) {
        const actual = await scenario({ clientImpl, serverImpl, maxVersion });
        assert.deepEqual(
          actual,
          expected,
          `client ${clientImpl}, server ${serverImpl}, ${maxVersion ?? "TLSv1.3"}, run ${i + 1} of ${repeat}`,
        );
      }
    }
  }
}

const complete = (bytes: number): Received => ({ bytes, intact: true, end: "eof" });

for (const initiator of ["client", "server"] as const) {
  for (
    const [label, size, chunk, repeat] of [
      ["1 byte", 1, 1, 4],
      ["100 KiB in 1 KiB writes", 100 * KiB, KiB, 2],
      ["one 1 MiB write", MiB, MiB, 3],
      ["100 × 64 KiB writes", 100 * 64 * KiB, 64 * KiB, 2],
    ] as const
  ) {
    for (const framed of [false, true]) {
      const reads = framed ? "reads the length it expects" : "reads to the end";
      Deno.test(
        `RFC 8446 §6.1: half-close exchange started by the ${initiator}, ${label} each way; the peer ${reads}`,
        async () => {
          const scenario = halfCloseExchange(initiator, size, chunk, framed);
          const expected = {
            initiator: { wrote: "ok", received: complete(size) },
            responder: { received: { ...complete(size), end: framed ? "not read" : "eof" }, wrote: "ok" },
          };
          if (!framed) {
            const [clientImpl, serverImpl] = reference();
            assert.deepEqual(await scenario({ clientImpl, serverImpl }), expected);
            await differential(scenario, repeat, [undefined, "TLSv1.2"]);
            return;
          }
          // Deliberate difference: a close() with the peer's close_notify unread reads it first; Deno's may
          // close the socket with it unread, and the kernel's reset then destroys the answer in flight.
          const oursResponds = COMBOS.filter(([client]) => initiator === "server" ? client === "ours" : true)
            .filter(([, server]) => initiator === "client" ? server === "ours" : true);
          await differential(scenario, repeat, [undefined, "TLSv1.2"], oursResponds, expected);
        },
      );
    }
  }
  Deno.test(`RFC 8446 §6.1: the ${initiator}'s peer answers and closes before reading the whole request`, async () => {
    // Deliberate difference: our close() reads and drops the rest (≤ CLOSE_LINGER_MS); Deno's resets it.
    const scenario = answerBeforeRequestIsRead(initiator);
    const expected = {
      received: complete(256 * KiB),
      responded: { head: { bytes: KiB, intact: true, end: "not read" }, wrote: "ok" },
    };
    for (let i = 0; i < 5; i++) {
      for (const other of ["ours", "native"] as const) {
        for (const maxVersion of [undefined, "TLSv1.2"] as const) {
          const run = initiator === "client"
            ? { clientImpl: other, serverImpl: "ours" as const, maxVersion }
            : { clientImpl: "ours" as const, serverImpl: other, maxVersion };
          assert.deepEqual(await scenario(run), expected, `${JSON.stringify(run)}, run ${i + 1}`);
        }
      }
    }
  });
  for (const closeWrite of [true, false]) {
    const how = closeWrite ? "closeWrite() then close()" : "close()";
    Deno.test(`RFC 8446 §6.1: the ${initiator} writes 1 MiB then ${how}; the peer reads every byte`, async () => {
      const scenario = writeThenClose(initiator, closeWrite);
      const [clientImpl, serverImpl] = reference();
      assert.deepEqual(await scenario({ clientImpl, serverImpl }), { wrote: "ok", received: complete(MiB) });
      await differential(scenario, 8, [undefined, "TLSv1.2"]);
    });
  }
}
