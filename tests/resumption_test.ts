/**
 * TLS 1.3 resumption between this library's client and server (RFC 8446 §2.2, §4.2.11, §4.6.1): the second
 * connection resumes from a ticket without Certificate/CertificateVerify, keeps ALPN, SNI and both sides'
 * certificates; a ticket is used once; expired tickets, other ticket keys, other suites' hashes and changed
 * trust fall back to full handshakes; HelloRetryRequest recomputes the binder; ticket keys rotate; and the
 * session cache options behave as documented.
 */
import assert from "node:assert/strict";
import { connectTls, defaultSessionCache, listenTls, MemorySessionCache, SessionTicketKeys } from "../mod.ts";
import { assertBytesEqual } from "./_payload.ts";
import { connectAndFinish, finish, handshake, resumable, type Side, SpyCache } from "./_resumption.ts";
import { readLine, serverPki } from "./_server.ts";

const FULL_CLIENT = [
  "sent client_hello",
  "received server_hello",
  "received encrypted_extensions",
  "received certificate",
  "received certificate_verify",
  "received finished",
  "sent finished",
];
const RESUMED_CLIENT = [
  "sent client_hello",
  "received server_hello",
  "received encrypted_extensions",
  "received finished",
  "sent finished",
];

/** The handshake messages a side saw, without the NewSessionTickets that follow. */
function handshakeMessages(side: Side): string[] {
  return side.messages.filter((m) => !m.endsWith("new_session_ticket"));
}

Deno.test("RFC 8446 §2.2: the second connection resumes from a ticket, without Certificate or CertificateVerify", async () => {
  const { options, keys } = resumable();
  const [c1, s1, full] = await connectAndFinish(options);
  assert.deepEqual([c1.resumed, s1.resumed], [false, false]);
  assert.deepEqual(handshakeMessages(full.client), FULL_CLIENT);
  assert.equal(full.client.messages.filter((m) => m === "received new_session_ticket").length, 2);
  const [c2, s2, resumed] = await connectAndFinish(options);
  assert.deepEqual([c2.resumed, s2.resumed], [true, true]);
  assert.deepEqual(handshakeMessages(resumed.client), RESUMED_CLIENT);
  assert.ok(!resumed.server.messages.includes("sent certificate"));
  // psk_dhe_ke: the ServerHello selects the PSK and still carries a key share.
  assert.deepEqual(resumed.client.helloExtensions[0].at(-1), "pre_shared_key");
  assert.deepEqual(resumed.client.helloExtensions[1], ["supported_versions", "key_share", "pre_shared_key"]);
  assert.equal(c2.group, c1.group);
  assert.equal(c2.cipherSuite, c1.cipherSuite);
  // A resumed connection gets tickets too, and the chain goes on.
  const [c3] = await connectAndFinish(options);
  assert.equal(c3.resumed, true);
  assert.equal(keys.lifetime, 7200);
});

Deno.test("resumption keeps ALPN, SNI and the server's certificates", async () => {
  const pki = await serverPki();
  const { options } = resumable({ alpnProtocols: ["h2", "http/1.1"] }, { alpnProtocols: ["h2"] });
  const [c1, s1] = await connectAndFinish(options);
  const [c2, s2] = await connectAndFinish(options);
  assert.equal(c2.resumed, true);
  assert.deepEqual([c2.alpnProtocol, s2.alpnProtocol], ["h2", "h2"]);
  assert.deepEqual([c2.serverName, s2.serverName], [c1.serverName, s1.serverName]);
  assert.equal(s2.serverName, "localhost");
  assert.equal(c2.peerCertificates.length, 1);
  assertBytesEqual(c2.peerCertificates[0].der, pki.leaves["ECDSA P-256"].der, "server certificate");
  assert.deepEqual(c2.peerCertificates, c1.peerCertificates);
});

