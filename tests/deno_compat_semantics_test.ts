/**
 * The differential test against Deno's own TLS, continued (`deno_compat_test.ts` has the data-loss
 * scenarios): the `Deno.Conn` semantics around closing, laziness, ALPN, hostname verification and streams.
 * Each scenario runs with Deno's native `connectTls`/`listenTls`/`startTls` at both ends, then with this
 * library at both ends and across, and must give the same observable result. Deliberate differences are said
 * in one line where they apply (and listed in docs/guide.md).
 */
import assert from "node:assert/strict";
import {
  type AnyListener,
  type AnyTlsConn,
  closeQuietly,
  connect,
  type ConnectOptions,
  connectStartTls,
  delay,
  errorClass,
  type Impl,
  listen,
  type ListenOptions,
  outcome,
  pair,
  payload,
  receive,
} from "./_compat.ts";

const COMBOS: readonly (readonly [Impl, Impl])[] = [["ours", "ours"], ["ours", "native"], ["native", "ours"]];
const REPEAT = 3;

type Role = "client" | "server";

/** Runs `scenario` natively, then `REPEAT` times in each combination, and compares the results. */
async function sameAsNative<T>(scenario: (client: Impl, server: Impl) => Promise<T>): Promise<T> {
  const expected = await scenario("native", "native");
  for (let i = 0; i < REPEAT; i++) {
    for (const [client, server] of COMBOS) {
      assert.deepEqual(
        await scenario(client, server),
        expected,
        `client ${client}, server ${server}, run ${i + 1}`,
      );
    }
  }
  return expected;
}

/** A listener of `impl` for the length of `body`. */
async function withListener<T>(
  impl: Impl,
  options: ListenOptions,
  body: (listener: AnyListener) => Promise<T>,
): Promise<T> {
  const listener = await listen(impl, options);
  try {
    return await body(listener);
  } finally {
    closeQuietly(listener);
  }
}

/** A connected pair for the length of `body`; both ends closed after it. */
function withPair<T>(
  client: Impl,
  server: Impl,
  body: (ends: Record<Role, AnyTlsConn>) => Promise<T>,
  options: { listen?: ListenOptions; connect?: ConnectOptions } = {},
): Promise<T> {
  return withListener(server, options.listen ?? {}, async (listener) => {
    const ends = await pair(client, listener, options.connect);
    try {
      await Promise.all([ends.client.handshake(), ends.server.handshake()]);
      return await body(ends);
    } finally {
      closeQuietly(ends.client);
      closeQuietly(ends.server);
    }
  });
}

const other = (role: Role): Role => role === "client" ? "server" : "client";

for (const role of ["client", "server"] as const) {
  Deno.test(`Deno.Conn: close() by the ${role} rejects its pending read with Interrupted, later calls with BadResource`, async () => {
    const result = await sameAsNative((client, server) =>
      withPair(client, server, async (ends) => {
        const conn = ends[role];
        const pending = outcome(conn.read(new Uint8Array(16)));
        await delay(20);
        conn.close();
        return {
          pending: await pending,
          read: await outcome(() => conn.read(new Uint8Array(16))),
          write: await outcome(() => conn.write(new Uint8Array(1))),
          emptyWrite: await outcome(() => conn.write(new Uint8Array(0))),
          closeWrite: await outcome(() => conn.closeWrite().then(() => undefined)),
          handshake: await outcome(() => conn.handshake().then(() => undefined)),
          // The peer sees the close_notify: the end of the stream, not an error.
          peerRead: await outcome(ends[other(role)].read(new Uint8Array(16))),
        };
      })
    );
    assert.deepEqual(result, {
      pending: "Interrupted",
      read: "BadResource",
      write: "BadResource",
      emptyWrite: "BadResource",
      closeWrite: "BadResource",
      handshake: "BadResource",
      peerRead: "ok null",
    });
  });

  Deno.test(`RFC 8446 §6.1: empty reads and writes before and after closeWrite() by the ${role}; reading goes on`, async () => {
    const result = await sameAsNative((client, server) =>
      withPair(client, server, async (ends) => {
        const conn = ends[role];
        const peer = ends[other(role)];
        const before = {
          emptyWrite: await outcome(conn.write(new Uint8Array(0))),
          emptyRead: await outcome(conn.read(new Uint8Array(0))),
        };
        // (Deno's closeWrite() resolves to null, ours to undefined: both are "ok".)
        const closeWrite = await outcome(conn.closeWrite().then(() => undefined));
        const after = {
          emptyWrite: await outcome(conn.write(new Uint8Array(0))),
          write: await outcome(conn.write(new Uint8Array(1))),
          closeWriteAgain: await outcome(conn.closeWrite().then(() => undefined)),
        };
        const peerRead = await outcome(peer.read(new Uint8Array(16)));
        // Half-closed: the other direction still carries data, then its own end.
        const peerWrite = await outcome(peer.write(new TextEncoder().encode("late")));
        peer.close();
        const read = await receive(conn, new TextEncoder().encode("late"));
        return { before, closeWrite, after, peerRead, peerWrite, read };
      })
    );
    assert.deepEqual(result.after, { emptyWrite: "ok 0", write: "NotConnected", closeWriteAgain: "ok" });
    assert.deepEqual(result.read, { bytes: 4, intact: true, end: "eof" });
  });

  Deno.test(`Deno.Conn: the ${role} closes right after the handshake; the peer reads the end of the stream`, async () => {
    const result = await sameAsNative((client, server) =>
      withPair(client, server, async (ends) => {
        ends[role].close();
        const peer = ends[other(role)];
        return {
          read: await outcome(peer.read(new Uint8Array(16))),
          again: await outcome(peer.read(new Uint8Array(16))),
        };
      })
    );
    assert.deepEqual(result, { read: "ok null", again: "ok null" });
  });
}

