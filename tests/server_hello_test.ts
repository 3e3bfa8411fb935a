/**
 * The server's ClientHello checks (RFC 8446 §4.1.2, §4.2, §9.2) and its HelloRetryRequest handling
 * (§4.1.4, §4.2.2), driven with hand-made ClientHellos through a server engine: each refusal must send the
 * alert the RFC names, in the clear, and leave the engine failed with the same error.
 */
import assert from "node:assert/strict";
import { concat, equal } from "../bytes.ts";
import { resolveServerConfig } from "../connection/server.ts";
import { TlsEngine } from "../connection/engine.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { AlertDescription, type AlertName, TlsAlertError } from "../errors.ts";
import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  NamedGroup,
  SignatureScheme,
  TLS13_SIGNATURE_SCHEMES,
} from "../handshake/constants.ts";
import {
  decodeCookie,
  decodeKeyShareHrr,
  decodeKeyShareServer,
  encodeCookie,
  encodeKeyShareClient,
  encodeSignatureAlgorithms,
  encodeSupportedGroups,
  encodeSupportedVersionsClient,
  type KeyShareEntry,
} from "../handshake/extensions.ts";
import {
  type ClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeHandshake,
  type Extension,
} from "../handshake/messages.ts";
import { ExpectClientHello } from "../handshake/server13_hello.ts";
import type { AcceptTlsOptions } from "../connection/server.ts";
import type { GroupName } from "../crypto/provider.ts";
import { serverPki } from "./_server.ts";

/** A server engine waiting for a ClientHello. */
async function serverEngine(options: Partial<AcceptTlsOptions> = {}): Promise<TlsEngine> {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const config = await resolveServerConfig({ cert: leaf.cert, key: leaf.key, ...options });
  const engine = new TlsEngine({
    crypto: config.crypto,
    begin: () => Promise.resolve(new ExpectClientHello(config)),
  });
  await engine.start();
  return engine;
}

async function share(group: GroupName): Promise<KeyShareEntry> {
  const exchange = await webCrypto.startKeyExchange(group);
  return { group: NamedGroup[group], keyExchange: exchange.publicKey };
}

interface HelloParts {
  versions?: number[] | null;
  groups?: number[] | null;
  shares?: KeyShareEntry[] | null;
  sigAlgs?: number[] | null;
  extra?: Extension[];
  suites?: number[];
  compression?: number[];
  random?: Uint8Array;
  sessionId?: Uint8Array;
}

/** A ClientHello with the extensions a TLS 1.3 client sends; `null` leaves one out. */
function clientHello(parts: HelloParts): ClientHello {
  const extensions: Extension[] = [];
  if (parts.versions !== null) {
    extensions.push({
      type: ExtensionType.supported_versions,
      data: encodeSupportedVersionsClient(parts.versions ?? [0x0304]),
    });
  }
  if (parts.groups !== null) {
    extensions.push({
      type: ExtensionType.supported_groups,
      data: encodeSupportedGroups(parts.groups ?? [NamedGroup.X25519, NamedGroup["P-256"]]),
    });
  }
  if (parts.shares !== null) {
    extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareClient(parts.shares ?? []) });
  }
  if (parts.sigAlgs !== null) {
    extensions.push({
      type: ExtensionType.signature_algorithms,
      data: encodeSignatureAlgorithms(parts.sigAlgs ?? TLS13_SIGNATURE_SCHEMES),
    });
  }
  extensions.push(...(parts.extra ?? []));
  return {
    legacyVersion: 0x0303,
    random: parts.random ?? webCrypto.randomBytes(32),
    legacySessionId: parts.sessionId ?? new Uint8Array(0),
    cipherSuites: parts.suites ?? [CipherSuite.TLS_AES_128_GCM_SHA256],
    legacyCompressionMethods: new Uint8Array(parts.compression ?? [0]),
    extensions,
  };
}

/** The record carrying `hello` (raw extension blocks allowed, for duplicates). */
function helloRecord(hello: ClientHello | Uint8Array): Uint8Array {
  const body = hello instanceof Uint8Array ? hello : encodeClientHello(hello);
  const message = encodeHandshake(HandshakeType.client_hello, body);
  return concat(new Uint8Array([22, 3, 1, message.length >> 8, message.length & 0xff]), message);
}

