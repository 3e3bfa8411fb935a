/**
 * TLS 1.3 resumption (RFC 8446 §2.2) with real peers, both ways:
 * - this server (`listenTls`) resumes the sessions of `openssl s_client -sess_out/-sess_in` (also with a
 *   client certificate, and through a HelloRetryRequest), `gnutls-cli --resume` and Node `tls.connect`
 *   with `session`;
 * - this client resumes with the tickets of `openssl s_server` (whose status page says "Reused" and whose
 *   `-msg` log shows no second Certificate), `gnutls-serv` and `Deno.listenTls` (rustls).
 *
 * `Deno.connectTls` is not here: rustls keeps its tickets per client configuration, and Deno makes one per
 * connection, so it never offers a ticket on a later connection. A missing peer binary fails its test.
 */
import assert from "node:assert/strict";
import { connectTls, MemorySessionCache, type TlsConn } from "../mod.ts";
import { describeTool as describe, PeerProcess, runTool as run, type ToolResult } from "./_peer_process.ts";
import { clientCertificateFiles } from "./_peers12.ts";
import { startDenoServer, startGnutlsServer } from "./_peers.ts";
import { type TestPki, testPki } from "./_pki.ts";
import { type LineServer, startLineServer } from "./_server.ts";

function lineServer(pki: TestPki, extra: Parameters<typeof startLineServer>[0] | object = {}): LineServer {
  const leaf = pki.leaves["ECDSA P-256"];
  return startLineServer({ cert: leaf.cert, key: leaf.key, ...extra });
}

function sClient(port: number, pki: TestPki, extra: string[]): string[] {
  return [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-tls1_3",
    "-CAfile",
    pki.root.certPath,
    "-verify_return_error",
    "-ign_eof",
    ...extra,
  ];
}

/** `openssl s_client` twice: the first saves its session, the second resumes it; both outputs. */
async function sClientTwice(
  port: number,
  pki: TestPki,
  extra: string[] = [],
): Promise<[ToolResult, ToolResult]> {
  const session = `${pki.dir}/resumption-${crypto.randomUUID()}.pem`;
  const first = await run("openssl", sClient(port, pki, [...extra, "-sess_out", session]), "first\n");
  const second = await run(
    "openssl",
    sClient(port, pki, [...extra, "-sess_in", session, "-msg"]),
    "second\n",
  );
  await Deno.remove(session).catch(() => {});
  return [first, second];
}

/** Lines of an `openssl -msg` log for handshake messages of `type` that went `direction` (">>>" sent). */
function msgLines(log: string, direction: "<<<" | ">>>", type: string): string[] {
  return log.split("\n").filter((l) =>
    l.startsWith(`${direction} TLS 1.3, Handshake`) && l.endsWith(`, ${type}`)
  );
}

// ---------------------------------------------------------------------------------------------------------
// This server

Deno.test("interop server ← openssl s_client -sess_out/-sess_in: Reused, TLSv1.3, without Certificate", async () => {
  const pki = await testPki();
  await using server = lineServer(pki, { alpnProtocols: ["h2"] });
  const [first, second] = await sClientTwice(server.port, pki, ["-alpn", "h2"]);
  assert.match(first.stdout, /^New, TLSv1\.3, Cipher is TLS_AES_128_GCM_SHA256$/m, describe(first));
  assert.match(second.stdout, /^Reused, TLSv1\.3, Cipher is TLS_AES_128_GCM_SHA256$/m, describe(second));
  assert.match(second.stdout, /^second$/m, describe(second));
  assert.deepEqual(msgLines(second.stdout, "<<<", "Certificate"), [], describe(second));
  assert.equal(msgLines(second.stdout, "<<<", "Finished").length, 1, describe(second));
  const infos = await server.waitForHandshakes(2);
  assert.deepEqual(infos.map((i) => i.resumed), [false, true]);
  assert.deepEqual(infos.map((i) => [i.alpnProtocol, i.serverName]), [["h2", "localhost"], [
    "h2",
    "localhost",
  ]]);
});

Deno.test("interop server ← openssl s_client -cert/-key: a mutual TLS session resumes with the client's certificate", async () => {
  const pki = await testPki();
  const client = await clientCertificateFiles("resumption client");
  await using server = lineServer(pki, { clientAuth: "require", clientCaCerts: [pki.root.cert] });
  const [, second] = await sClientTwice(server.port, pki, ["-cert", client.certPath, "-key", client.keyPath]);
  assert.match(second.stdout, /^Reused, TLSv1\.3/m, describe(second));
  assert.deepEqual(msgLines(second.stdout, "<<<", "CertificateRequest"), [], describe(second));
  const infos = await server.waitForHandshakes(2);
  assert.deepEqual(infos.map((i) => i.resumed), [false, true]);
  assert.deepEqual(infos.map((i) => i.peerCertificates[0]?.subject), [
    "CN=resumption client",
    "CN=resumption client",
  ]);
});

Deno.test("interop server ← openssl s_client: RFC 8446 §4.1.4 resumption through a HelloRetryRequest", async () => {
  const pki = await testPki();
  await using server = lineServer(pki, { groups: ["X25519"] });
  const [, second] = await sClientTwice(server.port, pki, ["-groups", "P-384:X25519"]);
  assert.match(second.stdout, /^Reused, TLSv1\.3/m, describe(second));
  assert.equal(msgLines(second.stdout, ">>>", "ClientHello").length, 2, describe(second));
  assert.deepEqual((await server.waitForHandshakes(2)).map((i) => [i.resumed, i.group]), [
    [false, "X25519"],
    [true, "X25519"],
  ]);
});

