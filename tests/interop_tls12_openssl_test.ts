/**
 * TLS 1.2 interop with OpenSSL 3.0 through the public API, both roles:
 *
 * - our client (default options: a ClientHello offering TLS 1.3 and TLS 1.2) against `openssl s_server
 *   -tls1_2 -www`: every ECDHE suite with its certificate, the master secret of our key log equal to
 *   OpenSSL's, the extended master secret; static RSA key transport when named in `cipherSuites`;
 *   resumption by ticket through the session cache ("Reused"); a client certificate; a renegotiation
 *   request ('R') refused with no_renegotiation;
 * - our server (`listenTls`, default options) against `openssl s_client -tls1_2`: every ECDHE suite with its
 *   certificate; resumption with `-sess_out`/`-sess_in` ("Reused"); mutual TLS; TLS_FALLBACK_SCSV answered
 *   with inappropriate_fallback (RFC 7507); a client-initiated renegotiation ('R') refused.
 */

import assert from "node:assert/strict";
import { connectTls, MemorySessionCache, TlsAlertError, type TlsConn } from "../mod.ts";
import { connectClient } from "./_interop.ts";
import { PeerProcess } from "./_peer_process.ts";
import {
  certArgs,
  describeTool,
  ECDHE_SUITES,
  runTool,
  startOpenSsl12Server,
  tls12ClientCertificate,
} from "./_peers12.ts";
import { testPki } from "./_pki.ts";
import { startLineServer } from "./_server.ts";

const encoder = new TextEncoder();

/** Sends `GET /` to an `s_server -www` and reads its status page (it then waits for us to close). */
async function statusPage(conn: TlsConn): Promise<string> {
  await conn.write(encoder.encode("GET / HTTP/1.0\r\n\r\n"));
  let page = "";
  const buf = new Uint8Array(16384);
  const deadline = setTimeout(() => conn.close(), 10_000);
  try {
    while (!page.includes("</HTML>")) {
      const n = await conn.read(buf);
      if (n === null) break;
      page += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(deadline);
  }
  return page;
}

/** Polls `done` until it is true; throws after 10 s. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not done within 10 s: ${done}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The master secret of the CLIENT_RANDOM key-log line, upper-case hex as OpenSSL prints it. */
function masterOf(lines: string[]): string {
  const line = lines.find((l) => l.startsWith("CLIENT_RANDOM "));
  assert.ok(line, `no CLIENT_RANDOM line in ${JSON.stringify(lines)}`);
  assert.match(line, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
  return line.split(" ")[2].toUpperCase();
}

// ---------------------------------------------------------------------------------------------------------
// Our client → openssl s_server -tls1_2

for (const s of ECDHE_SUITES) {
  Deno.test(`openssl s_server -tls1_2 (${s.cert}): our client negotiates ${s.name}, same master secret, EMS`, async () => {
    const pki = await testPki();
    await using server = await startOpenSsl12Server([
      "-www",
      ...certArgs(pki.leaves[s.cert]),
      "-cipher",
      s.openssl,
    ]);
    const lines: string[] = [];
    const { conn, info } = await connectClient(server.port, { keyLog: (l) => lines.push(l) });
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, s.name);
    assert.equal(info.resumed, false);
    assert.ok(info.group === "X25519" || info.group === "P-256", String(info.group));
    assert.equal(info.peerCertificates[0].subject, "CN=localhost");
    const page = await statusPage(conn);
    assert.match(page, new RegExp(`New, TLSv1\\.2, Cipher is ${s.openssl}`));
    assert.match(page, /Extended master secret: yes/);
    assert.equal(/Master-Key: ([0-9A-F]+)/.exec(page)?.[1], masterOf(lines));
  });
}

for (const type of ["ECDSA P-384", "Ed25519"] as const) {
  Deno.test(`openssl s_server -tls1_2 (${type}): the ServerKeyExchange signed with a ${type} key verifies`, async () => {
    const pki = await testPki();
    await using server = await startOpenSsl12Server(["-www", ...certArgs(pki.leaves[type])]);
    const { conn, info } = await connectClient(server.port);
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.2");
    assert.match(info.cipherSuite, /^TLS_ECDHE_ECDSA_/);
    assert.match(await statusPage(conn), /New, TLSv1\.2, Cipher is ECDHE-ECDSA-/);
  });
}

for (
  const [name, openssl] of [
    ["TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"],
    ["TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"],
  ] as const
) {
  Deno.test(`openssl s_server -tls1_2 -cipher ${openssl}: RSA key transport when cipherSuites names ${name}`, async () => {
    const pki = await testPki();
    await using server = await startOpenSsl12Server([
      "-www",
      ...certArgs(pki.leaves["RSA-2048"]),
      "-cipher",
      openssl,
    ]);
    const lines: string[] = [];
    const { conn, info } = await connectClient(server.port, {
      cipherSuites: [name],
      keyLog: (l) => lines.push(l),
    });
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, name);
    assert.equal(info.group, null, "no key exchange group: the premaster secret is RSA-encrypted");
    const page = await statusPage(conn);
    assert.match(page, new RegExp(`New, TLSv1\\.2, Cipher is ${openssl}`));
    assert.equal(/Master-Key: ([0-9A-F]+)/.exec(page)?.[1], masterOf(lines));
  });
}