async function output(engine: TlsEngine): Promise<Uint8Array> {
  return concat(...(await Promise.all(engine.takeOutput())));
}

/** Feeds `record` and expects the engine to refuse it with `alert`, sent in the clear. */
async function assertRefused(engine: TlsEngine, record: Uint8Array, alert: AlertName): Promise<void> {
  await assert.rejects(engine.receive(record), (e) => {
    assert.ok(e instanceof TlsAlertError, String(e));
    assert.equal(e.alert, alert, e.message);
    assert.equal(e.source, "local");
    return true;
  });
  const out = await output(engine);
  assert.deepEqual([...out.subarray(out.length - 7)], [21, 3, 3, 0, 2, 2, AlertDescription[alert]]);
  await assert.rejects(engine.receive(new Uint8Array(1)), (e) => e === engine.error);
}

const cases: [string, () => Promise<HelloParts>, AlertName][] = [
  [
    "RFC 8446 §4.2.1: no supported_versions (TLS 1.2 only) to a TLS 1.3-only server is protocol_version",
    async () => ({ versions: null, shares: [await share("X25519")] }),
    "protocol_version",
  ],
  [
    "RFC 8446 §4.2.1: supported_versions without TLS 1.3 to a TLS 1.3-only server is protocol_version",
    async () => ({ versions: [0x0303, 0x0302], shares: [await share("X25519")] }),
    "protocol_version",
  ],
  [
    "RFC 8446 §4.1.2: compression other than [null] is illegal_parameter",
    async () => ({ compression: [1, 0], shares: [await share("X25519")] }),
    "illegal_parameter",
  ],
  [
    "RFC 8446 §9.2: no signature_algorithms is missing_extension",
    async () => ({ sigAlgs: null, shares: [await share("X25519")] }),
    "missing_extension",
  ],
  [
    "RFC 8446 §9.2: no key_share is missing_extension",
    () => Promise.resolve({ shares: null }),
    "missing_extension",
  ],
  [
    "RFC 8446 §9.2: no supported_groups is missing_extension",
    async () => ({ groups: null, shares: [await share("X25519")] }),
    "missing_extension",
  ],
  [
    "RFC 8446 §4.2.8: a share for a group not in supported_groups is illegal_parameter",
    async () => ({ groups: [NamedGroup["P-256"]], shares: [await share("X25519")] }),
    "illegal_parameter",
  ],
  [
    "RFC 8446 §4.2.8: shares out of supported_groups order are illegal_parameter",
    async () => ({ shares: [await share("P-256"), await share("X25519")] }),
    "illegal_parameter",
  ],
  [
    "RFC 8446 §4.2.8: an invalid key share is illegal_parameter",
    () =>
      Promise.resolve({ shares: [{ group: NamedGroup.X25519, keyExchange: new Uint8Array(31).fill(9) }] }),
    "illegal_parameter",
  ],
  [
    "RFC 8446 §4.1.1: no cipher suite in common is handshake_failure",
    async () => ({ suites: [0x009c, 0xc02f], shares: [await share("X25519")] }),
    "handshake_failure",
  ],
  [
    "RFC 8446 §4.2.7: no group in common is handshake_failure",
    () => Promise.resolve({ groups: [NamedGroup.X448], shares: [] }),
    "handshake_failure",
  ],
  [
    "RFC 8446 §4.4.2.2: no signature scheme for the certificate's key is handshake_failure",
    async () => ({
      sigAlgs: [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.ed25519],
      shares: [await share("X25519")],
    }),
    "handshake_failure",
  ],
  [
    "RFC 8446 §4.2.2: a cookie in the first ClientHello is illegal_parameter",
    async () => ({
      shares: [await share("X25519")],
      extra: [{ type: ExtensionType.cookie, data: encodeCookie(new Uint8Array(8)) }],
    }),
    "illegal_parameter",
  ],
  [
    "RFC 8446 §4.2.11: pre_shared_key that is not last is illegal_parameter",
    async () => ({
      shares: [await share("X25519")],
      extra: [{ type: ExtensionType.pre_shared_key, data: new Uint8Array(4) }, {
        type: ExtensionType.padding,
        data: new Uint8Array(1),
      }],
    }),
    "illegal_parameter",
  ],
  [
    "RFC 7301 §3.2: no ALPN protocol in common is no_application_protocol",
    async () => ({
      shares: [await share("X25519")],
      extra: [{
        type: ExtensionType.application_layer_protocol_negotiation,
        data: new Uint8Array([0, 3, 2, 0x68, 0x33]),
      }],
    }),
    "no_application_protocol",
  ],
];

