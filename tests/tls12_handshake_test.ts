/**
 * The TLS 1.2 client and server state machines against each other in memory, each in a real `TlsEngine`
 * driven by `_tls12_endpoint.ts` (which can play a man in the middle): every suite, the groups, client authentication,
 * tickets and resumption, and each protection of the handshake — extended master secret, secure
 * renegotiation, downgrade sentinels, fallback signalling, SHA-1 refusal, signature and Finished checks.
 */

import assert from "node:assert/strict";
import { concat, utf8 } from "../bytes.ts";
import { loadCertifiedKey } from "../connection/certificates.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import type { CertifiedKey } from "../handshake/certified_key.ts";
import {
  DOWNGRADE_TLS12,
  ExtensionType,
  HandshakeType,
  TLS12_SUITES,
  type Tls12Suite,
  TLS_FALLBACK_SCSV,
} from "../handshake/constants.ts";
import type { Tls12ClientSession } from "../handshake/config12.ts";
import { SessionTicketKeys } from "../handshake/ticket_keys.ts";
import { encodeRenegotiationInfo } from "../handshake/extensions12.ts";
import {
  decodeClientHello12,
  decodeServerHello12,
  decodeServerKeyExchangeEcdhe,
  encodeServerHello12,
  encodeServerKeyExchangeEcdhe,
} from "../handshake/messages12.ts";
import { encodeHandshake, type Extension } from "../handshake/messages.ts";
import { ContentType, encodeRecord } from "../record/framing.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import type { CertificateVerifier } from "../x509/verifier.ts";
import { makeChain, type TestChain } from "./_certs.ts";
import {
  client12Config,
  clientConfig,
  pump,
  rewriteHandshake,
  server12Config,
  serverConfig,
  tls12Client,
  type Tls12Endpoint,
  tls12Server,
} from "./_tls12_endpoint.ts";

// ---------------------------------------------------------------------------------------------------------
// Fixtures

interface Pki {
  readonly chain: TestChain;
  readonly certified: CertifiedKey;
  readonly verifier: CertificateVerifier;
}

const pkis = new Map<string, Promise<Pki>>();

/** A chain of `algorithm` keys, its leaf loaded as a server certificate, and a verifier trusting its root. */
function pki(algorithm: "ECDSA-P256" | "ECDSA-P384" | "RSA-2048" | "Ed25519" = "ECDSA-P256"): Promise<Pki> {
  let p = pkis.get(algorithm);
  if (!p) {
    p = (async () => {
      const chain = await makeChain(algorithm);
      const certified = await loadCertifiedKey(
        webCrypto,
        chain.leaf.cert + chain.inter.cert,
        chain.leaf.key,
        "test",
      );
      const verifier = createCertificateVerifier({ caCerts: [chain.root.cert], crypto: webCrypto });
      return { chain, certified, verifier };
    })();
    pkis.set(algorithm, p);
  }
  return p;
}

const isAlert = (alert: string, source: "local" | "remote" = "local") => (e: unknown) =>
  e instanceof TlsAlertError && e.alert === alert && e.source === source;

const suite = (name: Tls12Suite["name"]) => TLS12_SUITES.find((s) => s.name === name)!;

/** Both endpoints completed, agree on the master secret, and carry data both ways. */
async function assertConnected(client: Tls12Endpoint, server: Tls12Endpoint): Promise<void> {
  assert.ok(client.info && server.info, "both handshakes complete");
  assert.equal(client.info.protocol, "TLSv1.2");
  assert.equal(client.info.cipherSuite, server.info.cipherSuite);
  assert.deepEqual(client.secrets.get("CLIENT_RANDOM"), server.secrets.get("CLIENT_RANDOM"));
  assert.equal(client.secrets.get("CLIENT_RANDOM")?.length, 48);
  client.send(utf8("ping"));
  server.send(new Uint8Array(20000).fill(7)); // two records
  await pump(client, server);
  assert.deepEqual(concat(...server.plaintext.splice(0)), utf8("ping"));
  assert.deepEqual(concat(...client.plaintext.splice(0)), new Uint8Array(20000).fill(7));
}

