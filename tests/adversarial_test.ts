/**
 * Hostile peers on real TCP sockets. A raw client against `listenTls` sends garbage, a truncated ClientHello,
 * an over-long record, records with lying lengths, a flood of tiny records, a handshake one byte per 100 ms
 * (slowloris) and a reset in the middle of a record; a raw server does the same to `connectTls`. Each ends
 * with the RFC's alert (read back from the raw socket when one is sent in the clear) or the error class Deno's
 * own TLS reports (`UnexpectedEof` for an early end, `ConnectionReset` for a reset), within
 * the handshake timeout — and the listener then serves a well-behaved client as usual.
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { acceptTls, connectTls, startTls, TlsAlertError, TlsError } from "../mod.ts";
import { memoryPipe, readLine, serverPki, startLineServer } from "./_server.ts";
import { scenario } from "./_scripted.ts";
import { serializeScript } from "../fuzz/_harness.ts";

const encoder = new TextEncoder();
/** The handshake timeout of the listener and clients under test. */
const TIMEOUT = 1500;

/** A real ClientHello record (from a recorded handshake of this library's client). */
async function clientHelloRecord(): Promise<Uint8Array> {
  const s = await scenario("server");
  return (await serializeScript({ records: [s.script.records[0]], flights: [0] }, []))[0];
}

/** A real server first flight (ServerHello … Finished), answering some other ClientHello. */
async function serverFlight(): Promise<Uint8Array> {
  const s = await scenario("client");
  const end = s.script.records.findIndex((r) => r.epoch === 1);
  return concat(
    ...await serializeScript({ records: s.script.records.slice(0, end), flights: [0] }, s.epochs),
  );
}

/** Everything `conn` receives until the peer closes or resets it, or `ms` pass. */
async function readUntilClosed(conn: Deno.Conn, ms = 5000): Promise<{ bytes: Uint8Array; ended: boolean }> {
  const chunks: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        chunks.push(buf.slice(0, n));
      }
    } catch {
      // reset by the peer: the connection is over all the same
    }
    ended = true;
  })();
  await Promise.race([reading, new Promise((r) => timer = setTimeout(r, ms))]);
  clearTimeout(timer);
  return { bytes: concat(...chunks), ended };
}

/** The description of the plaintext alert record in `bytes`, if there is one. */
function alertIn(bytes: Uint8Array): number | undefined {
  for (let i = 0; i + 5 <= bytes.length;) {
    const length = (bytes[i + 3] << 8) | bytes[i + 4];
    if (bytes[i] === 21 && length === 2) return bytes[i + 6];
    i += 5 + length;
  }
  return undefined;
}

const ALERT = { unexpected_message: 10, record_overflow: 22, decode_error: 50 } as const;

function isAlert(e: unknown, alert: string, source: "local" | "remote" = "local"): boolean {
  return e instanceof TlsAlertError && e.alert === alert && e.source === source;
}

async function goodClientWorks(port: number, root: string): Promise<void> {
  using client = await connectTls({ port, serverName: "localhost", caCerts: [root] });
  await client.write(encoder.encode("hello, still there?\n"));
  assert.equal(new TextDecoder().decode(await readLine(client)), "hello, still there?\n");
}

/** How a raw client misbehaves, and what the listener must answer. */
interface ClientCase {
  readonly name: string;
  /** Talks to the listener over `conn`; returns when done misbehaving. */
  misbehave(conn: Deno.TcpConn, hello: Uint8Array): Promise<void>;
  /** The plaintext alert read back, or undefined when none is sent (the connection just ends). */
  readonly alert?: keyof typeof ALERT;
  /** Checks the error the listener reported. */
  check(error: unknown): boolean;
}

/**
 * A reset as Deno's own TLS reports it: `ConnectionReset` (with the transport's error as the cause) when a
 * read was waiting as it came, `UnexpectedEof` when the socket reported it as an end of stream.
 */
function endedByReset(e: unknown): boolean {
  return (e instanceof Deno.errors.ConnectionReset && e.cause instanceof Deno.errors.ConnectionReset) ||
    e instanceof Deno.errors.UnexpectedEof;
}

