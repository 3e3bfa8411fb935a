/**
 * Version negotiation between TLS 1.3 and TLS 1.2 through the real entry points (RFC 8446 §4.1.3, §4.2.1,
 * §D; RFC 5246 §E.1): what the default ClientHello offers, which version each pair of settings agrees on,
 * the downgrade sentinel against a man in the middle that strips TLS 1.3 from the ClientHello (a TCP relay
 * rewriting the hello, lengths included), the options, and the TLS 1.2 record rules of the engine
 * (ChangeCipherSpec placement, warning alerts; RFC 5246 §7.1, §7.2.2).
 */

import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { resolveVersions } from "../connection/versions.ts";
import { acceptTls, connectTls, startTls, type StartTlsOptions, TlsAlertError, TlsError } from "../mod.ts";
import type { AcceptTlsOptions } from "../connection/server.ts";
import {
  DOWNGRADE_TLS12,
  ExtensionType,
  HandshakeType,
  ProtocolVersion,
  SignatureScheme,
} from "../handshake/constants.ts";
import { decodeSignatureAlgorithms, decodeSupportedVersionsClient } from "../handshake/extensions.ts";
import { decodeClientHello12, decodeServerHello12, encodeServerHello12 } from "../handshake/messages12.ts";
import { decodeHandshake, encodeClientHello, encodeHandshake } from "../handshake/messages.ts";
import { tls12ServerHello } from "../handshake/version_negotiation.ts";
import { ContentType, encodeRecord } from "../record/framing.ts";
import { Relay } from "./_peers12.ts";
import { testPki } from "./_pki.ts";
import { completed, memoryPipe, records, serverPki, startLineServer } from "./_server.ts";
import {
  client12Config,
  clientConfig,
  pump,
  server12Config,
  serverConfig,
  splitRecords,
  tls12Client,
  type Tls12Endpoint,
  tls12Server,
} from "./_tls12_endpoint.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { loadCertifiedKey } from "../connection/certificates.ts";

const isAlert = (alert: string, source: "local" | "remote" = "local") => (e: unknown) =>
  e instanceof TlsAlertError && e.alert === alert && e.source === source;

/** Runs a client and a server over an in-memory pipe; returns both outcomes and the client's first record. */
async function handshake(client: StartTlsOptions, server: Partial<AcceptTlsOptions>) {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const sent: Uint8Array[] = [];
  const [c, s] = memoryPipe({ toServer: (chunk) => sent.push(chunk) });
  const [clientResult, serverResult] = await Promise.allSettled([
    completed(
      startTls(c, { serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null, ...client }),
    ),
    acceptTls(s, { cert: leaf.cert, key: leaf.key, ...server }),
  ]);
  const infos = await Promise.all(
    [clientResult, serverResult].map((r) => r.status === "fulfilled" ? r.value.handshake() : undefined),
  );
  if (clientResult.status === "fulfilled") clientResult.value.close();
  if (serverResult.status === "fulfilled") serverResult.value.close();
  const hello = decodeClientHello12(decodeHandshake(records(sent)[0].fragment).body);
  return { clientResult, serverResult, hello, clientInfo: infos[0] };
}

function extension(hello: ReturnType<typeof decodeClientHello12>, type: number): Uint8Array | undefined {
  return hello.extensions.find((e) => e.type === type)?.data;
}

Deno.test("RFC 8446 §4.2.1: the default ClientHello offers TLS 1.3 and TLS 1.2, with the TLS 1.2 protections", async () => {
  const { clientResult, hello } = await handshake({}, {});
  assert.equal(clientResult.status, "fulfilled");
  assert.deepEqual(decodeSupportedVersionsClient(extension(hello, ExtensionType.supported_versions)!), [
    ProtocolVersion.TLS13,
    ProtocolVersion.TLS12,
  ]);
  // The TLS 1.3 suites first, then the six ECDHE suites; never static RSA by default.
  assert.deepEqual(hello.cipherSuites, [
    0x1301,
    0x1302,
    0x1303,
    0xc02b,
    0xc02c,
    0xcca9,
    0xc02f,
    0xc030,
    0xcca8,
  ]);
  for (
    const type of [
      "extended_master_secret",
      "renegotiation_info",
      "ec_point_formats",
      "session_ticket",
    ] as const
  ) {
    assert.ok(extension(hello, ExtensionType[type]) !== undefined, type);
  }
  const schemes = decodeSignatureAlgorithms(extension(hello, ExtensionType.signature_algorithms)!);
  assert.ok(schemes.includes(SignatureScheme.rsa_pkcs1_sha256), "TLS 1.2 RSA PKCS#1 signatures");
  assert.ok(
    !schemes.includes(SignatureScheme.rsa_pkcs1_sha1) && !schemes.includes(SignatureScheme.ecdsa_sha1),
  );
});

