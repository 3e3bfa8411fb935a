/**
 * The TLS 1.3 server against this library's own client, in memory (a stream pair) and over TCP
 * (`listenTls`): every suite × group, every certificate type, HelloRetryRequest, ALPN, SNI, client
 * certificates (RFC 8446 §4.3.2, §4.4.2.4), KeyUpdate (§4.6.3), close_notify (§6.1), and a listener that
 * keeps accepting while clients misbehave.
 */
import assert from "node:assert/strict";
import {
  acceptTls,
  type AcceptTlsOptions,
  CertificateVerificationError,
  type CipherSuiteName,
  connectTls,
  type GroupName,
  listenTls,
  startTls,
  type StartTlsOptions,
  TlsAlertError,
  type TlsConn,
  TlsError,
} from "../mod.ts";
import { HELLO_RETRY_REQUEST_RANDOM } from "../handshake/constants.ts";
import {
  assertBytesEqual,
  assertEchoes,
  assertPeerClosesToo,
  randomPayload,
  readExactly,
} from "./_payload.ts";
import {
  completed,
  GENERATED_TYPES,
  type GeneratedType,
  lingerAfterClose,
  memoryPipe,
  readLine,
  records,
  serverPki,
  startLineServer,
} from "./_server.ts";

const SUITES: CipherSuiteName[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];
const GROUPS: GroupName[] = ["X25519MLKEM768", "X25519", "P-256", "P-384", "P-521", "X448"];
const encoder = new TextEncoder();

/** Echoes until the client's close_notify, then closes in turn. */
async function echo(conn: TlsConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    await conn.write(buf.subarray(0, n));
  }
  await conn.closeWrite();
}

interface Pair {
  server: PromiseSettledResult<TlsConn>;
  client: PromiseSettledResult<TlsConn>;
  /** Chunks written by the server and by the client, as the other side received them. */
  fromServer: Uint8Array[];
  fromClient: Uint8Array[];
}

/** Runs acceptTls and startTls against each other over an in-memory pipe. */
async function handshakePair(
  serverOptions: Partial<AcceptTlsOptions>,
  clientOptions: Partial<StartTlsOptions> = {},
): Promise<Pair> {
  const pki = await serverPki();
  const fromServer: Uint8Array[] = [];
  const fromClient: Uint8Array[] = [];
  const [c, s] = memoryPipe({ toClient: (b) => fromServer.push(b), toServer: (b) => fromClient.push(b) });
  const leaf = pki.leaves["ECDSA P-256"];
  const [server, client] = await Promise.allSettled([
    acceptTls(s, { cert: leaf.cert, key: leaf.key, ...serverOptions }),
    completed(startTls(c, { serverName: "localhost", caCerts: [pki.root.cert], ...clientOptions })),
  ]);
  return { server, client, fromServer, fromClient };
}

function ok(result: PromiseSettledResult<TlsConn>): TlsConn {
  if (result.status === "rejected") throw result.reason;
  return result.value;
}

function isAlert(alert: string, source: "local" | "remote") {
  return (e: unknown) => {
    assert.ok(e instanceof TlsAlertError, `expected a TlsAlertError, got ${e}`);
    assert.equal(e.alert, alert, e.message);
    assert.equal(e.source, source);
    return true;
  };
}

/** Whether the server's first record is a HelloRetryRequest (RFC 8446 §4.1.3: the special random). */
function sentHelloRetry(fromServer: Uint8Array[]): boolean {
  const [first] = records(fromServer);
  return first.type === 22 && first.fragment[0] === 2 &&
    first.fragment.subarray(6, 38).every((b, i) => b === HELLO_RETRY_REQUEST_RANDOM[i]);
}

/** Echoes `payload` through a connected pair, then exchanges close_notify both ways. */
async function exchange(client: TlsConn, server: TlsConn, payload = randomPayload(100_000)): Promise<void> {
  const echoing = echo(server);
  await assertEchoes(client, payload);
  await assertPeerClosesToo(client);
  await echoing;
  server.close();
}

// ---------------------------------------------------------------------------------------------------------
// Suites, groups, certificates