/** The extensions of a ClientHello or ServerHello body with `f` applied. */
function editHelloExtensions(
  body: Uint8Array,
  which: "client" | "server",
  f: (extensions: Extension[]) => Extension[],
): Uint8Array {
  if (which === "server") {
    const sh = decodeServerHello12(body);
    return encodeServerHello12({ ...sh, extensions: f([...sh.extensions]) });
  }
  const ch = decodeClientHello12(body);
  return encodeClientHelloLoose({ ...ch, extensions: f([...ch.extensions]) }, ch.cipherSuites);
}

/** A ClientHello body without TLS 1.3's bound on the extension block. */
function encodeClientHelloLoose(
  ch: ReturnType<typeof decodeClientHello12>,
  suites: readonly number[],
): Uint8Array {
  const parts = [
    Uint8Array.of(ch.legacyVersion >> 8, ch.legacyVersion & 0xff),
    ch.random,
    Uint8Array.of(ch.legacySessionId.length),
    ch.legacySessionId,
    Uint8Array.of(
      suites.length >> 7,
      (suites.length * 2) & 0xff,
      ...suites.flatMap((s) => [s >> 8, s & 0xff]),
    ),
    Uint8Array.of(ch.legacyCompressionMethods.length),
    ch.legacyCompressionMethods,
  ];
  const exts = concat(
    ...ch.extensions.map((e) =>
      concat(Uint8Array.of(e.type >> 8, e.type & 0xff, e.data.length >> 8, e.data.length & 0xff), e.data)
    ),
  );
  return concat(...parts, Uint8Array.of(exts.length >> 8, exts.length & 0xff), exts);
}

/** A tamper function for `pump` that applies `edit` to the first flight `sender()` sends, and only to it. */
function firstFlightOf(
  sender: () => Tls12Endpoint,
  edit: (bytes: Uint8Array) => Uint8Array,
): (from: Tls12Endpoint, bytes: Uint8Array) => Uint8Array {
  let done = false;
  return (from, bytes) => {
    if (from !== sender() || done) return bytes;
    done = true;
    return edit(bytes);
  };
}

const without = (type: number) => (extensions: Extension[]) => extensions.filter((e) => e.type !== type);

// ---------------------------------------------------------------------------------------------------------
// Full handshakes

for (const s of TLS12_SUITES.filter((s) => s.keyExchange !== "RSA")) {
  Deno.test(`RFC 5246 §7.3: a full ${s.name} handshake agrees on keys and carries data`, async () => {
    const { certified, verifier } = await pki(s.keyExchange === "ECDHE_RSA" ? "RSA-2048" : "ECDSA-P256");
    const client = tls12Client(clientConfig(verifier), client12Config({ suites: [s] }));
    const server = tls12Server(serverConfig([certified]), server12Config());
    await pump(client, server);
    assert.equal(client.info?.cipherSuite, s.name);
    assert.equal(client.info?.group, "X25519");
    assert.equal(client.info?.resumed, false);
    assert.equal(client.info?.peerCertificates.length, 2);
    assert.deepEqual(client.received, [
      HandshakeType.server_hello,
      HandshakeType.certificate,
      HandshakeType.server_key_exchange,
      HandshakeType.server_hello_done,
      HandshakeType.new_session_ticket,
      "CCS",
      HandshakeType.finished,
    ]);
    assert.deepEqual(server.received, [
      HandshakeType.client_hello,
      HandshakeType.client_key_exchange,
      "CCS",
      HandshakeType.finished,
    ]);
    await assertConnected(client, server);
  });
}

Deno.test("RFC 8422 §5.1.1: the server picks its preferred curve among the client's; P-256 and P-384 work", async () => {
  const { certified, verifier } = await pki();
  for (const group of ["P-256", "P-384"] as const) {
    const client = tls12Client(clientConfig(verifier), client12Config());
    const server = tls12Server(serverConfig([certified], { groups: [group, "X25519"] }), server12Config());
    await pump(client, server);
    assert.equal(client.info?.group, group);
    assert.equal(server.info?.group, group);
    await assertConnected(client, server);
  }
});

