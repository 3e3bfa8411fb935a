/**
 * Interop with `openssl s_server` (OpenSSL 3.0, TLS 1.3 only): every cipher suite × every group it has
 * (X25519, P-256, P-384; no ML-KEM in 3.0) × every certificate type, each echoing 1 MiB of binary data;
 * HelloRetryRequest (RFC 8446 §4.1.4); KeyUpdate (§4.6.3); close_notify (§6.1); refused certificates
 * (§4.4.2.4) with the alert the server received.
 */
import assert from "node:assert/strict";
import { alertForCertificateError } from "../errors.ts";
import { CERT_TYPES, testPki } from "./_pki.ts";
import {
  assertEchoes,
  assertPeerClosesToo,
  type ByteConn,
  CLASSIC_GROUPS,
  MiB,
  randomPayload,
  RARE_GROUPS,
  readExactly,
  startOpenSslServer,
  SUITES,
  withDeadline,
} from "./_peers.ts";
import { assertCertificateRefused, assertNegotiated, connectClient } from "./_interop.ts";

const encoder = new TextEncoder();

/** Reads exactly `length` bytes as text, within 10 s. */
function readText(conn: ByteConn, length: number): Promise<string> {
  return withDeadline(conn, 10_000, `reading ${length} bytes`, async () => {
    return new TextDecoder().decode(await readExactly(conn, length));
  });
}

for (const type of CERT_TYPES) {
  for (const suite of SUITES) {
    for (const group of CLASSIC_GROUPS) {
      Deno.test(`interop openssl s_server: ${suite} / ${group} / ${type} echoes 1 MiB`, async () => {
        const pki = await testPki();
        const leaf = pki.leaves[type];
        await using server = await startOpenSslServer({ cert: leaf, suites: [suite], groups: [group] });
        const { conn, info } = await connectClient(server.port, { cipherSuites: [suite], groups: [group] });
        using _ = conn;
        assertNegotiated(info, { cipherSuite: suite, group, leaf });
        await assertEchoes(conn, randomPayload(MiB));
        await assertPeerClosesToo(conn);
      });
    }
  }
}

for (const group of RARE_GROUPS) {
  Deno.test(`interop openssl s_server: ${group} (RFC 8446 §4.2.7) echoes 1 MiB`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves["ECDSA P-256"];
    await using server = await startOpenSslServer({ cert: leaf, groups: [group] });
    // Default groups: the share goes out for X25519MLKEM768 and X25519, so the server asks for this one.
    const { conn, info } = await connectClient(server.port);
    using _ = conn;
    assertNegotiated(info, { group, leaf });
    await assertEchoes(conn, randomPayload(MiB));
    await assertPeerClosesToo(conn);
  });
}

Deno.test("interop openssl s_server: default client options pick X25519 beside the hybrid share", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = await startOpenSslServer({ cert: leaf });
  const { conn, info } = await connectClient(server.port);
  using _ = conn;
  // OpenSSL 3.0 does not know X25519MLKEM768 and takes the X25519 share sent beside it: no HRR.
  assertNegotiated(info, { group: "X25519", leaf });
  await assertEchoes(conn, randomPayload(MiB));
});

Deno.test("interop openssl s_server: an IP address is matched against the iPAddress SAN, no SNI", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = await startOpenSslServer({ cert: leaf });
  const { conn, info } = await connectClient(server.port, { serverName: undefined });
  using _ = conn;
  assertNegotiated(info, { leaf, serverName: null });
  await assertEchoes(conn, randomPayload(64 * 1024));
});

for (const group of ["P-384", "P-256"] as const) {
  Deno.test(`interop openssl s_server: RFC 8446 §4.1.4 HelloRetryRequest to ${group} (the only server group)`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves["ECDSA P-256"];
    await using server = await startOpenSslServer({ cert: leaf, groups: [group], mode: "interactive" });
    // Default groups: shares for X25519MLKEM768 and X25519 only, so the server must ask for another.
    const { conn, info } = await connectClient(server.port);
    using _ = conn;
    assertNegotiated(info, { group, leaf });
    await server.waitFor("stdout", /^CIPHER is /m);
    const hellos = server.stdout.match(/^<<< .*Handshake \[length [0-9a-f]+\], ClientHello$/gm) ?? [];
    assert.equal(
      hellos.length,
      2,
      `expected a second ClientHello after the HelloRetryRequest\n${server.describe()}`,
    );
    await conn.write(encoder.encode("from client\n"));
    await server.waitFor("stdout", /^from client$/m);
    await server.send("from server\n");
    assert.equal(await readText(conn, 12), "from server\n");
  });
}