const partialRecordHeader = (type: number, length: number) =>
  Uint8Array.of(type, 3, 1, length >> 8, length & 0xff);

const CLIENT_CASES: ClientCase[] = [
  {
    name: "binary garbage",
    misbehave: async (c) =>
      void await c.write(Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff)),
    alert: "unexpected_message",
    check: (e) => isAlert(e, "unexpected_message"),
  },
  {
    name: "a truncated ClientHello, then the connection is closed",
    misbehave: async (c, hello) => {
      await c.write(hello.subarray(0, hello.length >> 1));
      await c.closeWrite();
    },
    check: (e) =>
      e instanceof Deno.errors.UnexpectedEof && /closed the connection during the handshake/.test(e.message),
  },
  {
    name: "a record header announcing 2^14 + 2048 bytes (record_overflow before the body)",
    misbehave: async (c) => void await c.write(partialRecordHeader(22, 16384 + 2048)),
    alert: "record_overflow",
    check: (e) => isAlert(e, "record_overflow"),
  },
  {
    name: "a handshake record with a zero length",
    misbehave: async (c) => void await c.write(partialRecordHeader(22, 0)),
    alert: "unexpected_message",
    check: (e) => isAlert(e, "unexpected_message"),
  },
  {
    name: "a ClientHello whose record length runs 1 byte past it (into the next record)",
    misbehave: async (c, hello) => {
      const lying = hello.slice();
      const length = ((lying[3] << 8) | lying[4]) + 1;
      lying[3] = length >> 8;
      lying[4] = length & 0xff;
      await c.write(concat(lying, Uint8Array.of(22)));
    },
    check: (e) => isAlert(e, "unexpected_message") || isAlert(e, "decode_error"),
  },
  {
    // RFC 8446 §5.1 lets a message span any number of records: the server collects them (linear cost, no
    // per-record state) and waits for the rest of the 64 KiB announced, until handshakeTimeout.
    name: "a flood of one-byte handshake records (cut by handshakeTimeout)",
    misbehave: async (c) => {
      const records: Uint8Array[] = [Uint8Array.of(22, 3, 1, 0, 4, 1, 0, 0xff, 0xff)];
      for (let i = 0; i < 400; i++) records.push(Uint8Array.of(22, 3, 1, 0, 1, i & 0xff));
      await c.write(concat(...records));
    },
    check: (e) => e instanceof TlsError && new RegExp(`within ${TIMEOUT} ms`).test(e.message),
  },
  {
    name: "slowloris: the ClientHello one byte per 100 ms (cut by handshakeTimeout)",
    misbehave: async (c, hello) => {
      for (let i = 0; i < 30; i++) {
        try {
          await c.write(hello.subarray(i, i + 1));
        } catch {
          return; // closed by the server: the point of the test
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    check: (e) => e instanceof TlsError && new RegExp(`within ${TIMEOUT} ms`).test(e.message),
  },
  {
    name: "a reset in the middle of a record",
    misbehave: async (c, hello) => {
      // A whole ClientHello and half of the next record; the server's flight is left unread, so closing
      // resets the connection.
      await c.write(concat(hello, partialRecordHeader(23, 200), new Uint8Array(50)));
      await new Promise((r) => setTimeout(r, 200));
      c.close();
    },
    check: (e) => endedByReset(e),
  },
];

for (const test of CLIENT_CASES) {
  Deno.test(`adversarial client vs listenTls: ${test.name}`, async () => {
    const pki = await serverPki();
    const hello = await clientHelloRecord();
    await using server = startLineServer({
      cert: pki.leaves["Ed25519"].cert,
      key: pki.leaves["Ed25519"].key,
      handshakeTimeout: TIMEOUT,
    });
    const started = Date.now();
    const raw = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    let closedByUs = false;
    try {
      await test.misbehave(raw, hello);
      const [error] = await server.waitForErrors(1);
      assert.ok(test.check(error), `unexpected outcome: ${error}`);
      assert.ok(Date.now() - started < TIMEOUT + 3000, "the listener gave up within its timeout");
      if (test.name.startsWith("a reset")) {
        closedByUs = true;
      } else {
        const { bytes, ended } = await readUntilClosed(raw);
        assert.ok(ended, "the listener closed the connection");
        if (test.alert) {
          assert.equal(alertIn(bytes), ALERT[test.alert], `alert read back from ${bytes.toHex()}`);
        }
      }
    } finally {
      if (!closedByUs) raw.close();
    }
    await goodClientWorks(server.port, pki.root.cert);
    assert.equal(server.handshakes.length, 1);
  });
}

/** How a raw server misbehaves toward `connectTls`, and how the client must end. */
interface ServerCase {
  readonly name: string;
  misbehave(conn: Deno.TcpConn, flight: Uint8Array): Promise<void>;
  readonly alert?: keyof typeof ALERT;
  check(error: unknown): boolean;
}

const SERVER_CASES: ServerCase[] = [
  {
    name: "an HTTP response instead of a ServerHello",
    misbehave: async (c) => void await c.write(encoder.encode("HTTP/1.1 400 Bad Request\r\n\r\n")),
    alert: "unexpected_message",
    check: (e) => isAlert(e, "unexpected_message"),
  },
  {
    name: "a truncated ServerHello, then the connection is closed",
    misbehave: async (c, flight) => {
      await c.write(flight.subarray(0, 40));
      await c.closeWrite();
    },
    check: (e) =>
      e instanceof Deno.errors.UnexpectedEof && /closed the connection during the handshake/.test(e.message),
  },
  {
    name: "a record header announcing 2^14 + 2048 bytes",
    misbehave: async (c) => void await c.write(partialRecordHeader(22, 16384 + 2048)),
    alert: "record_overflow",
    check: (e) => isAlert(e, "record_overflow"),
  },
  {
    name: "a handshake record with a zero length",
    misbehave: async (c) => void await c.write(partialRecordHeader(22, 0)),
    alert: "unexpected_message",
    check: (e) => isAlert(e, "unexpected_message"),
  },
  {
    name: "a ServerHello whose record is one byte short",
    misbehave: async (c, flight) => {
      const length = (flight[3] << 8) | flight[4];
      const lying = flight.slice(0, 5 + length);
      lying[4] -= 1;
      await c.write(concat(lying, Uint8Array.of(0, 0, 0, 0)));
    },
    check: (e) => e instanceof TlsAlertError && e.source === "local",
  },
  {
    // As on the server: the records are collected and the client waits for the rest, until handshakeTimeout.
    name: "a flood of one-byte handshake records (cut by handshakeTimeout)",
    misbehave: async (c) => {
      const records: Uint8Array[] = [Uint8Array.of(22, 3, 3, 0, 4, 2, 0, 0xff, 0xff)];
      for (let i = 0; i < 400; i++) records.push(Uint8Array.of(22, 3, 3, 0, 1, i & 0xff));
      await c.write(concat(...records));
    },
    check: (e) => e instanceof TlsError && new RegExp(`within ${TIMEOUT} ms`).test(e.message),
  },
  {
    name: "slowloris: the server flight one byte per 100 ms (cut by handshakeTimeout)",
    misbehave: async (c, flight) => {
      for (let i = 0; i < 30; i++) {
        try {
          await c.write(flight.subarray(i, i + 1));
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    check: (e) => e instanceof TlsError && new RegExp(`within ${TIMEOUT} ms`).test(e.message),
  },
  {
    name: "a reset in the middle of a record",
    misbehave: async (c, flight) => {
      // Half a ServerHello; the ClientHello is left unread, so closing resets the connection.
      await c.write(flight.subarray(0, 30));
      await new Promise((r) => setTimeout(r, 100));
      c.close();
    },
    check: (e) => endedByReset(e),
  },
];

for (const test of SERVER_CASES) {
  Deno.test(`adversarial server vs connectTls: ${test.name}`, async () => {
    const pki = await serverPki();
    const flight = await serverFlight();
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const behaviour = (async () => {
      const conn = await listener.accept();
      const first = new Uint8Array(4096);
      // The ClientHello (only its first bytes in the reset case: closing with the rest unread resets).
      await conn.read(test.name.startsWith("a reset") ? first.subarray(0, 10) : first);
      await test.misbehave(conn, flight);
      if (test.name.startsWith("a reset")) return undefined;
      const back = await readUntilClosed(conn);
      conn.close();
      return back;
    })();
    const started = Date.now();
    // connectTls resolves once TCP is connected; the handshake's outcome comes from handshake().
    using client = await connectTls({
      port: listener.addr.port,
      serverName: "localhost",
      caCerts: [pki.root.cert],
      handshakeTimeout: TIMEOUT,
      sessionCache: null,
    });
    const error = await client.handshake().then(() => new Error("the handshake succeeded"), (e) => e);
    assert.ok(test.check(error), `unexpected outcome: ${error}`);
    assert.ok(Date.now() - started < TIMEOUT + 3000, "the client gave up within its timeout");
    const back = await behaviour;
    if (back) {
      assert.ok(back.ended, "the client closed the connection");
      if (test.alert) {
        assert.equal(alertIn(back.bytes), ALERT[test.alert], `alert read back from ${back.bytes.toHex()}`);
      }
    }
  });
}

Deno.test("connectTls: signal aborts a stalled handshake and closes the socket; an aborted signal never connects one", async () => {
  const pki = await serverPki();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("gave up")), 200);
  using client = await connectTls({
    port: listener.addr.port,
    serverName: "localhost",
    caCerts: [pki.root.cert],
    signal: controller.signal,
  });
  await assert.rejects(client.handshake(), /gave up/);
  await assert.rejects(client.read(new Uint8Array(1)), /gave up/, "a read reports the handshake's failure");
  using server = await accepted;
  const { ended } = await readUntilClosed(server);
  assert.ok(ended, "the client closed its socket");
  await assert.rejects(
    connectTls({
      port: listener.addr.port,
      caCerts: [pki.root.cert],
      signal: AbortSignal.abort(new Error("early")),
    }),
    /early/,
  );
});

Deno.test("handshakeTimeout: invalid values are RangeErrors; the client default is 30 s", async () => {
  const { DEFAULT_CLIENT_HANDSHAKE_TIMEOUT } = await import("../connection/deadline.ts");
  assert.equal(DEFAULT_CLIENT_HANDSHAKE_TIMEOUT, 30_000);
  for (const handshakeTimeout of [-1, Number.NaN, Infinity]) {
    await assert.rejects(startTls(memoryPipe()[0], { handshakeTimeout }), RangeError);
    await assert.rejects(acceptTls(memoryPipe()[1], { handshakeTimeout, certificates: [] }), RangeError);
  }
});

Deno.test("listenTls: serves good clients while others trickle, stall and send garbage at the same time", async () => {
  const pki = await serverPki();
  const hello = await clientHelloRecord();
  await using server = startLineServer({
    cert: pki.leaves["ECDSA P-256"].cert,
    key: pki.leaves["ECDSA P-256"].key,
    handshakeTimeout: TIMEOUT,
  });
  const raws = await Promise.all(
    Array.from({ length: 6 }, () => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
  );
  const trickling = raws.slice(0, 3).map((c) =>
    CLIENT_CASES.find((t) => t.name.startsWith("slowloris"))!.misbehave(c, hello)
  );
  await raws[3].write(hello.subarray(0, 10)); // stalled
  await raws[4].write(encoder.encode("garbage\r\n\r\n"));
  const started = Date.now();
  for (let i = 0; i < 3; i++) await goodClientWorks(server.port, pki.root.cert);
  assert.ok(Date.now() - started < TIMEOUT, "served before the misbehaving clients were cut off");
  await Promise.all(trickling);
  const errors = await server.waitForErrors(5);
  assert.ok(errors.every((e) => e instanceof TlsError), String(errors));
  for (const raw of raws) raw.close();
});

Deno.test("acceptTls: an already aborted signal closes the connection it was given", async () => {
  const pki = await serverPki();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  using client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const tcp = await listener.accept();
  const leaf = pki.leaves["ECDSA P-256"];
  await assert.rejects(
    acceptTls(tcp, { cert: leaf.cert, key: leaf.key, signal: AbortSignal.abort(new Error("shutting down")) }),
    /shutting down/,
  );
  const { ended } = await readUntilClosed(client, 2000);
  assert.ok(ended, "the server side of the connection was closed");
});