Deno.test("RFC 8422 §5.4: Ed25519 and P-384 certificates sign the ServerKeyExchange", async () => {
  for (const algorithm of ["Ed25519", "ECDSA-P384"] as const) {
    const { certified, verifier } = await pki(algorithm);
    const client = tls12Client(clientConfig(verifier), client12Config());
    const server = tls12Server(serverConfig([certified]), server12Config());
    await pump(client, server);
    await assertConnected(client, server);
  }
});

Deno.test("RFC 5246 §7.4.1.3: the server follows its own suite preference; ALPN and SNI are negotiated", async () => {
  const ecdsa = await pki();
  const rsa = await pki("RSA-2048");
  const client = tls12Client(
    clientConfig(ecdsa.verifier, { alpnProtocols: ["h2", "http/1.1"] }),
    client12Config(),
  );
  const server = tls12Server(
    serverConfig([rsa.certified, ecdsa.certified], { alpnProtocols: ["http/1.1", "h2"] }),
    server12Config({
      suites: [
        suite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
      ],
    }),
  );
  await pump(client, server);
  assert.equal(client.info?.cipherSuite, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
  assert.equal(client.info?.alpnProtocol, "http/1.1");
  assert.equal(server.info?.alpnProtocol, "http/1.1");
  assert.equal(server.info?.serverName, "localhost");
});

Deno.test("RFC 5246 §7.4.2: a server without a certificate for any offered suite fails with handshake_failure", async () => {
  const { certified, verifier } = await pki("RSA-2048");
  const client = tls12Client(
    clientConfig(verifier),
    client12Config({ suites: [suite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")] }),
  );
  const server = tls12Server(serverConfig([certified]), server12Config());
  await assert.rejects(pump(client, server), isAlert("handshake_failure"));
});

// ---------------------------------------------------------------------------------------------------------
// Client authentication

Deno.test("RFC 5246 §7.4.4, §7.4.8: mutual authentication with a required client certificate", async () => {
  for (const clientAlgorithm of ["ECDSA-P256", "RSA-2048"] as const) {
    const server = await pki();
    const clientPki = await pki(clientAlgorithm);
    const client = tls12Client(
      clientConfig(server.verifier, { clientCertificate: clientPki.certified }),
      client12Config(),
    );
    const srv = tls12Server(
      serverConfig([server.certified], { clientAuth: "require", clientVerifier: clientPki.verifier }),
      server12Config(),
    );
    await pump(client, srv);
    assert.equal(srv.info?.peerCertificates.length, 2);
    assert.deepEqual(srv.received, [
      HandshakeType.client_hello,
      HandshakeType.certificate,
      HandshakeType.client_key_exchange,
      HandshakeType.certificate_verify,
      "CCS",
      HandshakeType.finished,
    ]);
    await assertConnected(client, srv);
  }
});

Deno.test("RFC 5246 §7.4.6: no client certificate — refused when required, accepted when only requested", async () => {
  const { certified, verifier } = await pki();
  const required = tls12Server(
    serverConfig([certified], { clientAuth: "require", clientVerifier: verifier }),
    server12Config(),
  );
  await assert.rejects(
    pump(tls12Client(clientConfig(verifier), client12Config()), required),
    isAlert("handshake_failure"),
  );
  const client = tls12Client(clientConfig(verifier), client12Config());
  const requested = tls12Server(
    serverConfig([certified], { clientAuth: "request", clientVerifier: verifier }),
    server12Config(),
  );
  await pump(client, requested);
  assert.equal(requested.info?.peerCertificates.length, 0);
  await assertConnected(client, requested);
});

// ---------------------------------------------------------------------------------------------------------
// Tickets and resumption (RFC 5077)

/** A full handshake whose ticket the client keeps; returns the session. */
async function firstSession(server12 = server12Config()): Promise<{ session: Tls12ClientSession; pki: Pki }> {
  const p = await pki();
  const sessions: Tls12ClientSession[] = [];
  const client = tls12Client(
    clientConfig(p.verifier),
    client12Config({ storeSession: (s) => sessions.push(s) }),
  );
  await pump(client, tls12Server(serverConfig([p.certified]), server12));
  assert.equal(sessions.length, 1);
  return { session: sessions[0], pki: p };
}

Deno.test("RFC 5077 §3.1: a ticket resumes the session in an abbreviated handshake, with a fresh ticket", async () => {
  const { session, pki: p } = await firstSession();
  assert.equal(session.masterSecret.length, 48);
  assert.equal(session.extendedMasterSecret, true);
  assert.equal(session.lifetimeHint, 3600);
  const renewed: Tls12ClientSession[] = [];
  const client = tls12Client(
    clientConfig(p.verifier),
    client12Config({ session, storeSession: (s) => renewed.push(s) }),
  );
  const server = tls12Server(serverConfig([p.certified]), server12Config());
  await pump(client, server);
  assert.equal(client.info?.resumed, true);
  assert.equal(server.info?.resumed, true);
  assert.equal(client.info?.peerCertificates.length, 2, "the session's certificates are reported");
  assert.deepEqual(client.received, [
    HandshakeType.server_hello,
    HandshakeType.new_session_ticket,
    "CCS",
    HandshakeType.finished,
  ]);
  assert.deepEqual(server.received, [HandshakeType.client_hello, "CCS", HandshakeType.finished]);
  assert.deepEqual(client.secrets.get("CLIENT_RANDOM"), session.masterSecret);
  assert.equal(renewed.length, 1);
  assert.notDeepEqual(renewed[0].ticket, session.ticket);
  await assertConnected(client, server);
});

Deno.test("RFC 5077 §3.3: a ticket the server cannot open, or too old, leads to a full handshake", async () => {
  const { session, pki: p } = await firstSession();
  const cases = [
    server12Config({ ticketKeys: new SessionTicketKeys() }),
    server12Config({ ticketLifetime: 0 }),
    server12Config({ suites: [suite("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")] }),
  ];
  for (const server12 of cases) {
    const client = tls12Client(clientConfig(p.verifier), client12Config({ session }));
    const cfg = serverConfig([p.certified], { now: () => new Date(Date.now() + 2000) });
    const server = tls12Server(cfg, server12);
    await pump(client, server);
    assert.equal(client.info?.resumed, false);
    assert.notDeepEqual(client.secrets.get("CLIENT_RANDOM"), session.masterSecret);
    await assertConnected(client, server);
  }
});

Deno.test("RFC 5077 §3.3: no session_ticket extension, or no ticket key: no NewSessionTicket", async () => {
  const { certified, verifier } = await pki();
  for (
    const [c12, s12] of [[client12Config({ sessionTickets: false }), server12Config()], [
      client12Config(),
      server12Config({ ticketKeys: undefined }),
    ]] as const
  ) {
    const client = tls12Client(clientConfig(verifier), c12);
    const server = tls12Server(serverConfig([certified]), s12);
    await pump(client, server);
    assert.ok(!client.received.includes(HandshakeType.new_session_ticket));
    await assertConnected(client, server);
  }
});

Deno.test("RFC 7627 §5.3: resuming must keep the extended master secret", async () => {
  const { session, pki: p } = await firstSession();
  const client = tls12Client(clientConfig(p.verifier), client12Config({ session }));
  const server = tls12Server(serverConfig([p.certified]), server12Config());
  const tamper = (from: Tls12Endpoint, bytes: Uint8Array) =>
    from === server
      ? rewriteHandshake(
        bytes,
        HandshakeType.server_hello,
        (b) => editHelloExtensions(b, "server", without(ExtensionType.extended_master_secret)),
      )
      : bytes;
  await assert.rejects(pump(client, server, tamper), isAlert("handshake_failure"));
});

// ---------------------------------------------------------------------------------------------------------
// Protections of the handshake

/** Runs a handshake whose first server flight is rewritten by `edit`; resolves to the client's failure. */
async function tamperedServerFlight(
  edit: (bytes: Uint8Array) => Uint8Array,
  options: {
    client12?: Parameters<typeof client12Config>[0];
    server12?: Parameters<typeof server12Config>[0];
  } = {},
): Promise<void> {
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config(options.client12));
  const server = tls12Server(serverConfig([certified]), server12Config(options.server12));
  await pump(client, server, firstFlightOf(() => server, edit));
}

Deno.test("RFC 7627 §5.2: a client requiring EMS refuses a server that does not negotiate it", async () => {
  const strip = (bytes: Uint8Array) =>
    rewriteHandshake(
      bytes,
      HandshakeType.server_hello,
      (b) => editHelloExtensions(b, "server", without(ExtensionType.extended_master_secret)),
    );
  await assert.rejects(
    tamperedServerFlight(strip),
    (e: unknown) => isAlert("handshake_failure")(e) && /extended master secret/.test((e as Error).message),
  );
});

Deno.test("RFC 7627 §5.2: a server requiring EMS refuses a client that does not offer it", async () => {
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config());
  const tamper = (from: Tls12Endpoint, bytes: Uint8Array) =>
    from === client
      ? rewriteHandshake(
        bytes,
        HandshakeType.client_hello,
        (b) => editHelloExtensions(b, "client", without(ExtensionType.extended_master_secret)),
      )
      : bytes;
  await assert.rejects(pump(client, server, tamper), isAlert("handshake_failure"));
});

Deno.test("RFC 5746 §3.4: a non-empty renegotiation_info in the ServerHello is handshake_failure", async () => {
  const edit = (bytes: Uint8Array) =>
    rewriteHandshake(bytes, HandshakeType.server_hello, (b) =>
      editHelloExtensions(b, "server", (exts) => [
        ...without(ExtensionType.renegotiation_info)(exts),
        { type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo(new Uint8Array(24)) },
      ]));
  await assert.rejects(tamperedServerFlight(edit), isAlert("handshake_failure"));
});

Deno.test("RFC 8446 §4.1.3: a client that offered TLS 1.3 refuses a ServerHello.random with a downgrade sentinel", async () => {
  await assert.rejects(
    tamperedServerFlight((b) => b, { client12: { offeredTls13: true }, server12: { supportsTls13: true } }),
    isAlert("illegal_parameter"),
  );
  // The TLS 1.1 sentinel too, set by a man in the middle (the signature covers the random, but the check comes first).
  const tls11 = (bytes: Uint8Array) =>
    rewriteHandshake(bytes, HandshakeType.server_hello, (b) => {
      const sh = decodeServerHello12(b);
      const random = sh.random.slice();
      random.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00], 24);
      return encodeServerHello12({ ...sh, random });
    });
  await assert.rejects(
    tamperedServerFlight(tls11, { client12: { offeredTls13: true } }),
    isAlert("illegal_parameter"),
  );
  // A TLS 1.2-only client does not look at the sentinel.
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config({ supportsTls13: true }));
  await pump(client, server);
  assert.ok(client.info);
});