for (const [name, parts, alert] of cases) {
  Deno.test(`server ClientHello: ${name}`, async () => {
    // TLS 1.3 only: the version cases would otherwise be answered with TLS 1.2 (see tls12_versions_test.ts).
    const engine = await serverEngine({ alpnProtocols: ["h2"], minVersion: "TLSv1.3" });
    await assertRefused(engine, helloRecord(clientHello(await parts())), alert);
  });
}

Deno.test("server ClientHello: RFC 8446 §4.2 a duplicated extension is decode_error", async () => {
  const engine = await serverEngine();
  const hello = encodeClientHello(clientHello({ shares: [await share("X25519")] }));
  // Append a second supported_groups inside the extensions block and fix its length.
  const extra = new Uint8Array([0, 10, 0, 4, 0, 2, 0, 0x1d]);
  // The extensions block follows legacy_version(2), random(32), session_id(1+0), suites(2+2), compression(1+1).
  const offset = 2 + 32 + 1 + 2 + 2 + 1 + 1;
  const length = (hello[offset] << 8) | hello[offset + 1];
  const patched = concat(
    hello.subarray(0, offset),
    new Uint8Array([(length + 8) >> 8, (length + 8) & 0xff]),
    hello.subarray(offset + 2),
    extra,
  );
  await assertRefused(engine, helloRecord(patched), "decode_error");
});

Deno.test("server ClientHello: RFC 8446 §5 a message other than ClientHello first is unexpected_message", async () => {
  const engine = await serverEngine();
  const finished = encodeHandshake(HandshakeType.finished, new Uint8Array(32));
  await assertRefused(engine, concat(new Uint8Array([22, 3, 3, 0, 36]), finished), "unexpected_message");
});

Deno.test("server ClientHello: RFC 8446 §5 a ChangeCipherSpec before the ClientHello is unexpected_message", async () => {
  const engine = await serverEngine();
  await assertRefused(engine, new Uint8Array([20, 3, 3, 0, 1, 1]), "unexpected_message");
});

Deno.test("server ClientHello: RFC 8446 §D.4 a legacy_session_id is echoed and a ChangeCipherSpec follows the ServerHello", async () => {
  for (const sessionId of [new Uint8Array(32).fill(7), new Uint8Array(0)]) {
    const engine = await serverEngine();
    await engine.receive(helloRecord(clientHello({ shares: [await share("X25519")], sessionId })));
    const out = await output(engine);
    const shLength = (out[3] << 8) | out[4];
    const sh = decodeServerHello(out.subarray(9, 5 + shLength));
    assert.ok(equal(sh.legacySessionIdEcho, sessionId));
    assert.equal(
      decodeKeyShareServer(sh.extensions.find((e) => e.type === ExtensionType.key_share)!.data).group,
      NamedGroup.X25519,
    );
    const next = out.subarray(5 + shLength, 5 + shLength + 6);
    if (sessionId.length > 0) assert.deepEqual([...next], [20, 3, 3, 0, 1, 1]);
    else assert.equal(next[0], 23, "no ChangeCipherSpec: protected records follow at once");
  }
});

// ---------------------------------------------------------------------------------------------------------
// HelloRetryRequest (RFC 8446 §4.1.4) and its cookie (§4.2.2)