Deno.test("interop server ← gnutls-cli --resume: a resumed session", async () => {
  const pki = await testPki();
  await using server = lineServer(pki);
  const r = await run("gnutls-cli", [
    `--x509cafile=${pki.root.certPath}`,
    "--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3",
    "-p",
    String(server.port),
    "--sni-hostname=localhost",
    "--verify-hostname=localhost",
    "--resume",
    // Without it gnutls-cli waits only 50 ms for the ticket, which a loaded test machine may miss.
    "--waitresumption",
    "127.0.0.1",
  ], "gnutls\n");
  assert.match(r.stdout, /^\*\*\* This is a resumed session$/m, describe(r));
  assert.deepEqual((await server.waitForHandshakes(2)).map((i) => i.resumed), [false, true]);
});

/** Node: two connections, the second with the session of the first; prints `[reused, reused]`. */
const NODE_CLIENT = `
const tls = require("node:tls");
const fs = require("node:fs");
const [port, ca] = [Number(process.argv[1]), fs.readFileSync(process.argv[2])];
const once = (session) => new Promise((resolve, reject) => {
  let kept;
  const s = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca, session, minVersion: "TLSv1.3" },
    () => s.write("node\\n"));
  s.on("session", (t) => { kept = t; });
  s.on("data", () => {});
  s.on("end", () => resolve({ reused: s.isSessionReused(), session: kept }));
  s.on("error", reject);
});
(async () => {
  const first = await once();
  const second = await once(first.session);
  console.log(JSON.stringify([first.reused, second.reused]));
})();
`;

Deno.test("interop server ← Node tls.connect({ session }): the second connection is reused", async () => {
  const pki = await testPki();
  await using server = lineServer(pki);
  const r = await run("node", ["-e", NODE_CLIENT, String(server.port), pki.root.certPath]);
  assert.equal(r.stdout.trim(), "[false,true]", describe(r));
  assert.deepEqual((await server.waitForHandshakes(2)).map((i) => i.resumed), [false, true]);
});

// ---------------------------------------------------------------------------------------------------------
// This client

/** GET / over `conn` and the response up to `</HTML>` (or the end). */
async function get(conn: TlsConn): Promise<string> {
  await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
  let page = "";
  const buf = new Uint8Array(64 * 1024);
  while (!/<\/html>/i.test(page)) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    page += new TextDecoder().decode(buf.subarray(0, n));
  }
  return page;
}

/** Connects twice to `port` with one session cache; the two pages and handshake infos. */
async function clientTwice(pki: TestPki, port: number) {
  const sessionCache = new MemorySessionCache();
  const out = [];
  for (let i = 0; i < 2; i++) {
    using conn = await connectTls({ port, serverName: "localhost", caCerts: [pki.root.cert], sessionCache });
    const info = await conn.handshake();
    out.push({ info, page: await get(conn) });
  }
  return out;
}

Deno.test("interop client → openssl s_server: the second connection resumes (Reused, no second Certificate)", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using peer = PeerProcess.spawn("openssl s_server", [
    "stdbuf",
    ...["-o0", "openssl", "s_server", "-accept", "127.0.0.1:0", "-tls1_3", "-www", "-msg"],
    ...["-cert", leaf.certPath, "-key", leaf.keyPath],
  ]);
  peer.port = Number((await peer.waitFor("stdout", /^ACCEPT 127\.0\.0\.1:(\d+)$/m))[1]);
  const [first, second] = await clientTwice(pki, peer.port);
  assert.equal(first.info.resumed, false);
  assert.match(first.page, /New, TLSv1\.3, Cipher is TLS_AES_128_GCM_SHA256/);
  assert.equal(second.info.resumed, true);
  assert.match(second.page, /Reused, TLSv1\.3, Cipher is TLS_AES_128_GCM_SHA256/);
  assert.equal(second.info.peerCertificates[0].subject, "CN=localhost");
  assert.equal(msgLines(peer.stdout, "<<<", "ClientHello").length, 2, peer.stdout);
  assert.equal(msgLines(peer.stdout, ">>>", "Certificate").length, 1, peer.stdout);
});

Deno.test("interop client → gnutls-serv: the second connection resumes", async () => {
  const pki = await testPki();
  await using peer = await startGnutlsServer({ cert: pki.leaves["ECDSA P-256"], mode: "http" });
  const [first, second] = await clientTwice(pki, peer.port);
  assert.deepEqual([first.info.resumed, second.info.resumed], [false, true]);
  assert.match(second.page, /HTTP\/1\.[01] 200/);
});

Deno.test("interop client → Deno.listenTls (rustls): the second connection resumes", async () => {
  const pki = await testPki();
  await using server = await startDenoServer({ cert: pki.leaves["ECDSA P-256"] });
  const sessionCache = new MemorySessionCache();
  const resumed = [];
  for (let i = 0; i < 2; i++) {
    using conn = await connectTls({
      port: server.port,
      serverName: "localhost",
      caCerts: [pki.root.cert],
      sessionCache,
    });
    resumed.push((await conn.handshake()).resumed);
    const line = new TextEncoder().encode("rustls\n");
    await conn.write(line);
    const buf = new Uint8Array(16);
    assert.equal(await conn.read(buf), line.length);
  }
  assert.deepEqual(resumed, [false, true]);
});

// ---------------------------------------------------------------------------------------------------------