Deno.test("RFC 8446 §4.1.3: a TLS 1.3-capable server ends its TLS 1.2 random with DOWNGRADE_TLS12", async () => {
  const { certified, verifier } = await pki();
  let random: Uint8Array | undefined;
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config({ supportsTls13: true }));
  await pump(client, server, (from, bytes) => {
    if (from === server && random === undefined) {
      rewriteHandshake(bytes, HandshakeType.server_hello, (b) => {
        random = decodeServerHello12(b).random;
        return b;
      });
    }
    return bytes;
  });
  assert.deepEqual(random?.subarray(24), DOWNGRADE_TLS12);
});

Deno.test("RFC 7507 §3: TLS_FALLBACK_SCSV to a TLS 1.3-capable server is inappropriate_fallback", async () => {
  const { certified, verifier } = await pki();
  for (const supportsTls13 of [true, false]) {
    const client = tls12Client(clientConfig(verifier), client12Config());
    const server = tls12Server(serverConfig([certified]), server12Config({ supportsTls13 }));
    const tamper = firstFlightOf(
      () => client,
      (bytes) =>
        rewriteHandshake(bytes, HandshakeType.client_hello, (b) => {
          const ch = decodeClientHello12(b);
          return encodeClientHelloLoose(ch, [...ch.cipherSuites, TLS_FALLBACK_SCSV]);
        }),
    );
    const run = pump(client, server, tamper);
    if (supportsTls13) await assert.rejects(run, isAlert("inappropriate_fallback"));
    // With the extended master secret the changed ClientHello changes the keys: the Finished cannot be read.
    else await assert.rejects(run, isAlert("bad_record_mac"), "the changed ClientHello breaks the keys");
  }
});