/** Sends a ClientHello with only an X25519 share to a P-256-only server; returns the HRR's cookie. */
async function helloRetry(): Promise<{ engine: TlsEngine; first: ClientHello; cookie: Uint8Array }> {
  const engine = await serverEngine({ groups: ["P-256"] });
  const first = clientHello({ shares: [await share("X25519")] });
  await engine.receive(helloRecord(first));
  const out = await output(engine);
  const hrr = decodeServerHello(out.subarray(9));
  assert.ok(equal(hrr.random, HELLO_RETRY_REQUEST_RANDOM), "a HelloRetryRequest");
  const find = (type: number) => hrr.extensions.find((e) => e.type === type)!.data;
  assert.equal(decodeKeyShareHrr(find(ExtensionType.key_share)), NamedGroup["P-256"]);
  return { engine, first, cookie: decodeCookie(find(ExtensionType.cookie)) };
}

/** The second ClientHello: the first with key_share replaced and the cookie added, then `change` applied. */
async function secondHello(
  first: ClientHello,
  cookie: Uint8Array | undefined,
  change: (h: ClientHello) => ClientHello = (h) => h,
  group: GroupName = "P-256",
): Promise<ClientHello> {
  const newShare = { type: ExtensionType.key_share, data: encodeKeyShareClient([await share(group)]) };
  const extensions = first.extensions.map((e) => e.type === ExtensionType.key_share ? newShare : e);
  if (cookie) extensions.push({ type: ExtensionType.cookie, data: encodeCookie(cookie) });
  return change({ ...first, extensions });
}

Deno.test("server HRR: RFC 8446 §4.1.4 a proper second ClientHello gets the ServerHello", async () => {
  const { engine, first, cookie } = await helloRetry();
  await engine.receive(helloRecord(await secondHello(first, cookie)));
  const out = await output(engine);
  const sh = decodeServerHello(out.subarray(9, 5 + ((out[3] << 8) | out[4])));
  assert.ok(!equal(sh.random, HELLO_RETRY_REQUEST_RANDOM));
  const entry = decodeKeyShareServer(sh.extensions.find((e) => e.type === ExtensionType.key_share)!.data);
  assert.equal(entry.group, NamedGroup["P-256"]);
});

const retryCases: [string, (first: ClientHello, cookie: Uint8Array) => Promise<ClientHello>, AlertName][] = [
  ["without the cookie is missing_extension", (f) => secondHello(f, undefined), "missing_extension"],
  ["with an altered cookie is illegal_parameter", (f, c) => {
    const bad = c.slice();
    bad[5] ^= 1;
    return secondHello(f, bad);
  }, "illegal_parameter"],
  [
    "with a share still for the wrong group is illegal_parameter (no second HRR)",
    (f, c) => secondHello(f, c, undefined, "X25519"),
    "illegal_parameter",
  ],
  [
    "with another random is illegal_parameter",
    (f, c) => secondHello(f, c, (h) => ({ ...h, random: webCrypto.randomBytes(32) })),
    "illegal_parameter",
  ],
  [
    "with other cipher suites is illegal_parameter",
    (f, c) => secondHello(f, c, (h) => ({ ...h, cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] })),
    "illegal_parameter",
  ],
  [
    "with early_data is illegal_parameter",
    (f, c) =>
      secondHello(
        f,
        c,
        (h) => ({
          ...h,
          extensions: [...h.extensions, { type: ExtensionType.early_data, data: new Uint8Array(0) }],
        }),
      ),
    "illegal_parameter",
  ],
];

for (const [name, make, alert] of retryCases) {
  Deno.test(`server HRR: RFC 8446 §4.1.2 a second ClientHello ${name}`, async () => {
    const { engine, first, cookie } = await helloRetry();
    await assertRefused(engine, helloRecord(await make(first, cookie)), alert);
  });
}

Deno.test("server HRR: RFC 8446 §4.2.2 a cookie is bound to its handshake's ClientHello.random", async () => {
  const a = await helloRetry();
  const b = await helloRetry();
  // b's cookie in a's second ClientHello: a different random went into its MAC.
  await assertRefused(a.engine, helloRecord(await secondHello(a.first, b.cookie)), "illegal_parameter");
});