for (const suite of SUITES) {
  for (const group of GROUPS) {
    Deno.test(`server in memory: ${suite} / ${group} (server-restricted) echoes 100 kB`, async () => {
      const { server, client, fromServer } = await handshakePair({ cipherSuites: [suite], groups: [group] });
      const [s, c] = [ok(server), ok(client)];
      const [si, ci] = [await s.handshake(), await c.handshake()];
      for (const info of [si, ci]) {
        assert.equal(info.protocol, "TLSv1.3");
        assert.equal(info.cipherSuite, suite);
        assert.equal(info.group, group);
        assert.equal(info.serverName, "localhost");
        assert.equal(info.alpnProtocol, null);
        assert.equal(info.resumed, false);
      }
      assert.deepEqual(si.peerCertificates, []);
      assert.equal(ci.peerCertificates[0].subject, "CN=localhost");
      // The client's default shares are X25519MLKEM768 and X25519: other groups need a HelloRetryRequest.
      assert.equal(sentHelloRetry(fromServer), group !== "X25519MLKEM768" && group !== "X25519");
      await exchange(c, s);
    });

    Deno.test(`server over TCP: ${suite} / ${group} (client-restricted) echoes 100 kB`, async () => {
      const pki = await serverPki();
      const leaf = pki.leaves["ECDSA P-256"];
      using listener = listenTls({ hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key });
      const accepted = listener.accept();
      using client = await connectTls({
        hostname: "127.0.0.1",
        port: listener.addr.port,
        serverName: "localhost",
        caCerts: [pki.root.cert],
        cipherSuites: [suite],
        groups: [group],
      });
      using server = await accepted;
      const [si, ci] = [await server.handshake(), await client.handshake()];
      assert.deepEqual([si.cipherSuite, si.group], [suite, group]);
      assert.deepEqual([ci.cipherSuite, ci.group], [suite, group]);
      assert.equal(server.remoteAddr.port, client.localAddr.port);
      await exchange(client, server);
    });
  }
}