Deno.test("RFC 5246 §7.4.3: a ServerKeyExchange signed with SHA-1, or whose signature fails, is refused", async () => {
  const sha1 = (bytes: Uint8Array) =>
    rewriteHandshake(
      bytes,
      HandshakeType.server_key_exchange,
      (b) => encodeServerKeyExchangeEcdhe({ ...decodeServerKeyExchangeEcdhe(b), algorithm: 0x0203 }),
    );
  await assert.rejects(
    tamperedServerFlight(sha1),
    (e: unknown) => isAlert("illegal_parameter")(e) && /SHA-1/.test(String(e)),
  );
  const badSignature = (bytes: Uint8Array) =>
    rewriteHandshake(bytes, HandshakeType.server_key_exchange, (b) => {
      const ske = decodeServerKeyExchangeEcdhe(b);
      const publicKey = ske.publicKey.slice();
      publicKey[0] ^= 1; // the signed params change
      return encodeServerKeyExchangeEcdhe({ ...ske, publicKey });
    });
  await assert.rejects(tamperedServerFlight(badSignature), isAlert("decrypt_error"));
  const unofferedCurve = (bytes: Uint8Array) =>
    rewriteHandshake(
      bytes,
      HandshakeType.server_key_exchange,
      (b) => encodeServerKeyExchangeEcdhe({ ...decodeServerKeyExchangeEcdhe(b), namedCurve: 0x0019 }),
    );
  await assert.rejects(tamperedServerFlight(unofferedCurve), isAlert("illegal_parameter"));
});