Deno.test("RFC 5246 §7.4.1.2: maxVersion TLSv1.2 sends a TLS 1.2-only ClientHello", async () => {
  const { clientResult, hello } = await handshake({ maxVersion: "TLSv1.2" }, {});
  assert.equal(clientResult.status, "fulfilled");
  assert.equal(hello.legacyVersion, ProtocolVersion.TLS12);
  assert.equal(extension(hello, ExtensionType.supported_versions), undefined);
  assert.equal(extension(hello, ExtensionType.key_share), undefined);
  assert.ok(hello.cipherSuites.every((c) => c >> 8 !== 0x13), "no TLS 1.3 suite");
});

const AGREEMENTS: [string, StartTlsOptions, Partial<AcceptTlsOptions>, "TLSv1.3" | "TLSv1.2" | string][] = [
  ["both default", {}, {}, "TLSv1.3"],
  ["client maxVersion 1.2", { maxVersion: "TLSv1.2" }, {}, "TLSv1.2"],
  ["server maxVersion 1.2", {}, { maxVersion: "TLSv1.2" }, "TLSv1.2"],
  ["client minVersion 1.3, server default", { minVersion: "TLSv1.3" }, {}, "TLSv1.3"],
  [
    "client TLS 1.2 suites only",
    { cipherSuites: ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"] },
    {},
    "TLSv1.2",
  ],
  [
    "client minVersion 1.3, server maxVersion 1.2",
    { minVersion: "TLSv1.3" },
    { maxVersion: "TLSv1.2" },
    "protocol_version",
  ],
  [
    "client maxVersion 1.2, server minVersion 1.3",
    { maxVersion: "TLSv1.2" },
    { minVersion: "TLSv1.3" },
    "protocol_version",
  ],
];

for (const [name, client, server, expected] of AGREEMENTS) {
  Deno.test(`RFC 8446 §4.2.1: ${name} → ${expected}`, async () => {
    const { clientResult, serverResult, clientInfo } = await handshake(client, server);
    if (expected.startsWith("TLS")) {
      assert.equal(clientResult.status, "fulfilled", String((clientResult as PromiseRejectedResult).reason));
      assert.equal(serverResult.status, "fulfilled");
      assert.equal(clientInfo?.protocol, expected);
    } else {
      assert.equal(serverResult.status, "rejected");
      assert.ok(isAlert(expected)((serverResult as PromiseRejectedResult).reason));
      assert.ok(isAlert(expected, "remote")((clientResult as PromiseRejectedResult).reason));
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// A man in the middle strips TLS 1.3

/** The ClientHello message with TLS 1.3 removed: supported_versions [TLS 1.2] and no TLS 1.3 suite. */
function stripTls13(message: Uint8Array): Uint8Array {
  const hello = decodeClientHello12(decodeHandshake(message).body);
  const stripped = {
    ...hello,
    cipherSuites: hello.cipherSuites.filter((c) => c >> 8 !== 0x13),
    extensions: hello.extensions.map((e) =>
      e.type === ExtensionType.supported_versions ? { type: e.type, data: Uint8Array.of(2, 0x03, 0x03) } : e
    ),
  };
  return encodeHandshake(HandshakeType.client_hello, encodeClientHello(stripped));
}

Deno.test("RFC 8446 §4.1.3: a relay that strips TLS 1.3 from our ClientHello → our client aborts with illegal_parameter", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key });
  const connect = (port: number) =>
    completed(connectTls({ port, serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null }));
  {
    // The relay itself is transparent: untouched, the hello gets TLS 1.3.
    await using relay = new Relay(server.port, (hello) => hello);
    using conn = await connect(relay.port);
    assert.equal((await conn.handshake()).protocol, "TLSv1.3");
  }
  const fromServer: Uint8Array[] = [];
  await using relay = new Relay(server.port, stripTls13, (chunk) => fromServer.push(chunk));
  await assert.rejects(
    connect(relay.port),
    (e) => isAlert("illegal_parameter")(e) && /downgrade sentinel/.test((e as Error).message),
  );
  // The server answered TLS 1.2, the only version left, and as it speaks TLS 1.3 it said so in its random.
  const serverHello = decodeServerHello12(decodeHandshake(records(fromServer)[0].fragment).body);
  assert.equal(serverHello.legacyVersion, ProtocolVersion.TLS12);
  assert.deepEqual(serverHello.random.subarray(24), DOWNGRADE_TLS12);
});

Deno.test("RFC 7627 §4: in front of a TLS 1.2-only server (no sentinel) the changed hello breaks the Finished", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using server = startLineServer({ cert: leaf.cert, key: leaf.key, maxVersion: "TLSv1.2" });
  await using relay = new Relay(server.port, stripTls13);
  // The session hash covers the ClientHello each side saw: their master secrets differ.
  await assert.rejects(
    completed(
      connectTls({ port: relay.port, serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null }),
    ),
    isAlert("bad_record_mac", "remote"),
  );
  const [error] = await server.waitForErrors(1);
  assert.ok(isAlert("bad_record_mac")(error), String(error));
});

Deno.test("RFC 8446 §4.1.4: a TLS 1.2 ServerHello after a HelloRetryRequest is illegal_parameter", async () => {
  const pki = await serverPki();
  const config = clientConfig(createCertificateVerifier({ caCerts: [pki.root.cert], crypto: webCrypto }), {
    tls12: client12Config({ offeredTls13: true }),
  });
  const sh = encodeServerHello12({
    legacyVersion: ProtocolVersion.TLS12,
    random: new Uint8Array(32),
    legacySessionIdEcho: new Uint8Array(0),
    cipherSuite: 0xc02b,
    legacyCompressionMethod: 0,
    extensions: [],
  });
  assert.equal(tls12ServerHello(sh, config, false), config.tls12);
  assert.throws(() => tls12ServerHello(sh, config, true), isAlert("illegal_parameter"));
  assert.equal(
    tls12ServerHello(sh, { ...config, tls12: undefined }, false),
    undefined,
    "TLS 1.2 not offered",
  );
});

// ---------------------------------------------------------------------------------------------------------
// Options

Deno.test("options: versions and cipherSuites resolve per role; bad combinations are TlsErrors", () => {
  const names = (r: ReturnType<typeof resolveVersions>) => [...r.suites13, ...r.suites12].map((s) => s.name);
  const all = resolveVersions({}, "client");
  assert.equal(all.suites13.length, 3);
  assert.deepEqual(all.suites12.map((s) => s.keyExchange).sort(), [
    "ECDHE_ECDSA",
    "ECDHE_ECDSA",
    "ECDHE_ECDSA",
    "ECDHE_RSA",
    "ECDHE_RSA",
    "ECDHE_RSA",
  ]);
  assert.equal(resolveVersions({ minVersion: "TLSv1.3" }, "server").suites12.length, 0);
  assert.equal(resolveVersions({ maxVersion: "TLSv1.2" }, "server").suites13.length, 0);
  assert.deepEqual(
    names(
      resolveVersions(
        { cipherSuites: ["TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"] },
        "client",
      ),
    ),
    ["TLS_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"],
  );
  const refused: [Parameters<typeof resolveVersions>[0], "client" | "server", RegExp][] = [
    [{ cipherSuites: ["TLS_RSA_WITH_AES_256_GCM_SHA384"] }, "server", /never offers it/],
    [{ minVersion: "TLSv1.3", maxVersion: "TLSv1.2" }, "client", /above maxVersion/],
    [{ minVersion: "TLSv1.1" as "TLSv1.2" }, "client", /unknown minVersion/],
    [
      { minVersion: "TLSv1.3", cipherSuites: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] },
      "client",
      /no suite/,
    ],
    [{ cipherSuites: ["TLS_FOO" as "TLS_AES_128_GCM_SHA256"] }, "client", /unsupported cipher suite/],
    [{ cipherSuites: [] }, "server", /empty/],
  ];
  for (const [options, role, message] of refused) {
    assert.throws(
      () => resolveVersions(options, role),
      (e) => e instanceof TlsError && message.test(e.message),
    );
  }
});