Deno.test("openssl s_server -tls1_2: the default client never offers RSA key transport (no shared cipher)", async () => {
  const pki = await testPki();
  await using server = await startOpenSsl12Server([
    ...certArgs(pki.leaves["RSA-2048"]),
    "-cipher",
    "AES128-GCM-SHA256",
  ]);
  await assert.rejects(
    connectClient(server.port),
    (e) => e instanceof TlsAlertError && e.source === "remote" && e.alert === "handshake_failure",
  );
});

Deno.test("openssl s_server -tls1_2: RFC 5077 our client resumes with OpenSSL's ticket from the session cache", async () => {
  const pki = await testPki();
  await using server = await startOpenSsl12Server(["-www", ...certArgs(pki.leaves["ECDSA P-256"])]);
  const sessionCache = new MemorySessionCache();
  const masters: string[] = [];
  for (const [round, expected] of [[0, "New"], [1, "Reused"]] as const) {
    const lines: string[] = [];
    const { conn, info } = await connectClient(server.port, { sessionCache, keyLog: (l) => lines.push(l) });
    using _ = conn;
    const page = await statusPage(conn);
    assert.match(
      page,
      new RegExp(`${expected}, TLSv1\\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256`),
      `round ${round}`,
    );
    assert.equal(info.resumed, round === 1);
    assert.equal(
      info.peerCertificates[0].subject,
      "CN=localhost",
      "a resumption reports the session's server",
    );
    masters.push(masterOf(lines));
  }
  assert.equal(masters[1], masters[0], "the resumed session keeps its master secret");
});

Deno.test("openssl s_server -tls1_2 -Verify: mutual TLS, our client sends its certificate", async () => {
  const pki = await testPki();
  const client = await tls12ClientCertificate();
  await using server = await startOpenSsl12Server([
    "-www",
    ...certArgs(pki.leaves["RSA-2048"]),
    "-Verify",
    "2",
    "-CAfile",
    pki.root.certPath,
  ]);
  const { conn, info } = await connectClient(server.port, { cert: client.cert, key: client.key });
  using _ = conn;
  assert.equal(info.protocol, "TLSv1.2");
  const page = await statusPage(conn);
  assert.match(page, /Client certificate/);
  assert.match(page, /CN ?= ?tls12 client/);
});

Deno.test("openssl s_server -tls1_2 'R': RFC 5746 a HelloRequest is refused with no_renegotiation", async () => {
  const pki = await testPki();
  await using server = await startOpenSsl12Server(["-msg", ...certArgs(pki.leaves["ECDSA P-256"])]);
  const { conn, info } = await connectClient(server.port);
  using _ = conn;
  assert.equal(info.protocol, "TLSv1.2");
  await server.waitFor("stdout", /^CIPHER is /m);
  await server.send("R\n");
  await assert.rejects(
    conn.read(new Uint8Array(100)),
    (e) => e instanceof TlsAlertError && e.alert === "no_renegotiation" && e.source === "local",
  );
  await server.waitFor("stdout", /<<< TLS 1\.2, Alert \[length 0002\], fatal no_renegotiation/);
});

// ---------------------------------------------------------------------------------------------------------
// openssl s_client -tls1_2 → our server

function sClient12(port: number, caPath: string, extra: string[] = []): string[] {
  return [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1_2",
    "-servername",
    "localhost",
    "-CAfile",
    caPath,
    "-verify_return_error",
    ...extra,
  ];
}