Deno.test("RFC 5246 §7.4.1.3: a suite, compression or extension the client did not offer is refused", async () => {
  const edit =
    (f: (sh: ReturnType<typeof decodeServerHello12>) => ReturnType<typeof decodeServerHello12>) =>
    (bytes: Uint8Array) =>
      rewriteHandshake(
        bytes,
        HandshakeType.server_hello,
        (b) => encodeServerHello12(f(decodeServerHello12(b))),
      );
  await assert.rejects(
    tamperedServerFlight(edit((sh) => ({ ...sh, cipherSuite: 0x009c }))),
    isAlert("illegal_parameter"),
  );
  await assert.rejects(
    tamperedServerFlight(edit((sh) => ({ ...sh, cipherSuite: 0x1301 }))),
    isAlert("illegal_parameter"),
  );
  await assert.rejects(
    tamperedServerFlight(edit((sh) => ({ ...sh, legacyCompressionMethod: 1 }))),
    isAlert("illegal_parameter"),
  );
  await assert.rejects(
    tamperedServerFlight(edit((sh) => ({ ...sh, legacyVersion: 0x0302 }))),
    isAlert("protocol_version"),
  );
  await assert.rejects(
    tamperedServerFlight(
      edit((sh) => ({ ...sh, extensions: [...sh.extensions, { type: 0x1234, data: new Uint8Array(0) }] })),
    ),
    isAlert("unsupported_extension"),
  );
  await assert.rejects(
    tamperedServerFlight(
      edit((sh) => ({
        ...sh,
        extensions: [...sh.extensions, { type: ExtensionType.key_share, data: new Uint8Array(4) }],
      })),
    ),
    isAlert("unsupported_extension"),
  );
  await assert.rejects(
    tamperedServerFlight(edit((sh) => ({ ...sh, legacySessionIdEcho: new Uint8Array(32).fill(1) })), {
      client12: { session: undefined },
    }).then(() => {
      throw new Error(
        "a new session id from the server is fine; the changed transcript then breaks the keys",
      );
    }),
    isAlert("bad_record_mac"),
  );
});

