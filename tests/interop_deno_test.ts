/**
 * Interop with `Deno.listenTls` (rustls 0.23 with aws-lc-rs), in this process: every cipher suite × every
 * group including the hybrid X25519MLKEM768, every certificate type, each echoing 1 MiB of binary data;
 * ALPN (RFC 7301). The server cannot be restricted, so the client offers one suite and one group.
 */
import assert from "node:assert/strict";
import { CERT_TYPES, testPki } from "./_pki.ts";
import {
  assertEchoes,
  assertPeerClosesToo,
  type Group,
  MiB,
  randomPayload,
  startDenoServer,
  SUITES,
} from "./_peers.ts";
import { assertCertificateRefused, assertNegotiated, connectClient } from "./_interop.ts";

const GROUPS: readonly Group[] = ["X25519MLKEM768", "X25519", "P-256", "P-384"];

for (const suite of SUITES) {
  for (const group of GROUPS) {
    Deno.test(`interop Deno.listenTls: ${suite} / ${group} / ECDSA P-256 echoes 1 MiB`, async () => {
      const pki = await testPki();
      const leaf = pki.leaves["ECDSA P-256"];
      await using server = await startDenoServer({ cert: leaf });
      const { conn, info } = await connectClient(server.port, { cipherSuites: [suite], groups: [group] });
      using _ = conn;
      assertNegotiated(info, { cipherSuite: suite, group, leaf });
      await assertEchoes(conn, randomPayload(MiB));
      await assertPeerClosesToo(conn);
      assert.deepEqual(server.errors, []);
    });
  }
}

for (const type of CERT_TYPES) {
  Deno.test(`interop Deno.listenTls: default client options / ${type} echoes 1 MiB`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[type];
    await using server = await startDenoServer({ cert: leaf });
    const { conn, info } = await connectClient(server.port);
    using _ = conn;
    // rustls has the hybrid group: the client's first share is taken.
    assertNegotiated(info, { group: "X25519MLKEM768", leaf });
    await assertEchoes(conn, randomPayload(MiB));
    await assertPeerClosesToo(conn);
    assert.deepEqual(server.errors, []);
  });
}

Deno.test("interop Deno.listenTls: RFC 7301 ALPN picks the protocol both offer", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = await startDenoServer({ cert: leaf, alpnProtocols: ["h2", "http/1.1"] });
  {
    const { conn, info } = await connectClient(server.port, { alpnProtocols: ["http/1.1"] });
    using _ = conn;
    assertNegotiated(info, { leaf, alpnProtocol: "http/1.1" });
    await assertEchoes(conn, randomPayload(1024));
  }
  {
    const { conn, info } = await connectClient(server.port, { alpnProtocols: ["spdy/1", "h2"] });
    using _ = conn;
    assertNegotiated(info, { leaf, alpnProtocol: "h2" });
    await assertEchoes(conn, randomPayload(1024));
  }
});

Deno.test("interop Deno.listenTls: the server sees an unknown_ca alert when the CA is unknown", async () => {
  const pki = await testPki();
  await using server = await startDenoServer({ cert: pki.untrusted });
  await assertCertificateRefused(server.port, "unknown_issuer");
  for (let i = 0; i < 200 && server.errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.errors.length, 1);
  assert.match(String(server.errors[0]), /UnknownCA|unknown ?ca/i);
});
