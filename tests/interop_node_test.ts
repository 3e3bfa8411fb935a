/**
 * Interop with a Node 20 `tls.createServer` (OpenSSL 3.0 inside Node, TLS 1.3 only): every cipher suite ×
 * every group it shares with the client, every certificate type, each echoing 1 MiB of binary data; ALPN.
 * The server reports what it negotiated as JSON lines, which the tests compare with the client's view.
 */
import assert from "node:assert/strict";
import { CERT_TYPES, type CertType, testPki } from "./_pki.ts";
import {
  assertEchoes,
  assertPeerClosesToo,
  CLASSIC_GROUPS,
  type Group,
  MiB,
  nodeEvents,
  type PeerProcess,
  randomPayload,
  startNodeServer,
  type Suite,
  SUITES,
} from "./_peers.ts";
import { assertCertificateRefused, assertNegotiated, connectClient } from "./_interop.ts";

async function serverSaw(server: PeerProcess, event: string): Promise<Record<string, unknown>> {
  await server.waitFor("stdout", `"event":"${event}"`);
  return nodeEvents(server).find((e) => e.event === event)!;
}

async function echoTest(suite: Suite, group: Exclude<Group, "X25519MLKEM768">, type: CertType) {
  const pki = await testPki();
  const leaf = pki.leaves[type];
  await using server = await startNodeServer({ cert: leaf, suites: [suite], groups: [group] });
  const { conn, info } = await connectClient(server.port, { cipherSuites: [suite], groups: [group] });
  using _ = conn;
  assertNegotiated(info, { cipherSuite: suite, group, leaf });
  await assertEchoes(conn, randomPayload(MiB));
  await assertPeerClosesToo(conn);
  assert.deepEqual(await serverSaw(server, "secure"), {
    event: "secure",
    protocol: "TLSv1.3",
    cipher: suite,
    alpn: null,
  });
}

for (const suite of SUITES) {
  for (const group of CLASSIC_GROUPS) {
    Deno.test(`interop node tls: ${suite} / ${group} / ECDSA P-256 echoes 1 MiB`, () => {
      return echoTest(suite, group, "ECDSA P-256");
    });
  }
}

for (const type of CERT_TYPES.filter((t) => t !== "ECDSA P-256")) {
  Deno.test(`interop node tls: TLS_AES_256_GCM_SHA384 / X25519 / ${type} echoes 1 MiB`, () => {
    return echoTest("TLS_AES_256_GCM_SHA384", "X25519", type);
  });
}

Deno.test("interop node tls: default client options, ALPN http/1.1", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-384"];
  await using server = await startNodeServer({ cert: leaf, alpnProtocols: ["h2", "http/1.1"] });
  const { conn, info } = await connectClient(server.port, { alpnProtocols: ["http/1.1"] });
  using _ = conn;
  assertNegotiated(info, { group: "X25519", leaf, alpnProtocol: "http/1.1" });
  await assertEchoes(conn, randomPayload(MiB));
  assert.equal((await serverSaw(server, "secure")).alpn, "http/1.1");
});

Deno.test("interop node tls: RFC 8446 §4.1.4 HelloRetryRequest to P-256 (the only server group)", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = await startNodeServer({ cert: leaf, groups: ["P-256"] });
  const { conn, info } = await connectClient(server.port);
  using _ = conn;
  assertNegotiated(info, { group: "P-256", leaf });
  await assertEchoes(conn, randomPayload(64 * 1024));
});

Deno.test("interop node tls: an expired certificate is refused and the server sees the alert", async () => {
  const pki = await testPki();
  await using server = await startNodeServer({ cert: pki.expired });
  await assertCertificateRefused(server.port, "expired");
  const error = await serverSaw(server, "tlsClientError");
  assert.match(String(error.message), /alert certificate expired/);
});
