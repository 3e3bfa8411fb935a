/**
 * TLS 1.2 interop through the public API with the other peers, both roles: GnuTLS (`gnutls-serv`,
 * `gnutls-cli`, with the priority string NORMAL:-VERS-ALL:+VERS-TLS1.2) for every ECDHE suite, and the
 * extended master secret required against a peer without it (`%NO_SESSION_HASH`, RFC 7627 §5.2); Deno's
 * rustls (`Deno.listenTls`, `Deno.connectTls`); Node `tls` (maxVersion TLSv1.2); `curl --tls-max 1.2`;
 * Python `ssl` (maximum_version TLSv1_2).
 */

import assert from "node:assert/strict";
import { TlsAlertError } from "../mod.ts";
import { assertCertificateRefused, connectClient } from "./_interop.ts";
import { PeerProcess } from "./_peer_process.ts";
import {
  assertBytesEqual,
  assertEchoes,
  assertPeerClosesToo,
  MiB,
  randomPayload,
  startDenoServer,
  startGnutlsServer,
  textPayload,
  writeAll,
} from "./_peers.ts";
import {
  describeTool,
  ECDHE_SUITES,
  gnutls12Priority,
  NODE_CLIENT_12,
  NODE_SERVER_12,
  PYTHON_CLIENT_12,
  PYTHON_SERVER_12,
  runTool,
  tls12ClientCertificate,
} from "./_peers12.ts";
import { testPki } from "./_pki.ts";
import { startHttpServer, startLineServer } from "./_server.ts";