Deno.test("RFC 8422 §5.1.2: an ec_point_formats without uncompressed is illegal_parameter, on both sides", async () => {
  const noUncompressed = { type: ExtensionType.ec_point_formats, data: Uint8Array.of(1, 1) };
  const edit = (bytes: Uint8Array) =>
    rewriteHandshake(
      bytes,
      HandshakeType.server_hello,
      (b) =>
        editHelloExtensions(
          b,
          "server",
          (e) => [...without(ExtensionType.ec_point_formats)(e), noUncompressed],
        ),
    );
  await assert.rejects(tamperedServerFlight(edit), isAlert("illegal_parameter"));
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config());
  const tamper = (from: Tls12Endpoint, bytes: Uint8Array) =>
    from === client
      ? rewriteHandshake(
        bytes,
        HandshakeType.client_hello,
        (b) =>
          editHelloExtensions(
            b,
            "client",
            (e) => [...without(ExtensionType.ec_point_formats)(e), noUncompressed],
          ),
      )
      : bytes;
  await assert.rejects(pump(client, server, tamper), isAlert("illegal_parameter"));
});

Deno.test("RFC 5246 §7.4: messages out of order are unexpected_message; a stray ChangeCipherSpec too", async () => {
  const dropSke = (bytes: Uint8Array) =>
    rewriteHandshake(bytes, HandshakeType.server_key_exchange, () => undefined);
  await assert.rejects(tamperedServerFlight(dropSke), isAlert("unexpected_message"));
  const earlyCcs = (bytes: Uint8Array) =>
    concat(encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(1)), bytes);
  await assert.rejects(tamperedServerFlight(earlyCcs), isAlert("unexpected_message"));
});

Deno.test("RFC 5246 §7.4.1.1: a HelloRequest during the handshake is ignored by the client", async () => {
  const helloRequest = encodeRecord(
    ContentType.handshake,
    0x0303,
    encodeHandshake(HandshakeType.hello_request, new Uint8Array(0)),
  );
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config());
  await pump(client, server, firstFlightOf(() => server, (bytes) => concat(helloRequest, bytes)));
  await assertConnected(client, server);
});

Deno.test("RFC 5746 §4: renegotiation is refused with no_renegotiation, from either side", async () => {
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config());
  await pump(client, server);
  server.sendHandshake(encodeHandshake(HandshakeType.hello_request, new Uint8Array(0)));
  await assert.rejects(pump(client, server), isAlert("no_renegotiation"));

  const client2 = tls12Client(clientConfig(verifier), client12Config());
  const server2 = tls12Server(serverConfig([certified]), server12Config());
  await pump(client2, server2);
  client2.sendHandshake(encodeHandshake(HandshakeType.client_hello, new Uint8Array(40)));
  await assert.rejects(pump(client2, server2), isAlert("no_renegotiation"));
});

Deno.test("RFC 5246 §7.4.9: a protected Finished that was altered fails (bad_record_mac before verify_data)", async () => {
  const { certified, verifier } = await pki();
  const client = tls12Client(clientConfig(verifier), client12Config());
  const server = tls12Server(serverConfig([certified]), server12Config());
  let flights = 0;
  const tamper = (from: Tls12Endpoint, bytes: Uint8Array) => {
    if (from !== client || ++flights !== 2) return bytes;
    const out = bytes.slice();
    out[out.length - 1] ^= 1; // the last record of the second flight is the client's Finished
    return out;
  };
  await assert.rejects(pump(client, server, tamper), isAlert("bad_record_mac"));
});