Deno.test("RFC 8446 §4.3.2: mutual TLS resumes without CertificateRequest; the server keeps the client's certificates", async () => {
  const pki = await serverPki();
  const { options } = resumable(
    { clientAuth: "require", clientCaCerts: [pki.root.cert] },
    { cert: pki.client.cert, key: pki.client.key },
  );
  const [, s1] = await connectAndFinish(options);
  const [c2, s2, resumed] = await connectAndFinish(options);
  assert.deepEqual([c2.resumed, s2.resumed], [true, true]);
  assert.deepEqual(handshakeMessages(resumed.client), RESUMED_CLIENT);
  assert.equal(s2.peerCertificates[0].subject, "CN=test client");
  assert.deepEqual(s2.peerCertificates, s1.peerCertificates);
});

Deno.test("clientAuth require: a ticket without a client certificate gives a full handshake that asks for one", async () => {
  const pki = await serverPki();
  const keys = new SessionTicketKeys();
  const cache = new SpyCache();
  const client = { sessionCache: cache, cert: pki.client.cert, key: pki.client.key };
  await connectAndFinish({ server: { sessionTickets: keys }, client });
  const [c2, s2, pair] = await connectAndFinish({
    server: { sessionTickets: keys, clientAuth: "require", clientCaCerts: [pki.root.cert] },
    client,
  });
  assert.deepEqual([c2.resumed, s2.resumed], [false, false]);
  assert.ok(pair.client.messages.includes("received certificate_request"));
  assert.equal(s2.peerCertificates[0].subject, "CN=test client");
});

Deno.test("RFC 8446 §C.4: a ticket is used once; the client takes it out of the cache before offering it", async () => {
  const { options, cache } = resumable();
  await connectAndFinish(options);
  assert.deepEqual(cache.calls.filter((c) => !c.startsWith("get")), ["set localhost:0", "set localhost:0"]);
  cache.calls.length = 0;
  // Resumed, but closed before the new tickets are read: nothing is left to offer.
  const pair = await handshake(options);
  const [c2] = await finish(pair, false);
  assert.equal(c2.resumed, true);
  assert.deepEqual(cache.calls.filter((c) => !c.startsWith("get")), ["delete localhost:0"]);
  assert.ok(cache.calls.indexOf("get localhost:0") < cache.calls.indexOf("delete localhost:0"));
  assert.equal(cache.entries.size, 0);
  const [c3, , third] = await connectAndFinish(options);
  assert.equal(c3.resumed, false);
  assert.ok(!third.client.helloExtensions[0].includes("pre_shared_key"));
});

Deno.test("RFC 8446 §4.6.1: a ticket past its lifetime is not accepted by the server, nor offered by the client", async () => {
  const { options } = resumable({ sessionTickets: new SessionTicketKeys({ lifetime: 60 }) });
  const later = () => new Date(Date.now() + 61_000);
  await connectAndFinish(options);
  // The client's clock says the ticket is fresh; the server's says it is 61 s old.
  const [c2, s2, second] = await connectAndFinish({ ...options, serverNow: later });
  assert.ok(second.client.helloExtensions[0].includes("pre_shared_key"), "offered");
  assert.deepEqual([c2.resumed, s2.resumed], [false, false]);
  // The client's clock says the ticket of the second connection is 61 s old.
  const [c3, , third] = await connectAndFinish({ ...options, clientTest: { now: later } });
  assert.equal(c3.resumed, false);
  assert.ok(!third.client.helloExtensions[0].includes("pre_shared_key"), "not offered");
});

Deno.test("RFC 8446 §4.2.11: a ticket the server cannot open (restarted: other keys) gives a full handshake", async () => {
  const { options, cache } = resumable();
  await connectAndFinish(options);
  const [c2, s2, pair] = await connectAndFinish({
    ...options,
    server: { sessionTickets: new SessionTicketKeys() },
  });
  assert.ok(pair.client.helloExtensions[0].includes("pre_shared_key"));
  assert.deepEqual([c2.resumed, s2.resumed], [false, false]);
  assert.deepEqual(handshakeMessages(pair.client), FULL_CLIENT);
  assert.equal(cache.entries.size, 1, "the new server's ticket is kept");
});