/** Reads `conn` to its end. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) chunks.push(buf.slice(0, n));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

const isEmsRefusal = (e: unknown) =>
  e instanceof TlsAlertError && e.alert === "handshake_failure" && e.source === "local" &&
  /extended master secret/.test(e.message);

// ---------------------------------------------------------------------------------------------------------
// GnuTLS

for (const s of ECDHE_SUITES) {
  Deno.test(`gnutls-serv TLS 1.2 (${s.cert}): our client negotiates ${s.name}, echoes 1 MiB`, async () => {
    const pki = await testPki();
    await using server = await startGnutlsServer({
      cert: pki.leaves[s.cert],
      priority: gnutls12Priority(`:-CIPHER-ALL:+${s.gnutls}`),
    });
    const { conn, info } = await connectClient(server.port);
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, s.name);
    await assertEchoes(conn, textPayload(MiB));
    await assertPeerClosesToo(conn);
    await server.waitFor("stdout", /^- Version: TLS1\.2$/m);
    await server.waitFor("stdout", new RegExp(`^- Cipher: ${s.gnutls}$`, "m"));
  });
}

Deno.test("gnutls-serv %NO_SESSION_HASH: RFC 7627 §5.2 our client requires the extended master secret", async () => {
  const pki = await testPki();
  await using server = await startGnutlsServer({
    cert: pki.leaves["ECDSA P-256"],
    priority: gnutls12Priority(":%NO_SESSION_HASH"),
  });
  await assert.rejects(connectClient(server.port), isEmsRefusal);
  await server.waitFor("stdout", /Handshake failed/);
  // Required by default; a client that turns the requirement off gets through.
  const { conn, info } = await connectClient(server.port, { requireExtendedMasterSecret: false });
  using _ = conn;
  assert.equal(info.protocol, "TLSv1.2");
  await assertEchoes(conn, textPayload(1024));
});

function gnutlsCliArgs(port: number, caPath: string, priority: string): string[] {
  return [
    `--x509cafile=${caPath}`,
    `--priority=${priority}`,
    "-p",
    String(port),
    "--sni-hostname=localhost",
    "--verify-hostname=localhost",
    "127.0.0.1",
  ];
}

for (const s of ECDHE_SUITES) {
  Deno.test(`gnutls-cli TLS 1.2 +${s.gnutls} (${s.cert}): our server negotiates ${s.name}`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[s.cert];
    await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
    const r = await runTool(
      "gnutls-cli",
      gnutlsCliArgs(server.port, pki.root.certPath, gnutls12Priority(`:-CIPHER-ALL:+${s.gnutls}`)),
      "ping from gnutls\n",
    );
    assert.match(
      r.stdout,
      new RegExp(`^- Description: \\(TLS1\\.2-X\\.509\\)-.*-\\(${s.gnutls}\\)$`, "m"),
      describeTool(r),
    );
    assert.match(r.stdout, /^- Options: extended master secret, safe renegotiation,/m, describeTool(r));
    assert.match(r.stdout, /^- Status: The certificate is trusted\. $/m, describeTool(r));
    assert.match(r.stdout, /^ping from gnutls$/m, describeTool(r));
    const [info] = await server.waitForHandshakes(1);
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, s.name);
  });
}

Deno.test("gnutls-cli %NO_SESSION_HASH: RFC 7627 §5.2 our server requires the extended master secret", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  const r = await runTool(
    "gnutls-cli",
    gnutlsCliArgs(server.port, pki.root.certPath, gnutls12Priority(":%NO_SESSION_HASH")),
    "x\n",
  );
  assert.match(r.stdout + r.stderr, /Received alert \[40\]: Handshake failed/, describeTool(r));
  const [error] = await server.waitForErrors(1);
  assert.ok(isEmsRefusal(error), String(error));
});

// ---------------------------------------------------------------------------------------------------------
// Deno (rustls)

for (const s of ECDHE_SUITES) {
  Deno.test(`Deno.listenTls (${s.cert}): our client with maxVersion TLSv1.2 negotiates ${s.name}`, async () => {
    const pki = await testPki();
    await using server = await startDenoServer({ cert: pki.leaves[s.cert] });
    const { conn, info } = await connectClient(server.port, {
      maxVersion: "TLSv1.2",
      cipherSuites: [s.name],
    });
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, s.name);
    await assertEchoes(conn, randomPayload(MiB));
    await assertPeerClosesToo(conn);
    assert.deepEqual(server.errors, []);
  });
}

Deno.test("Deno.listenTls: a certificate that fails verification is refused in TLS 1.2 too", async () => {
  const pki = await testPki();
  await using server = await startDenoServer({ cert: pki.wrongName });
  await assertCertificateRefused(server.port, "hostname_mismatch", { maxVersion: "TLSv1.2" });
});

for (const type of ["ECDSA P-256", "RSA-2048"] as const) {
  Deno.test(`Deno.connectTls → our server with maxVersion TLSv1.2 (${type})`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[type];
    await using server = startLineServer({ cert: leaf.cert, key: leaf.key, maxVersion: "TLSv1.2" });
    using conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: server.port,
      caCerts: [pki.root.cert],
    });
    const payload = new TextEncoder().encode(randomPayload(100_000).toHex() + "\n");
    const [, echoed] = await Promise.all([writeAll(conn, payload), readAll(conn)]);
    assertBytesEqual(echoed, payload, "echo");
    const [info] = await server.waitForHandshakes(1);
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(
      info.cipherSuite,
      type === "RSA-2048"
        ? "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        : "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    );
  });
}

// ---------------------------------------------------------------------------------------------------------
// Node tls

for (const s of [ECDHE_SUITES[1], ECDHE_SUITES[5]]) {
  Deno.test(`node tls.createServer maxVersion TLSv1.2 (${s.cert}): our client negotiates ${s.name}`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[s.cert];
    await using server = PeerProcess.spawn("node tls 1.2 server", [
      "node",
      "-e",
      NODE_SERVER_12,
      JSON.stringify({ certPath: leaf.certPath, keyPath: leaf.keyPath, ciphers: s.openssl }),
    ]);
    server.port = Number((await server.waitFor("stdout", /^\{"event":"ready","port":(\d+)\}$/m))[1]);
    const { conn, info } = await connectClient(server.port);
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, s.name);
    await assertEchoes(conn, randomPayload(MiB));
    await server.waitFor("stdout", new RegExp(`"protocol":"TLSv1\\.2","cipher":"${s.name}"`));
  });
}

for (const [type, clientCert] of [["RSA-2048", false], ["ECDSA P-256", true]] as const) {
  Deno.test(`node tls.connect maxVersion TLSv1.2 → our server (${type}${clientCert ? ", mutual TLS" : ""})`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[type];
    const client = await tls12ClientCertificate();
    await using server = startLineServer({
      cert: leaf.cert,
      key: leaf.key,
      ...(clientCert ? { clientAuth: "require" as const, clientCaCerts: [pki.root.cert] } : {}),
    });
    const options = {
      port: server.port,
      ca: pki.root.certPath,
      ...(clientCert ? { cert: client.certPath, key: client.keyPath } : {}),
    };
    const r = await runTool("node", ["-e", NODE_CLIENT_12, JSON.stringify(options)]);
    const result = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("{")) ?? "{}");
    assert.equal(result.protocol, "TLSv1.2", describeTool(r));
    assert.equal(result.authorized, true);
    assert.equal(result.same, true);
    const [info] = await server.waitForHandshakes(1);
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, result.cipher);
    if (clientCert) assert.equal(info.peerCertificates[0].subject, "CN=tls12 client");
  });
}

// ---------------------------------------------------------------------------------------------------------
// curl and Python

Deno.test("curl --tls-max 1.2 → our server: HTTPS GET of 1 MiB, ALPN http/1.1", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const body = randomPayload(MiB);
  await using server = startHttpServer({ cert: leaf.cert, key: leaf.key, alpnProtocols: ["http/1.1"] }, body);
  const out = `${pki.dir}/tls12-curl-${crypto.randomUUID()}.bin`;
  const r = await runTool("curl", [
    "--silent",
    "--show-error",
    "--verbose",
    "--tls-max",
    "1.2",
    "--cacert",
    pki.root.certPath,
    "--resolve",
    `localhost:${server.port}:127.0.0.1`,
    "--output",
    out,
    "--write-out",
    "%{http_code}",
    `https://localhost:${server.port}/`,
  ]);
  assert.equal(r.stdout, "200", describeTool(r));
  assert.match(r.stderr, /SSL connection using TLSv1\.2 \/ ECDHE-ECDSA-AES128-GCM-SHA256/, describeTool(r));
  assert.match(r.stderr, /ALPN: server accepted http\/1\.1/, describeTool(r));
  assertBytesEqual(await Deno.readFile(out), body, "downloaded body");
  const [info] = await server.waitForHandshakes(1);
  assert.equal(info.protocol, "TLSv1.2");
  assert.equal(info.alpnProtocol, "http/1.1");
});

Deno.test("python ssl maximum_version TLSv1_2 → our server: verified handshake, echo, close_notify", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["RSA-2048"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  const r = await runTool("/usr/bin/python3", [
    "-c",
    PYTHON_CLIENT_12,
    String(server.port),
    pki.root.certPath,
  ]);
  assert.equal(r.code, 0, describeTool(r));
  const result = JSON.parse(r.stdout);
  assert.equal(result.version, "TLSv1.2");
  assert.equal(result.same, true);
  const [info] = await server.waitForHandshakes(1);
  assert.equal(info.protocol, "TLSv1.2");
  assert.equal(result.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
  assert.equal(info.cipherSuite, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
});

Deno.test("python ssl server maximum_version TLSv1_2 ← our client: echo and close_notify both ways", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = PeerProcess.spawn("python ssl server", [
    "/usr/bin/python3",
    "-c",
    PYTHON_SERVER_12,
    leaf.certPath,
    leaf.keyPath,
  ]);
  server.port = Number((await server.waitFor("stdout", /^\{"port": (\d+)\}$/m))[1]);
  const { conn, info } = await connectClient(server.port);
  using _ = conn;
  assert.equal(info.protocol, "TLSv1.2");
  await assertEchoes(conn, randomPayload(256 * 1024));
  await assertPeerClosesToo(conn);
  await server.waitFor("stdout", /"version": "TLSv1\.2"/);
});