for (const type of Object.keys(GENERATED_TYPES) as GeneratedType[]) {
  for (const transport of ["memory", "TCP"] as const) {
    Deno.test(`server (${transport}): RFC 8446 §4.4.3 a ${type} certificate signs CertificateVerify`, async () => {
      const pki = await serverPki();
      const leaf = pki.leaves[type];
      let client: TlsConn;
      let server: TlsConn;
      if (transport === "memory") {
        const pair = await handshakePair({ cert: leaf.cert, key: leaf.key });
        [client, server] = [ok(pair.client), ok(pair.server)];
      } else {
        using listener = listenTls({ hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key });
        const accepted = listener.accept();
        client = await connectTls({
          port: listener.addr.port,
          serverName: "localhost",
          caCerts: [pki.root.cert],
        });
        server = await accepted;
      }
      const info = await client.handshake();
      assertBytesEqual(info.peerCertificates[0].der, leaf.der, "server certificate");
      await exchange(client, server);
      client.close();
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Group selection and HelloRetryRequest (RFC 8446 §4.1.4, §4.2.8)

Deno.test("server: RFC 8446 §4.1.4 HelloRetryRequest when the client shared only a group the server lacks", async () => {
  const { server, client, fromServer } = await handshakePair({ groups: ["P-256"] }, {
    groups: ["X25519", "P-256"],
  });
  assert.ok(sentHelloRetry(fromServer));
  assert.equal((await ok(client).handshake()).group, "P-256");
  await exchange(ok(client), ok(server));
});

Deno.test("server: RFC 8446 §4.2.8 a share for a supported group is taken without HelloRetryRequest", async () => {
  const { server, client, fromServer } = await handshakePair({}, { groups: ["P-384"] });
  assert.ok(!sentHelloRetry(fromServer));
  assert.equal((await ok(server).handshake()).group, "P-384");
  await exchange(ok(client), ok(server));
});

Deno.test("server: among the groups the client shared, the server's preference wins", async () => {
  // The client shares X25519MLKEM768 and X25519; the server prefers X25519.
  const { server, client, fromServer } = await handshakePair({ groups: ["X25519", "X25519MLKEM768"] });
  assert.ok(!sentHelloRetry(fromServer));
  assert.equal((await ok(client).handshake()).group, "X25519");
  await exchange(ok(client), ok(server));
});

Deno.test("server: RFC 8446 §4.2.7 no group in common is handshake_failure", async () => {
  const { server, client } = await handshakePair({ groups: ["P-384"] }, { groups: ["X25519", "P-256"] });
  assert.equal(server.status, "rejected");
  isAlert("handshake_failure", "local")((server as PromiseRejectedResult).reason);
  assert.equal(client.status, "rejected");
  isAlert("handshake_failure", "remote")((client as PromiseRejectedResult).reason);
});

Deno.test("server: RFC 8446 §4.1.1 the cipher suite is chosen by server preference", async () => {
  const { server, client } = await handshakePair(
    { cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"] },
    { cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"] },
  );
  assert.equal((await ok(client).handshake()).cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
  await exchange(ok(client), ok(server));
});

// ---------------------------------------------------------------------------------------------------------
// ALPN (RFC 7301) and SNI (RFC 6066)

Deno.test("server: RFC 7301 §3.2 ALPN picks the server's preferred protocol the client offers", async () => {
  const { server, client } = await handshakePair(
    { alpnProtocols: ["h2", "http/1.1"] },
    { alpnProtocols: ["http/1.1", "h2"] },
  );
  assert.equal((await ok(server).handshake()).alpnProtocol, "h2");
  assert.equal((await ok(client).handshake()).alpnProtocol, "h2");
  await exchange(ok(client), ok(server));
});

Deno.test("server: RFC 7301 §3.2 no ALPN overlap is no_application_protocol", async () => {
  const { server, client } = await handshakePair({ alpnProtocols: ["h2"] }, { alpnProtocols: ["http/1.1"] });
  isAlert("no_application_protocol", "local")((server as PromiseRejectedResult).reason);
  isAlert("no_application_protocol", "remote")((client as PromiseRejectedResult).reason);
});

Deno.test("server: RFC 7301 a client without ALPN gets none, even from a server that has protocols", async () => {
  const { server, client } = await handshakePair({ alpnProtocols: ["h2"] });
  assert.equal((await ok(server).handshake()).alpnProtocol, null);
  await exchange(ok(client), ok(server));
});

for (const [name, expected] of [["a.example", "a"], ["b.example", "b"], ["x.b.example", "b"]] as const) {
  Deno.test(`server: RFC 6066 §3 SNI ${name} picks the certificate whose SAN matches`, async () => {
    const pki = await serverPki();
    const { server, client } = await handshakePair(
      { cert: undefined, key: undefined, certificates: [pki.a, pki.b] },
      { serverName: name },
    );
    const info = await ok(client).handshake();
    assertBytesEqual(info.peerCertificates[0].der, pki[expected].der, "chosen certificate");
    assert.equal((await ok(server).handshake()).serverName, name);
    await exchange(ok(client), ok(server));
  });
}

Deno.test("server: RFC 6066 §3 an unknown SNI, and no SNI, get the first certificate", async () => {
  const pki = await serverPki();
  for (const serverName of ["unknown.example", "127.0.0.1"]) {
    const { server, client } = await handshakePair(
      { cert: pki.b.cert, key: pki.b.key, certificates: [pki.a] },
      { serverName, unsafelyIgnoreCertificateErrors: true },
    );
    const info = await ok(client).handshake();
    assertBytesEqual(info.peerCertificates[0].der, pki.b.der, "default certificate");
    assert.equal((await ok(server).handshake()).serverName, serverName === "127.0.0.1" ? null : serverName);
    await exchange(ok(client), ok(server));
  }
});

// ---------------------------------------------------------------------------------------------------------
// Client certificates (RFC 8446 §4.3.2, §4.4.2.4)

Deno.test("server: RFC 8446 §4.4.2.4 mutual TLS: the server sees the client's certificate", async () => {
  const pki = await serverPki();
  for (const cert of [pki.client, pki.clientEd25519]) {
    const { server, client } = await handshakePair(
      { clientAuth: "require", clientCaCerts: [pki.root.cert] },
      { cert: cert.cert, key: cert.key },
    );
    const info = await ok(server).handshake();
    assert.equal(info.peerCertificates.length, 1);
    assertBytesEqual(info.peerCertificates[0].der, cert.der, "client certificate");
    await exchange(ok(client), ok(server));
  }
});

Deno.test("server: RFC 8446 §4.4.2.4 clientAuth require without a certificate is certificate_required", async () => {
  const pki = await serverPki();
  const { server, client } = await handshakePair({ clientAuth: "require", clientCaCerts: [pki.root.cert] });
  isAlert("certificate_required", "local")((server as PromiseRejectedResult).reason);
  // The client's handshake completed before the alert came: its next read reports the alert.
  const c = ok(client);
  await assert.rejects(c.read(new Uint8Array(1)), isAlert("certificate_required", "remote"));
  c.close();
});

Deno.test("server: RFC 8446 §4.4.2.4 clientAuth request accepts a client without a certificate", async () => {
  const pki = await serverPki();
  const { server, client } = await handshakePair({ clientAuth: "request", clientCaCerts: [pki.root.cert] });
  assert.deepEqual((await ok(server).handshake()).peerCertificates, []);
  await exchange(ok(client), ok(server));
});

Deno.test("server: RFC 8446 §4.2.4 a client with no certificate from the listed CAs sends none", async () => {
  const pki = await serverPki();
  for (const clientAuth of ["request", "require"] as const) {
    const { server, client } = await handshakePair(
      { clientAuth, clientCaCerts: [pki.root.cert] },
      { cert: pki.untrustedClient.cert, key: pki.untrustedClient.key },
    );
    // The client sees the CA names and has no certificate from those CAs: it sends none.
    if (clientAuth === "request") {
      assert.deepEqual((await ok(server).handshake()).peerCertificates, []);
      await exchange(ok(client), ok(server));
    } else {
      isAlert("certificate_required", "local")((server as PromiseRejectedResult).reason);
      ok(client).close();
    }
  }
});

Deno.test("server: RFC 8446 §6.2 a client chain from an unknown CA is unknown_ca (client ignoring CA names)", async () => {
  const pki = await serverPki();
  // A client that sends its certificate whatever the CA names say (like openssl s_client -cert).
  const { server, client } = await handshakePair(
    { clientAuth: "require", clientCaCerts: [pki.root.cert] },
    {
      cert: pki.untrustedClient.cert + pki.client.cert, // the trusted cert's issuer name makes the CA match
      key: pki.untrustedClient.key,
    },
  );
  const error = (server as PromiseRejectedResult).reason;
  assert.ok(error instanceof CertificateVerificationError, String(error));
  assert.equal(error.code, "unknown_issuer");
  assert.equal(error.alert, "unknown_ca");
  const c = ok(client);
  await assert.rejects(c.read(new Uint8Array(1)), isAlert("unknown_ca", "remote"));
  c.close();
});

Deno.test("server: RFC 5280 §4.2.1.12 a client certificate without clientAuth EKU is refused", async () => {
  const pki = await serverPki();
  const { server, client } = await handshakePair(
    { clientAuth: "require", clientCaCerts: [pki.root.cert] },
    { cert: pki.serverOnly.cert, key: pki.serverOnly.key },
  );
  const error = (server as PromiseRejectedResult).reason;
  assert.ok(error instanceof CertificateVerificationError, String(error));
  assert.equal(error.code, "bad_extended_key_usage");
  await assert.rejects(ok(client).read(new Uint8Array(1)), isAlert("certificate_unknown", "remote"));
  ok(client).close();
});

Deno.test("server: verifyPeer sees the client's chain and can refuse it (bad_certificate)", async () => {
  const pki = await serverPki();
  const seen: string[] = [];
  const { server, client } = await handshakePair(
    {
      clientAuth: "require",
      clientCaCerts: [pki.root.cert],
      verifyPeer: ({ certificates, serverName }) => {
        seen.push(`${certificates[0].subject} via ${serverName}`);
        throw new Error("not on the list");
      },
    },
    { cert: pki.client.cert, key: pki.client.key },
  );
  assert.deepEqual(seen, ["CN=test client via localhost"]);
  const error = (server as PromiseRejectedResult).reason;
  assert.ok(
    error instanceof CertificateVerificationError && error.code === "rejected_by_callback",
    String(error),
  );
  await assert.rejects(ok(client).read(new Uint8Array(1)), isAlert("bad_certificate", "remote"));
  ok(client).close();
});

Deno.test("server over TCP: mutual TLS through listenTls shows peerCertificates", async () => {
  const pki = await serverPki();
  await using server = startLineServer({
    cert: pki.leaves["ECDSA P-384"].cert,
    key: pki.leaves["ECDSA P-384"].key,
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  using client = await connectTls({
    port: server.port,
    serverName: "localhost",
    caCerts: [pki.root.cert],
    cert: pki.client.cert,
    key: pki.client.key,
  });
  await client.write(encoder.encode("hello mtls\n"));
  assert.equal(new TextDecoder().decode(await readLine(client)), "hello mtls\n");
  const [info] = await server.waitForHandshakes(1);
  assert.equal(info.peerCertificates[0].subject, "CN=test client");
});

// ---------------------------------------------------------------------------------------------------------
// KeyUpdate (RFC 8446 §4.6.3) and close_notify (§6.1)

Deno.test("server: RFC 8446 §4.6.3 KeyUpdate both ways through updateKeys(), data flowing after each", async () => {
  const { server, client, fromClient, fromServer } = await handshakePair({});
  const [s, c] = [ok(server), ok(client)];
  // An encrypted KeyUpdate record: 5-byte message, content type, 16-byte tag.
  const keyUpdates = (chunks: Uint8Array[]) =>
    records(chunks).filter((r) => r.type === 23 && r.fragment.length === 22);
  const roundTrip = async (text: string) => {
    await c.write(encoder.encode(text));
    assert.equal(new TextDecoder().decode(await readExactly(s, text.length)), text);
    await s.write(encoder.encode(text.toUpperCase()));
    assert.equal(new TextDecoder().decode(await readExactly(c, text.length)), text.toUpperCase());
  };
  await roundTrip("before");
  for (let i = 0; i < 3; i++) {
    await c.updateKeys(true); // the server answers with a KeyUpdate of its own
    await roundTrip(`client update ${i}`);
    await s.updateKeys(false);
    await roundTrip(`server update ${i}`);
    await s.updateKeys(true);
    await roundTrip(`server request ${i}`);
  }
  // Client: 3 requesting + 3 answers. Server: 3 answers + 3 not requesting + 3 requesting.
  assert.equal(keyUpdates(fromClient).length, 6);
  assert.equal(keyUpdates(fromServer).length, 9);
  await exchange(c, s, randomPayload(200_000));
});

Deno.test("server: RFC 8446 §6.1 close_notify from the server ends the client's reads; then the client's", async () => {
  const { server, client } = await handshakePair({});
  const [s, c] = [ok(server), ok(client)];
  await s.write(encoder.encode("bye"));
  await s.closeWrite();
  assert.equal(new TextDecoder().decode(await readExactly(c, 3)), "bye");
  assert.equal(await c.read(new Uint8Array(8)), null);
  // Half-closed: the client can still write, and the server still reads.
  await c.write(encoder.encode("late"));
  assert.equal(new TextDecoder().decode(await readExactly(s, 4)), "late");
  await c.closeWrite();
  assert.equal(await s.read(new Uint8Array(8)), null);
  c.close();
  s.close();
});

// ---------------------------------------------------------------------------------------------------------
// The listener

Deno.test("listenTls: keeps accepting while one client sends garbage and another stalls", async () => {
  const pki = await serverPki();
  await using server = startLineServer({ cert: pki.leaves["Ed25519"].cert, key: pki.leaves["Ed25519"].key });
  using garbage = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  using stalled = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await garbage.write(encoder.encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  // The garbage gets a plaintext unexpected_message alert, then the connection ends.
  const reply = new Uint8Array(64);
  const n = await garbage.read(reply);
  assert.deepEqual([...reply.subarray(0, n ?? 0)], [21, 3, 3, 0, 2, 2, 10]);
  const [error] = await server.waitForErrors(1);
  isAlert("unexpected_message", "local")(error);
  // While the stalled client holds its connection open, others are served.
  for (let i = 0; i < 3; i++) {
    using client = await connectTls({ port: server.port, serverName: "localhost", caCerts: [pki.root.cert] });
    await client.write(encoder.encode(`client ${i}\n`));
    assert.equal(new TextDecoder().decode(await readLine(client)), `client ${i}\n`);
  }
  assert.equal(server.handshakes.length, 3);
  void stalled;
});

Deno.test("listenTls: handshakeTimeout closes a stuck handshake and reports it", async () => {
  const pki = await serverPki();
  await using server = startLineServer({
    cert: pki.leaves["ECDSA P-256"].cert,
    key: pki.leaves["ECDSA P-256"].key,
    handshakeTimeout: 300,
  });
  using stuck = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await stuck.write(new Uint8Array([22, 3, 1, 0, 200, 1, 0])); // a ClientHello record that never completes
  const [error] = await server.waitForErrors(1);
  assert.ok(error instanceof TlsError);
  assert.match(error.message, /did not complete within 300 ms/);
  assert.equal(await stuck.read(new Uint8Array(16)), null);
});

Deno.test("listenTls: async iteration ends when the listener closes; pending accept() rejects", async () => {
  const pki = await serverPki();
  const listener = listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: pki.leaves["ECDSA P-256"].cert,
    key: pki.leaves["ECDSA P-256"].key,
  });
  const pending = listener.accept();
  const iterated: TlsConn[] = [];
  const loop = (async () => {
    for await (const conn of listener) iterated.push(conn);
  })();
  const client = await connectTls({
    port: listener.addr.port,
    serverName: "localhost",
    caCerts: [pki.root.cert],
  });
  const server = await pending;
  assert.equal((await server.handshake()).serverName, "localhost");
  listener.close();
  await loop;
  assert.deepEqual(iterated, []);
  await assert.rejects(listener.accept(), Deno.errors.BadResource);
  server.close();
  await lingerAfterClose(client, 1000);
  client.close();
});

Deno.test("listenTls: a key that does not belong to the certificate makes accept() reject", async () => {
  const pki = await serverPki();
  using listener = listenTls({ hostname: "127.0.0.1", port: 0, cert: pki.a.cert, key: pki.b.key });
  await assert.rejects(listener.accept(), (e) => e instanceof TlsError && /does not belong/.test(e.message));
});

Deno.test("acceptTls: option errors are TlsErrors before any byte is read", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const cases: [Partial<AcceptTlsOptions>, RegExp][] = [
    [{}, /needs a certificate/],
    [{ cert: leaf.cert }, /together/],
    [{ cert: leaf.cert, key: leaf.key, clientAuth: "require" }, /needs clientCaCerts/],
    [{ cert: leaf.cert, key: leaf.key, minVersion: "TLSv1.3", maxVersion: "TLSv1.2" }, /above maxVersion/],
    [{ cert: leaf.cert, key: leaf.key, cipherSuites: ["TLS_RSA_WITH_AES_128_GCM_SHA256"] }, /never offers/],
    [
      { cert: leaf.cert, key: leaf.key, maxVersion: "TLSv1.2", cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
      /no suite/,
    ],
    [{ cert: "nonsense", key: leaf.key }, /no CERTIFICATE/],
  ];
  for (const [options, message] of cases) {
    const [, s] = memoryPipe();
    await assert.rejects(acceptTls(s, options), (e) => e instanceof TlsError && message.test(e.message));
  }
});

Deno.test("acceptTls: over a Deno.Conn from Deno.listen, and aborted by its signal", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  using tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  {
    const accepted = tcp.accept().then((conn) => acceptTls(conn, { cert: leaf.cert, key: leaf.key }));
    using client = await connectTls({
      port: tcp.addr.port,
      serverName: "localhost",
      caCerts: [pki.root.cert],
    });
    using server = await accepted;
    assert.equal((await server.handshake()).serverName, "localhost");
    await exchange(client, server);
  }
  {
    // A client that never speaks: the signal ends the handshake and closes the connection.
    using silent = await Deno.connect({ hostname: "127.0.0.1", port: tcp.addr.port });
    const controller = new AbortController();
    const accepted = tcp.accept().then((conn) =>
      acceptTls(conn, { cert: leaf.cert, key: leaf.key, signal: controller.signal })
    );
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    await assert.rejects(accepted, /shutting down/);
    assert.equal(await silent.read(new Uint8Array(8)), null);
  }
});