Deno.test("RFC 8446 §4.2.11: a server without tickets (sessionTickets: false) ignores the PSK", async () => {
  const { options } = resumable();
  await connectAndFinish(options);
  const [c2, s2, pair] = await connectAndFinish({ ...options, server: { sessionTickets: false } });
  assert.deepEqual([c2.resumed, s2.resumed], [false, false]);
  assert.ok(!pair.server.messages.includes("sent new_session_ticket"));
});

Deno.test("sessionCache: null never resumes, nor takes a ticket", async () => {
  const keys = new SessionTicketKeys();
  const options = { server: { sessionTickets: keys }, client: { sessionCache: null } };
  for (let i = 0; i < 2; i++) {
    const [c, s, pair] = await connectAndFinish(options);
    assert.deepEqual([c.resumed, s.resumed], [false, false]);
    assert.ok(!pair.client.helloExtensions[0].includes("pre_shared_key"));
  }
});

Deno.test("a custom SessionCache is used: the ticket it is given is plain data that names the session", async () => {
  const pki = await serverPki();
  const { options, cache } = resumable({ alpnProtocols: ["h2"] }, { alpnProtocols: ["h2"] });
  await connectAndFinish(options);
  const ticket = cache.entries.get("localhost:0");
  assert.ok(ticket?.protocol === "TLSv1.3");
  assert.equal(ticket.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assert.equal(ticket.lifetime, 7200);
  assert.equal(ticket.serverName, "localhost");
  assert.equal(ticket.alpnProtocol, "h2");
  assert.equal(ticket.psk.length, 32);
  assert.ok(Math.abs(ticket.receivedAt - Date.now()) < 10_000);
  assertBytesEqual(ticket.serverCertificates[0], pki.leaves["ECDSA P-256"].der, "server certificate");
  // A structured clone (as a persistent cache would keep it) resumes as well.
  cache.entries.set("localhost:0", structuredClone(ticket));
  const [c2] = await connectAndFinish(options);
  assert.equal(c2.resumed, true);
});

Deno.test("the default session cache is shared by connections that name none", async () => {
  const keys = new SessionTicketKeys();
  defaultSessionCache().clear();
  try {
    await connectAndFinish({ server: { sessionTickets: keys } });
    assert.equal(defaultSessionCache().size, 1);
    const [c2, s2] = await connectAndFinish({ server: { sessionTickets: keys } });
    assert.deepEqual([c2.resumed, s2.resumed], [true, true]);
  } finally {
    defaultSessionCache().clear();
  }
});

Deno.test("a ticket whose server certificate this connection would not trust is not offered (changed caCerts)", async () => {
  const pki = await serverPki();
  const { options } = resumable();
  await connectAndFinish(options);
  const pair = await handshake({
    ...options,
    client: { ...options.client, caCerts: [pki.untrustedClient.cert] },
  });
  assert.ok(!pair.client.helloExtensions[0].includes("pre_shared_key"));
  assert.equal(pair.client.result.status, "rejected", "the full handshake refuses the server");
  if (pair.server.result.status === "fulfilled") pair.server.result.value.close();
});

Deno.test("verifyPeer runs for a resumed session too, on the certificates of the ticket", async () => {
  const seen: string[] = [];
  const { options } = resumable({}, { verifyPeer: (peer) => void seen.push(peer.certificates[0].subject) });
  await connectAndFinish(options);
  const [c2] = await connectAndFinish(options);
  assert.equal(c2.resumed, true);
  assert.deepEqual(seen, ["CN=localhost", "CN=localhost"]);
});

Deno.test("RFC 8446 §4.1.4, §4.2.11.2: resumption through a HelloRetryRequest, the binder computed over the new transcript", async () => {
  const { options } = resumable({ groups: ["P-256"] });
  await connectAndFinish(options);
  const [c2, s2, pair] = await connectAndFinish(options);
  assert.deepEqual([c2.resumed, s2.resumed], [true, true]);
  assert.equal(c2.group, "P-256");
  assert.equal(pair.client.messages.filter((m) => m === "sent client_hello").length, 2);
  for (const hello of [0, 2]) assert.equal(pair.client.helloExtensions[hello].at(-1), "pre_shared_key");
});

Deno.test("RFC 8446 §4.1.2: a HelloRetryRequest whose suite has another hash makes the client drop the PSK", async () => {
  const { options, keys } = resumable({ cipherSuites: ["TLS_AES_256_GCM_SHA384"] });
  await connectAndFinish(options);
  const [c2, s2, pair] = await connectAndFinish({
    ...options,
    server: { sessionTickets: keys, cipherSuites: ["TLS_AES_128_GCM_SHA256"], groups: ["P-256"] },
  });
  assert.deepEqual([c2.resumed, s2.resumed], [false, false]);
  assert.equal(pair.client.helloExtensions[0].at(-1), "pre_shared_key");
  assert.ok(!pair.client.helloExtensions[2].includes("pre_shared_key"), "the second ClientHello has none");
});

Deno.test("RFC 8446 §4.2.11: the server picks a suite of the ticket's hash, or ignores a ticket of a hash it lacks", async () => {
  const { options, keys } = resumable({ cipherSuites: ["TLS_AES_256_GCM_SHA384"] });
  await connectAndFinish(options);
  // The server prefers AES-128 (SHA-256) but also has AES-256 (SHA-384), the ticket's hash.
  const both = {
    sessionTickets: keys,
    cipherSuites: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"],
  } as const;
  const [c2] = await connectAndFinish({
    ...options,
    server: { ...both, cipherSuites: [...both.cipherSuites] },
  });
  assert.equal(c2.resumed, true);
  assert.equal(c2.cipherSuite, "TLS_AES_256_GCM_SHA384");
  const [c3] = await connectAndFinish({
    ...options,
    server: { sessionTickets: keys, cipherSuites: ["TLS_AES_128_GCM_SHA256"] },
  });
  assert.equal(c3.resumed, false, "no SHA-384 suite: the ticket is ignored");
  assert.equal(c3.cipherSuite, "TLS_AES_128_GCM_SHA256");
});

Deno.test("ticket keys rotate with the lifetime: a ticket issued before a rotation resumes after it", async () => {
  let now = Date.now();
  const clock = () => new Date(now);
  const keys = new SessionTicketKeys({ lifetime: 100 });
  const cache = new MemorySessionCache({ now: () => now });
  const options = {
    server: { sessionTickets: keys },
    client: { sessionCache: cache },
    serverNow: clock,
    clientTest: { now: clock },
  };
  await connectAndFinish(options); // the first key is made now
  now += 90_000;
  await connectAndFinish(options); // resumed; its tickets are sealed under the first key, at its end
  now += 20_000; // past the first key's period: the next open rotates, the first key stays as previous
  const [c3, s3] = await connectAndFinish(options);
  assert.deepEqual([c3.resumed, s3.resumed], [true, true]);
  now += 101_000; // the ticket of c3 (second key) has expired, and the second key is one rotation back
  const [c4] = await connectAndFinish(options);
  assert.equal(c4.resumed, false);
});

Deno.test("listenTls issues tickets by default; connectTls resumes with the default cache (by name and port)", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const sessionCache = new MemorySessionCache();
  for (const sessionTickets of [undefined, false]) {
    using listener = listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: leaf.cert,
      key: leaf.key,
      sessionTickets,
    });
    const resumed: boolean[] = [];
    for (let i = 0; i < 2; i++) {
      const accepted = listener.accept();
      using client = await connectTls({
        port: listener.addr.port,
        serverName: "localhost",
        caCerts: [pki.root.cert],
        sessionCache,
      });
      using server = await accepted;
      resumed.push((await client.handshake()).resumed, (await server.handshake()).resumed);
      await server.write(new TextEncoder().encode("line\n"));
      assert.equal(new TextDecoder().decode(await readLine(client)), "line\n");
    }
    assert.deepEqual(
      resumed,
      sessionTickets === false ? [false, false, false, false] : [false, false, true, true],
    );
    if (sessionTickets === undefined) assert.ok(sessionCache.get(`localhost:${listener.addr.port}`));
  }
});