for (const s of ECDHE_SUITES) {
  Deno.test(`openssl s_client -tls1_2 -cipher ${s.openssl} (${s.cert}): our server negotiates ${s.name}`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[s.cert];
    await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
    const r = await runTool(
      "openssl",
      sClient12(server.port, pki.root.certPath, ["-cipher", s.openssl, "-ign_eof"]),
      "ping\n",
    );
    assert.match(r.stdout, new RegExp(`New, TLSv1\\.2, Cipher is ${s.openssl}`), describeTool(r));
    assert.match(r.stdout, /Extended master secret: yes/, describeTool(r));
    assert.match(r.stdout, /Verify return code: 0 \(ok\)/, describeTool(r));
    assert.match(r.stdout, /^ping$/m, describeTool(r));
    const [info] = await server.waitForHandshakes(1);
    assert.equal(info.protocol, "TLSv1.2");
    assert.equal(info.cipherSuite, s.name);
    assert.equal(info.serverName, "localhost");
  });
}

Deno.test("openssl s_client -tls1_2 -sess_out/-sess_in: RFC 5077 our server resumes by ticket", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["RSA-2048"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  const session = `${pki.dir}/tls12-session-${crypto.randomUUID()}.pem`;
  const first = await runTool(
    "openssl",
    sClient12(server.port, pki.root.certPath, ["-ign_eof", "-sess_out", session]),
    "one\n",
  );
  assert.match(first.stdout, /New, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256/, describeTool(first));
  assert.match(first.stdout, /TLS session ticket lifetime hint: 7200/, describeTool(first));
  const second = await runTool(
    "openssl",
    sClient12(server.port, pki.root.certPath, ["-ign_eof", "-sess_in", session]),
    "two\n",
  );
  assert.match(
    second.stdout,
    /Reused, TLSv1\.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256/,
    describeTool(second),
  );
  assert.match(second.stdout, /^two$/m, describeTool(second));
  const infos = await server.waitForHandshakes(2);
  assert.deepEqual(infos.map((i) => i.resumed), [false, true]);
});

Deno.test("openssl s_client -tls1_2 -cert: mutual TLS, our server verifies the client certificate", async () => {
  const pki = await testPki();
  const client = await tls12ClientCertificate();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({
    cert: leaf.cert,
    key: leaf.key,
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const r = await runTool(
    "openssl",
    sClient12(server.port, pki.root.certPath, ["-ign_eof", "-cert", client.certPath, "-key", client.keyPath]),
    "mtls\n",
  );
  assert.match(r.stdout, /^mtls$/m, describeTool(r));
  const [info] = await server.waitForHandshakes(1);
  assert.equal(info.protocol, "TLSv1.2");
  assert.equal(info.peerCertificates[0].subject, "CN=tls12 client");
});

Deno.test("openssl s_client -tls1_2 -fallback_scsv: RFC 7507 our TLS 1.3 server answers inappropriate_fallback", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  const r = await runTool("openssl", sClient12(server.port, pki.root.certPath, ["-fallback_scsv"]));
  assert.match(r.stdout + r.stderr, /inappropriate fallback/i, describeTool(r));
  const [error] = await server.waitForErrors(1);
  assert.ok(error instanceof TlsAlertError && error.alert === "inappropriate_fallback", String(error));
  // A server that speaks only TLS 1.2 has nothing better to offer: the fallback is fine there.
  await using only12 = startLineServer({ cert: leaf.cert, key: leaf.key, maxVersion: "TLSv1.2" });
  const ok = await runTool(
    "openssl",
    sClient12(only12.port, pki.root.certPath, ["-fallback_scsv", "-ign_eof"]),
    "ok\n",
  );
  assert.match(ok.stdout, /^ok$/m, describeTool(ok));
});

Deno.test("openssl s_client -tls1_2 'R': RFC 5746 our server refuses a renegotiation with no_renegotiation", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  await using client = PeerProcess.spawn("openssl s_client", [
    "stdbuf",
    "-o0",
    "openssl",
    ...sClient12(server.port, pki.root.certPath),
  ]);
  await server.waitForHandshakes(1);
  await client.waitFor("stdout", /Verify return code: 0/);
  await client.send("R\n");
  await until(() => server.connErrors.length > 0 && /no renegotiation/i.test(client.stdout + client.stderr));
  const [error] = server.connErrors;
  assert.ok(error instanceof TlsAlertError && error.alert === "no_renegotiation", String(error));
});

Deno.test("connectTls: TLS 1.2 has no KeyUpdate — updateKeys() fails with a clear TlsError", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key, maxVersion: "TLSv1.2" });
  using conn = await connectTls({
    port: server.port,
    serverName: "localhost",
    caCerts: [pki.root.cert],
  });
  assert.equal((await conn.handshake()).protocol, "TLSv1.2");
  await assert.rejects(conn.updateKeys(), /TLS 1\.2 has no KeyUpdate/);
  await conn.write(encoder.encode("still fine\n"));
  const buf = new Uint8Array(64);
  const n = await conn.read(buf);
  assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "still fine\n");
});
