/**
 * Proves the interop harness on its own, with Deno's native TLS client (rustls) in place of ours: each
 * peer starts, accepts, echoes or serves 1 MiB intact, and stops without leaking; the test PKI makes
 * certificates that a strict client accepts, or refuses for the intended reason.
 */
import assert from "node:assert/strict";
import { CERT_TYPES, testPki } from "./_pki.ts";
import {
  assertBytesEqual,
  assertEchoes,
  assertPeerClosesToo,
  httpGet,
  MiB,
  nodeEvents,
  randomPayload,
  startDenoServer,
  startGnutlsServer,
  startNodeServer,
  startOpenSslServer,
  textPayload,
} from "./_peers.ts";
import { requireBinary, sleep } from "./_peer_process.ts";

async function nativeConnect(port: number, caCerts?: string[]): Promise<Deno.TlsConn> {
  const pki = await testPki();
  // rustls verifies 127.0.0.1 against the IP SAN; "localhost" could resolve to ::1, where no peer listens.
  return await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: caCerts ?? [pki.root.cert] });
}

Deno.test("harness: a missing peer binary is an error naming it, not a skip", async () => {
  await assert.rejects(
    requireBinary("subtls-no-such-peer", "apt-get install -y nothing"),
    /`subtls-no-such-peer` is not installed.*never a skip/,
  );
});

Deno.test("harness: openssl s_server echo mode echoes 1 MiB of binary data", async () => {
  const pki = await testPki();
  await using server = await startOpenSslServer({ cert: pki.leaves["ECDSA P-256"] });
  using conn = await nativeConnect(server.port);
  await assertEchoes(conn, randomPayload(MiB));
  assert.equal(server.echoedBytes, MiB);
  await assertPeerClosesToo(conn);
});

Deno.test("harness: openssl s_server interactive mode: suite, group, data both ways, KeyUpdate", async () => {
  const pki = await testPki();
  await using server = await startOpenSslServer({
    cert: pki.leaves["ECDSA P-384"],
    suites: ["TLS_CHACHA20_POLY1305_SHA256"],
    groups: ["P-256"],
    mode: "interactive",
  });
  using conn = await nativeConnect(server.port);
  await conn.handshake();
  await server.waitFor("stdout", /^CIPHER is TLS_CHACHA20_POLY1305_SHA256$/m);
  await conn.write(new TextEncoder().encode("ping1\n"));
  await server.waitFor("stdout", /^ping1$/m);
  for (const command of ["k", "K"]) {
    const mark = server.mark("stdout");
    await server.send(`${command}\n`);
    await server.waitFor("stdout", /^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m, { after: mark });
    await server.waitFor("stdout", /^SSL_do_handshake -> 1$/m, { after: mark });
    await server.send(`after-${command}\n`);
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), `after-${command}\n`);
    await conn.write(new TextEncoder().encode(`ping-${command}\n`));
    await server.waitFor("stdout", new RegExp(`^ping-${command}$`, "m"), { after: mark });
    if (command === "K") {
      // update_requested: the client answered with a KeyUpdate of its own.
      await server.waitFor("stdout", /^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m, {
        after: mark,
      });
    }
  }
  conn.close();
  await server.waitFor("stdout", /^<<< TLS 1\.3, Alert \[length 0002\], warning close_notify$/m);
  await server.waitFor("stdout", /^CONNECTION CLOSED$/m);
});

Deno.test("harness: openssl s_server -groups P-384 makes a client with an X25519 share retry", async () => {
  const pki = await testPki();
  await using server = await startOpenSslServer({
    cert: pki.leaves["ECDSA P-256"],
    groups: ["P-384"],
    mode: "interactive",
  });
  using conn = await nativeConnect(server.port);
  await conn.handshake();
  await server.waitFor("stdout", /^CIPHER is /m);
  // The HelloRetryRequest makes the client send a second ClientHello.
  const hellos = server.stdout.match(/^<<< .*Handshake \[length [0-9a-f]+\], ClientHello$/gm) ?? [];
  assert.equal(hellos.length, 2, server.describe());
});

