/**
 * Interop with `gnutls-serv` (GnuTLS 3.7, TLS 1.3 only by priority string): every cipher suite × every
 * group it shares with the client (X25519, P-256, P-384), every certificate type, each echoing 1 MiB.
 * `gnutls-serv --echo` echoes text lines and closes on binary data, so the echo payload is 1 MiB of hex text
 * in 1 KiB lines; binary data is covered by a 1 MiB download in `--http` mode.
 */
import assert from "node:assert/strict";
import { CERT_TYPES, type CertType, testPki } from "./_pki.ts";
import {
  assertBytesEqual,
  assertEchoes,
  assertPeerClosesToo,
  CLASSIC_GROUPS,
  GNUTLS_CIPHER,
  GNUTLS_GROUP,
  type Group,
  httpGet,
  MiB,
  randomPayload,
  startGnutlsServer,
  type Suite,
  SUITES,
  textPayload,
} from "./_peers.ts";
import { assertNegotiated, connectClient } from "./_interop.ts";

async function echoTest(suite: Suite, group: Exclude<Group, "X25519MLKEM768">, type: CertType) {
  const pki = await testPki();
  const leaf = pki.leaves[type];
  await using server = await startGnutlsServer({ cert: leaf, suites: [suite], groups: [group] });
  const { conn, info } = await connectClient(server.port, { cipherSuites: [suite], groups: [group] });
  using _ = conn;
  assertNegotiated(info, { cipherSuite: suite, group, leaf });
  await assertEchoes(conn, textPayload(MiB));
  await assertPeerClosesToo(conn);
  // The server agrees.
  await server.waitFor("stdout", new RegExp(`^- Cipher: ${GNUTLS_CIPHER[suite]}$`, "m"));
  await server.waitFor("stdout", new RegExp(`^ - Using curve: ${GNUTLS_GROUP[group]}$`, "m"));
  await server.waitFor("stdout", /^- Version: TLS1\.3$/m);
}

for (const suite of SUITES) {
  for (const group of CLASSIC_GROUPS) {
    Deno.test(`interop gnutls-serv: ${suite} / ${group} / ECDSA P-256 echoes 1 MiB`, () => {
      return echoTest(suite, group, "ECDSA P-256");
    });
  }
}

for (const type of CERT_TYPES.filter((t) => t !== "ECDSA P-256")) {
  Deno.test(`interop gnutls-serv: TLS_AES_128_GCM_SHA256 / X25519 / ${type} echoes 1 MiB`, () => {
    return echoTest("TLS_AES_128_GCM_SHA256", "X25519", type);
  });
}

Deno.test("interop gnutls-serv: default client options; downloads 1 MiB of binary data over HTTP", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["RSA-2048"];
  const data = randomPayload(MiB);
  await using server = await startGnutlsServer({ cert: leaf, mode: "http", httpData: data });
  const { conn, info } = await connectClient(server.port);
  using _ = conn;
  assertNegotiated(info, { group: "X25519", leaf });
  // The server ends the response with close_notify: read() must return null, not throw.
  const response = await httpGet(conn);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), String(MiB));
  assertBytesEqual(response.body, data, "downloaded body");
});

Deno.test("interop gnutls-serv: RFC 8446 §4.1.4 HelloRetryRequest to P-384 (the only server group)", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-384"];
  await using server = await startGnutlsServer({ cert: leaf, groups: ["P-384"] });
  const { conn, info } = await connectClient(server.port);
  using _ = conn;
  assertNegotiated(info, { group: "P-384", leaf });
  await assertEchoes(conn, textPayload(64 * 1024));
});
