/**
 * TLS 1.2 session tickets (RFC 5077) are bound to what their session was made for:
 * - the SNI name: "the server MUST NOT accept the request to resume the session if the server_name extension
 *   contains a different name" (RFC 6066 §3) — checked with `openssl s_client -sess_out/-sess_in -servername`;
 * - the server certificate: a server that shares ticket keys but presents another certificate runs a full
 *   handshake.
 * And one `SessionTicketKeys` seals the TLS 1.2 tickets of every listener or `acceptTls` call it is given to,
 * as it does TLS 1.3 ones, under another label so that a ticket of one version never opens as the other.
 */
import assert from "node:assert/strict";
import { webCrypto } from "../crypto/webcrypto.ts";
import { acceptTls, MemorySessionCache, SessionTicketKeys, startTls } from "../mod.ts";
import { openTicket12, sealTicket12 } from "../handshake/ticket12.ts";
import { openTicket13, sealTicket13 } from "../handshake/ticket13.ts";
import { describeTool, runTool } from "./_peer_process.ts";
import { testPki } from "./_pki.ts";
import { readExactly } from "./_peers.ts";
import { memoryPipe, serverPki, startLineServer } from "./_server.ts";

/** `openssl s_client -tls1_2` arguments for 127.0.0.1:`port` with SNI `serverName`. */
function sClient12(port: number, caPath: string, serverName: string, extra: string[]): string[] {
  return [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1_2",
    "-servername",
    serverName,
    "-CAfile",
    caPath,
    ...extra,
  ];
}

Deno.test("RFC 6066 §3: openssl s_client -tls1_2 -sess_in with another -servername gets a full handshake, not a resumption", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  const session = `${pki.dir}/tls12-sni-${crypto.randomUUID()}.pem`;
  const sClient = (name: string, extra: string[], line: string) =>
    runTool("openssl", sClient12(server.port, pki.root.certPath, name, ["-ign_eof", ...extra]), line);
  const first = await sClient("localhost", ["-sess_out", session], "one\n");
  assert.match(first.stdout, /^New, TLSv1\.2, /m, describeTool(first));
  // Another name: the ticket is offered (openssl sends what -sess_in holds) and must be refused.
  const other = await sClient("other.example", ["-sess_in", session], "two\n");
  assert.match(other.stdout, /^New, TLSv1\.2, /m, describeTool(other));
  assert.match(other.stdout, /^two$/m, "the full handshake completed and data flowed");
  // The same name still resumes.
  const same = await sClient("localhost", ["-sess_in", session], "three\n");
  assert.match(same.stdout, /^Reused, TLSv1\.2, /m, describeTool(same));
  const infos = await server.waitForHandshakes(3);
  assert.deepEqual(infos.map((i) => [i.serverName, i.resumed]), [
    ["localhost", false],
    ["other.example", false],
    ["localhost", true],
  ]);
});

/** One TLS 1.2 connection of our client (with `sessionCache`) to an `acceptTls` call; whether it resumed. */
async function connect12(
  sessionCache: MemorySessionCache,
  sessionTickets: SessionTicketKeys,
  leaf: { cert: string; key: string },
): Promise<boolean> {
  const pki = await serverPki();
  const [c, s] = memoryPipe();
  const [server, client] = await Promise.all([
    acceptTls(s, { cert: leaf.cert, key: leaf.key, sessionTickets }),
    startTls(c, { serverName: "localhost", caCerts: [pki.root.cert], sessionCache, maxVersion: "TLSv1.2" }),
  ]);
  const info = await client.handshake();
  assert.equal(info.protocol, "TLSv1.2");
  // Data both ways (the client keeps the new ticket it came with).
  await client.write(Uint8Array.of(1));
  assert.deepEqual(await readExactly(server, 1), Uint8Array.of(1));
  await server.write(Uint8Array.of(2));
  assert.deepEqual(await readExactly(client, 1), Uint8Array.of(2));
  assert.equal((await server.handshake()).resumed, info.resumed);
  client.close();
  server.close();
  return info.resumed;
}

Deno.test("RFC 5077: a SessionTicketKeys shared between acceptTls calls resumes TLS 1.2 sessions across them", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const keys = new SessionTicketKeys();
  const cache = new MemorySessionCache();
  assert.equal(await connect12(cache, keys, leaf), false, "the first connection is a full handshake");
  assert.equal(
    await connect12(cache, keys, leaf),
    true,
    "a second acceptTls call with the same keys resumes",
  );
  assert.equal(await connect12(cache, keys, leaf), true);
});

Deno.test("RFC 5077: a TLS 1.2 ticket does not resume under another certificate, even with the same keys and name", async () => {
  const pki = await serverPki();
  const keys = new SessionTicketKeys();
  const cache = new MemorySessionCache();
  assert.equal(await connect12(cache, keys, pki.leaves["ECDSA P-256"]), false);
  assert.equal(
    await connect12(cache, keys, pki.leaves["RSA-2048"]),
    false,
    "another certificate: full handshake",
  );
  // The RSA session's own ticket resumes under the RSA certificate.
  assert.equal(await connect12(cache, keys, pki.leaves["RSA-2048"]), true);
});

Deno.test("RFC 5077 §4: one SessionTicketKeys seals both versions, and neither version's ticket opens as the other's", async () => {
  const keys = new SessionTicketKeys({ lifetime: 100 });
  const now = 1_000_000;
  const state12 = {
    cipherSuite: 0xc02b,
    extendedMasterSecret: true,
    masterSecret: new Uint8Array(48).fill(2),
    createdAt: now,
    serverName: "localhost",
    certificateHash: new Uint8Array(32).fill(3),
  };
  const state13 = {
    cipherSuite: 0x1301,
    issuedAt: now,
    lifetime: 100,
    ticketAgeAdd: 7,
    psk: new Uint8Array(32).fill(4),
    alpnProtocol: null,
    serverName: "localhost",
    clientCertificates: [],
  };
  const ticket12 = await sealTicket12(webCrypto, keys, state12);
  const ticket13 = (await sealTicket13(webCrypto, keys, state13))!;
  assert.deepEqual(await openTicket12(webCrypto, keys, ticket12, now, 100), state12);
  assert.deepEqual(await openTicket13(webCrypto, keys, ticket13, now), state13);
  assert.equal(await openTicket12(webCrypto, keys, ticket13, now, 100), undefined);
  assert.equal(await openTicket13(webCrypto, keys, ticket12, now), undefined);
});