Deno.test("harness: openssl s_server sees the alert of a client that refuses its certificate", async (t) => {
  const pki = await testPki();
  const cases = [
    { name: "unknown issuer", cert: pki.untrusted, alert: "unknown_ca" },
    { name: "expired", cert: pki.expired, alert: "certificate_expired" },
    { name: "wrong name", cert: pki.wrongName, alert: "(bad_certificate|certificate_unknown)" },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      await using server = await startOpenSslServer({ cert: c.cert, mode: "interactive" });
      const conn = await nativeConnect(server.port);
      try {
        await assert.rejects(conn.handshake(), /invalid peer certificate/);
      } finally {
        conn.close();
      }
      await server.waitFor(
        "stdout",
        new RegExp(`^<<< TLS 1\\.3, Alert \\[length 0002\\], fatal ${c.alert}$`, "m"),
      );
      await server.waitFor("stdout", /^CONNECTION CLOSED$/m);
    });
  }
  await t.step("the unrelated root accepts the untrusted leaf", async () => {
    await using server = await startOpenSslServer({ cert: pki.untrusted });
    using conn = await nativeConnect(server.port, [pki.otherRoot.cert]);
    await assertEchoes(conn, randomPayload(1000));
  });
});

Deno.test("harness: gnutls-serv echo mode echoes 1 MiB of text lines", async () => {
  const pki = await testPki();
  await using server = await startGnutlsServer({
    cert: pki.leaves["Ed25519"],
    suites: ["TLS_AES_128_GCM_SHA256"],
    groups: ["P-384"],
  });
  using conn = await nativeConnect(server.port);
  await assertEchoes(conn, textPayload(MiB));
  await assertPeerClosesToo(conn);
  await server.waitFor("stdout", /^- Cipher: AES-128-GCM$/m);
  await server.waitFor("stdout", /^ - Using curve: SECP384R1$/m);
});

Deno.test("harness: gnutls-serv http mode serves 1 MiB", async () => {
  const pki = await testPki();
  const data = randomPayload(MiB);
  await using server = await startGnutlsServer({
    cert: pki.leaves["RSA-2048"],
    mode: "http",
    httpData: data,
  });
  using conn = await nativeConnect(server.port);
  const response = await httpGet(conn);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), String(MiB));
  assertBytesEqual(response.body, data, "downloaded body");
});

for (const type of CERT_TYPES) {
  Deno.test(`harness: Deno.listenTls echoes 1 MiB with a ${type} certificate`, async () => {
    const pki = await testPki();
    await using server = await startDenoServer({ cert: pki.leaves[type] });
    using conn = await nativeConnect(server.port);
    await assertEchoes(conn, randomPayload(MiB));
    await assertPeerClosesToo(conn);
    assert.equal(server.handshakes.length, 1);
  });
}

Deno.test("harness: Deno.listenTls: ALPN, and the server's errors are recorded", async () => {
  const pki = await testPki();
  await using server = await startDenoServer({
    cert: pki.leaves["ECDSA P-256"],
    alpnProtocols: ["h2", "http/1.1"],
  });
  {
    using conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [pki.root.cert],
      alpnProtocols: ["http/1.1"],
    });
    assert.equal((await conn.handshake()).alpnProtocol, "http/1.1");
    await assertEchoes(conn, randomPayload(1000));
  }
  {
    using conn = await nativeConnect(server.port, [pki.otherRoot.cert]);
    await assert.rejects(conn.handshake(), /UnknownIssuer/);
  }
  for (let i = 0; i < 100 && server.errors.length === 0; i++) await sleep(10);
  assert.equal(server.errors.length, 1);
  assert.match(String(server.errors[0]), /UnknownCA|unknown ?ca/i);
});

Deno.test("harness: Node tls.createServer echoes 1 MiB and reports what it negotiated", async () => {
  const pki = await testPki();
  await using server = await startNodeServer({
    cert: pki.leaves["RSA-2048"],
    suites: ["TLS_AES_256_GCM_SHA384"],
    groups: ["P-384"],
    alpnProtocols: ["http/1.1"],
  });
  using conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [pki.root.cert],
    alpnProtocols: ["http/1.1"],
  });
  await assertEchoes(conn, randomPayload(MiB));
  await assertPeerClosesToo(conn);
  await server.waitFor("stdout", /"event":"secure"/);
  const secure = nodeEvents(server).find((e) => e.event === "secure");
  assert.deepEqual(secure, {
    event: "secure",
    protocol: "TLSv1.3",
    cipher: "TLS_AES_256_GCM_SHA384",
    alpn: "http/1.1",
  });
});

Deno.test("harness: peers are really stopped", async () => {
  const pki = await testPki();
  const server = await startOpenSslServer({ cert: pki.leaves["ECDSA P-256"] });
  const node = await startNodeServer({ cert: pki.leaves["ECDSA P-256"] });
  const gnutls = await startGnutlsServer({ cert: pki.leaves["ECDSA P-256"] });
  for (const peer of [server, node, gnutls]) {
    await peer.stop();
    assert.equal(peer.exited, true);
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: peer.port }),
      Deno.errors.ConnectionRefused,
    );
    assert.throws(() => Deno.kill(-peer.pid, "SIGCONT")); // no process of the group is left
  }
});