Deno.test("Deno.Conn: a client that closes before its handshake completes; the listener serves the next client", async () => {
  // Deliberate difference: Deno's accept() hands this connection out (its handshake() then fails); ours
  // reports it to onHandshakeError and never hands it out.
  const result = await sameAsNative((client, server) =>
    withListener(server, {}, async (listener) => {
      const accepted: Promise<string>[] = [];
      const serving = (async () => {
        for await (const conn of listener) {
          accepted.push(outcome(conn.handshake().then(() => conn.write(new TextEncoder().encode("hi")))));
        }
      })();
      const quitter = await connect(client, listener.port);
      quitter.close();
      const quit = {
        handshake: await outcome(() => quitter.handshake()),
        read: await outcome(() => quitter.read(new Uint8Array(1))),
      };
      const good = await connect(client, listener.port);
      const answer = await outcome(good.read(new Uint8Array(16)));
      good.close();
      closeQuietly(listener);
      await serving;
      return { quit, answer };
    })
  );
  assert.deepEqual(result, { quit: { handshake: "BadResource", read: "BadResource" }, answer: "ok 2" });
});

/** ALPN through `listenTls`, with the client from `connectTls` or from `startTls` over TCP. */
function alpnScenario(via: "connectTls" | "startTls", offered: string[], served: string[]) {
  return (client: Impl, server: Impl) =>
    withListener(server, { alpnProtocols: served }, async (listener) => {
      const accepted = (async () => {
        const conn = await listener.accept();
        try {
          return await outcome(conn.handshake().then((info) => info.alpnProtocol));
        } finally {
          closeQuietly(conn);
        }
      })();
      const open = via === "connectTls" ? connect : connectStartTls;
      const conn = await open(client, listener.port, { alpnProtocols: offered });
      const clientSaw = await outcome(conn.handshake().then((info) => info.alpnProtocol));
      closeQuietly(conn);
      // Deliberate difference: a failed handshake never leaves our listener (it goes to onHandshakeError).
      const serverSaw = clientSaw.startsWith("ok") ? await accepted : "not compared";
      if (!clientSaw.startsWith("ok")) closeQuietly(listener);
      await accepted.catch(() => {});
      return { clientSaw, serverSaw };
    });
}

for (const via of ["connectTls", "startTls"] as const) {
  Deno.test(`RFC 7301 §3.2: ALPN over listenTls and ${via}: the server's preference, none, no overlap`, async () => {
    assert.deepEqual(
      await sameAsNative(alpnScenario(via, ["h2", "http/1.1"], ["http/1.1", "h2"])),
      { clientSaw: 'ok "http/1.1"', serverSaw: 'ok "http/1.1"' },
    );
    assert.deepEqual(await sameAsNative(alpnScenario(via, [], ["h2"])), {
      clientSaw: "ok null",
      serverSaw: "ok null",
    });
    assert.deepEqual(await sameAsNative(alpnScenario(via, ["spdy/3"], ["h2"])), {
      clientSaw: "InvalidData",
      serverSaw: "not compared",
    });
  });
}

/** A handshake with a server whose certificate names only `other.example`, reached as 127.0.0.1. */
function hostnameScenario(options: ConnectOptions) {
  return (client: Impl, server: Impl) =>
    withListener(server, { other: true }, async (listener) => {
      const serving = (async () => {
        for await (const conn of listener) {
          outcome(conn.handshake().then(() => conn.write(new TextEncoder().encode("hi")))).finally(() =>
            closeQuietly(conn)
          );
        }
      })();
      const conn = await connect(client, listener.port, options);
      const result = {
        handshake: await outcome(conn.handshake().then(() => undefined)),
        read: await outcome(conn.read(new Uint8Array(16))),
      };
      closeQuietly(conn);
      closeQuietly(listener);
      await serving;
      return result;
    });
}

Deno.test("RFC 6125 §6: hostname verification on, and off with unsafelyDisableHostnameVerification (the chain still verified)", async () => {
  assert.deepEqual(await sameAsNative(hostnameScenario({})), {
    handshake: "InvalidData",
    read: "InvalidData",
  });
  assert.deepEqual(await sameAsNative(hostnameScenario({ unsafelyDisableHostnameVerification: true })), {
    handshake: "ok",
    read: "ok 2",
  });
  assert.deepEqual(
    await sameAsNative(hostnameScenario({ unsafelyDisableHostnameVerification: true, untrusted: true })),
    { handshake: "InvalidData", read: "InvalidData" },
  );
});