for (const command of ["k", "K"] as const) {
  const what = command === "k" ? "update_not_requested" : "update_requested";
  Deno.test(`interop openssl s_server: RFC 8446 §4.6.3 KeyUpdate (${what}) ×3, data flows both ways after`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves["ECDSA P-256"];
    await using server = await startOpenSslServer({ cert: leaf, mode: "interactive" });
    const { conn } = await connectClient(server.port);
    using _ = conn;
    await server.waitFor("stdout", /^CIPHER is /m);
    await conn.write(encoder.encode("before\n"));
    await server.waitFor("stdout", /^before$/m);
    for (let i = 1; i <= 3; i++) {
      const mark = server.mark("stdout");
      // s_server treats a stdin read of exactly "k\n" / "K\n" as the command: send nothing else until done.
      await server.send(`${command}\n`);
      await server.waitFor("stdout", /^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m, {
        after: mark,
      });
      await server.waitFor("stdout", /^SSL_do_handshake -> 1$/m, { after: mark });
      // Sent under the server's new key: the client must have updated its read key.
      await server.send(`after update ${i}\n`);
      assert.equal(await readText(conn, 15), `after update ${i}\n`);
      await conn.write(encoder.encode(`reply ${i}\n`));
      await server.waitFor("stdout", new RegExp(`^reply ${i}$`, "m"), { after: mark });
      if (command === "K") {
        // The client answered with a KeyUpdate of its own before its next data (and OpenSSL read the reply
        // with the client's new key).
        const received = server.since("stdout", mark);
        const update = received.search(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m);
        assert.ok(update >= 0, `the client sent no KeyUpdate in response\n${server.describe()}`);
        assert.ok(update < received.search(new RegExp(`^reply ${i}$`, "m")));
      }
    }
  });
}

Deno.test("interop openssl s_server: RFC 8446 §6.1 close() sends close_notify", async () => {
  const pki = await testPki();
  await using server = await startOpenSslServer({ cert: pki.leaves["ECDSA P-256"], mode: "interactive" });
  const { conn } = await connectClient(server.port);
  await server.waitFor("stdout", /^CIPHER is /m);
  conn.close();
  await server.waitFor("stdout", /^<<< TLS 1\.3, Alert \[length 0002\], warning close_notify$/m);
  await server.waitFor("stdout", /^CONNECTION CLOSED$/m);
});

const refusals = [
  { name: "a certificate from an unknown CA", cert: "untrusted", code: "unknown_issuer" },
  { name: "a certificate for another name", cert: "wrongName", code: "hostname_mismatch" },
  { name: "an expired certificate", cert: "expired", code: "expired" },
] as const;

for (const { name, cert, code } of refusals) {
  Deno.test(`interop openssl s_server: RFC 8446 §4.4.2.4 ${name} is refused with "${code}"`, async () => {
    const pki = await testPki();
    await using server = await startOpenSslServer({ cert: pki[cert], mode: "interactive" });
    await assertCertificateRefused(server.port, code);
    // The server received the alert, then the connection ended.
    const alert = alertForCertificateError(code);
    await server.waitFor(
      "stdout",
      new RegExp(`^<<< TLS 1\\.3, Alert \\[length 0002\\], fatal ${alert}$`, "m"),
    );
    await server.waitFor("stdout", /^CONNECTION CLOSED$/m);
    assert.doesNotMatch(server.stdout, /^CIPHER is /m, "the server must not complete the handshake");
  });

  Deno.test(`interop openssl s_server: unsafelyIgnoreCertificateErrors accepts ${name}`, async () => {
    const pki = await testPki();
    await using server = await startOpenSslServer({ cert: pki[cert] });
    const { conn, info } = await connectClient(server.port, { unsafelyIgnoreCertificateErrors: true });
    using _ = conn;
    assert.equal(info.protocol, "TLSv1.3");
    await assertEchoes(conn, randomPayload(MiB));
  });
}