// ---------------------------------------------------------------------------------------------------------
// TLS 1.2 records in the engine

async function endpoints(): Promise<[Tls12Endpoint, Tls12Endpoint]> {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const certified = await loadCertifiedKey(webCrypto, leaf.cert, leaf.key, "server");
  const verifier = createCertificateVerifier({ caCerts: [pki.root.cert], crypto: webCrypto });
  return [
    tls12Client(clientConfig(verifier), client12Config()),
    tls12Server(serverConfig([certified]), server12Config()),
  ];
}

/** A tamper function for `pump` that rewrites the `n`th flight of `sender()` only. */
function flight(n: number, sender: () => Tls12Endpoint, edit: (bytes: Uint8Array) => Uint8Array) {
  let seen = 0;
  return (
    from: Tls12Endpoint,
    bytes: Uint8Array,
  ) => (from === sender() && ++seen === n ? edit(bytes) : bytes);
}

/** `bytes` with `extra` records put after the first record. */
function afterFirstRecord(bytes: Uint8Array, ...extra: Uint8Array[]): Uint8Array {
  const [first, ...rest] = splitRecords(bytes).map((r) => concat(r.header, r.fragment));
  return concat(first, ...extra, ...rest);
}

const warning = encodeRecord(ContentType.alert, 0x0303, Uint8Array.of(1, 100)); // warning no_renegotiation