Deno.test("connectTls: an invalid host is a TypeError; a refused connection is ConnectionRefused", async () => {
  const port = await withListener("native", {}, (listener) => Promise.resolve(listener.port));
  for (const impl of ["native", "ours"] as const) {
    assert.equal(await outcome(connect(impl, port, { hostname: "256.0.0.0" })), "TypeError", impl);
    assert.equal(await outcome(connect(impl, port)), "ConnectionRefused", impl);
  }
});

Deno.test("connectTls and startTls resolve once TCP is connected; the ClientHello goes out at once; handshake() then fails with UnexpectedEof", async () => {
  const result = await sameAsNative(async (client) => {
    using tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const results = [];
    for (const open of [connect, connectStartTls]) {
      const accepted = tcp.accept();
      const conn = await open(client, tcp.addr.port);
      using raw = await accepted;
      const first = new Uint8Array(5);
      const n = await raw.read(first);
      raw.close();
      results.push({
        resolved: "before the handshake",
        firstRecord: n === null ? "none" : `type ${first[0]}`,
        handshake: await outcome(conn.handshake()),
        read: await outcome(conn.read(new Uint8Array(1))),
      });
      closeQuietly(conn);
    }
    return results;
  });
  assert.deepEqual(result[0], {
    resolved: "before the handshake",
    firstRecord: "type 22",
    handshake: "UnexpectedEof",
    read: "UnexpectedEof",
  });
});

Deno.test("Deno.Conn: readable and writable piping, an echo through the server's own streams", async () => {
  const data = payload(300 * 1024, 7);
  const result = await sameAsNative((client, server) =>
    withPair(client, server, async (ends) => {
      const echo = ends.server.readable.pipeTo(ends.server.writable).then(() => "ok", errorClass);
      const chunks = Array.from({ length: 30 }, (_, i) => data.subarray(i * 10240, (i + 1) * 10240));
      const [sent, back] = await Promise.all([
        // Deliberate difference: closing our writable half-closes (closeWrite()); closing Deno's closes the
        // whole connection, its readable too. Half-closing explicitly behaves the same in both.
        ReadableStream.from(chunks).pipeTo(ends.client.writable, { preventClose: true })
          .then(() => ends.client.closeWrite()).then(() => "ok", errorClass),
        new Response(ends.client.readable).bytes(),
      ]);
      return { sent, echo: await echo, back: back.length, intact: back.every((b, i) => b === data[i]) };
    })
  );
  assert.deepEqual(result, { sent: "ok", echo: "ok", back: data.length, intact: true });
});

Deno.test("the deliberate differences from Deno's TLS that docs/guide.md lists, observed", async () => {
  const observe = (impl: Impl) =>
    withPair(impl, impl, async (ends) => {
      // Closing writable: ours half-closes (the client still reads), Deno's closes the whole connection.
      const pending = outcome(ends.client.read(new Uint8Array(16)));
      await ends.client.writable.getWriter().close();
      await outcome(ends.server.read(new Uint8Array(16)));
      await outcome(ends.server.write(new TextEncoder().encode("after")));
      const readAfterWritableClose = await pending;
      const info = await ends.server.handshake();
      ends.server.close();
      return {
        readAfterWritableClose,
        secondClose: await outcome(() => ends.server.close()),
        reportsProtocol: "protocol" in info,
      };
    });
  assert.deepEqual(await observe("native"), {
    readAfterWritableClose: "Interrupted",
    secondClose: "BadResource",
    reportsProtocol: false,
  });
  assert.deepEqual(await observe("ours"), {
    readAfterWritableClose: "ok 5",
    secondClose: "ok",
    reportsProtocol: true,
  });
  // accept(): Deno's hands out a connection before its handshake, ours only once it has succeeded.
  for (const impl of ["native", "ours"] as const) {
    const accepted = await withListener(impl, {}, async (listener) => {
      using raw = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
      const accept = listener.accept().then((conn) => (closeQuietly(conn), "accepted"), () => "not accepted");
      const result = await Promise.race([accept, delay(300).then(() => "not accepted")]);
      raw.close();
      closeQuietly(listener);
      await accept;
      return result;
    });
    assert.equal(accepted, impl === "native" ? "accepted" : "not accepted", impl);
  }
});

Deno.test("unsafelyDisableHostnameVerification prints one warning per process", async () => {
  const client = new URL("../connection/client.ts", import.meta.url).href;
  const script = `import { resolveClientConfig } from "${client}";
    for (let i = 0; i < 3; i++) await resolveClientConfig({ caCerts: [], unsafelyDisableHostnameVerification: true });
    await resolveClientConfig({ caCerts: [] });`;
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const stderr = new TextDecoder().decode(run.stderr);
  assert.equal(run.code, 0, stderr);
  assert.equal(stderr.match(/DANGER: unsafelyDisableHostnameVerification/g)?.length, 1, stderr);
});