Deno.test("RFC 5246 §7.2.2: TLS 1.2 warning alerts are ignored, but not more than 4 in a row", async () => {
  const [client, server] = await endpoints();
  await pump(client, server, flight(1, () => server, (b) => afterFirstRecord(b, ...Array(4).fill(warning))));
  assert.equal(client.info?.protocol, "TLSv1.2");
  const [client2, server2] = await endpoints();
  await assert.rejects(
    pump(client2, server2, flight(1, () => server2, (b) => afterFirstRecord(b, ...Array(5).fill(warning)))),
    (e) => isAlert("unexpected_message")(e) && /warning alerts in a row/.test((e as Error).message),
  );
});

Deno.test("RFC 5246 §7.1: ChangeCipherSpec must be [1], between messages, when the state waits for it", async () => {
  // Not the byte 1.
  const [client, server] = await endpoints();
  await assert.rejects(
    pump(
      client,
      server,
      flight(2, () => client, (b) => {
        const records = splitRecords(b).map((r) =>
          r.type === ContentType.change_cipher_spec
            ? encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(2))
            : concat(r.header, r.fragment)
        );
        return concat(...records);
      }),
    ),
    (e) => isAlert("unexpected_message")(e) && /single byte 1/.test((e as Error).message),
  );
  // Inside a handshake message: the ClientKeyExchange split in two records around a ChangeCipherSpec.
  const [client2, server2] = await endpoints();
  await assert.rejects(
    pump(
      client2,
      server2,
      flight(2, () => client2, (b) => {
        const [cke, ...rest] = splitRecords(b);
        const half = cke.fragment.length >> 1;
        const ccs = encodeRecord(ContentType.change_cipher_spec, 0x0303, Uint8Array.of(1));
        return concat(
          encodeRecord(ContentType.handshake, 0x0303, cke.fragment.subarray(0, half)),
          ccs,
          encodeRecord(ContentType.handshake, 0x0303, cke.fragment.subarray(half)),
          ...rest.map((r) => concat(r.header, r.fragment)),
        );
      }),
    ),
    (e) => isAlert("unexpected_message")(e) && /inside a handshake message/.test((e as Error).message),
  );
  // Application data before the keys.
  const [client3, server3] = await endpoints();
  const data = encodeRecord(ContentType.application_data, 0x0303, new Uint8Array(40));
  await assert.rejects(
    pump(client3, server3, flight(1, () => server3, (b) => afterFirstRecord(b, data))),
    isAlert("unexpected_message"),
  );
});
