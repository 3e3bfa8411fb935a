/**
 * The server's ClientHello checks (RFC 8446 §4.1.2, §4.2, §9.2), driven with hand-made ClientHellos through a
 * server engine: each refusal must send the alert the RFC names, in the clear, and leave the engine failed
 * with the same error. HelloRetryRequest: `server_hrr_test.ts`.
 */
import assert from "node:assert/strict";
import { concat, equal } from "../bytes.ts";
import type { AlertName, TlsAlertError } from "../errors.ts";
import { ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from "../handshake/constants.ts";
import { decodeKeyShareServer, encodeCookie, encodeSignatureAlgorithms } from "../handshake/extensions.ts";
import { decodeServerHello, encodeClientHello, encodeHandshake } from "../handshake/messages.ts";
import {
  assertRefused,
  clientHello,
  type HelloParts,
  helloRecord,
  output,
  serverEngine,
  share,
} from "./_hello.ts";

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
    () => Promise.resolve({ groups: [0x0100 /* ffdhe2048 */], shares: [] }),
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
// Large ClientHellos: the RFC bounds them by their syntax only (131 396 bytes), and they span records.

/** `count` empty extensions of unassigned types (0x5a00…), as tlsfuzzer sends them. */
function unknownExtensions(count: number, payload = 0): { type: number; data: Uint8Array }[] {
  return Array.from(
    { length: count },
    (_, k) => ({ type: 0x5a00 + k, data: new Uint8Array(payload).fill(k) }),
  );
}

/** Feeds `records` and returns the ServerHello the engine answered with. */
async function serverHelloFor(records: Uint8Array, options = {}) {
  const engine = await serverEngine(options);
  await engine.receive(records);
  const out = await output(engine);
  assert.equal(out[0], 22, "a handshake record");
  assert.equal(out[5], HandshakeType.server_hello);
  return decodeServerHello(out.subarray(9, 5 + ((out[3] << 8) | out[4])));
}

Deno.test("server ClientHello: RFC 8446 §4.2 4,096 unknown extensions (a ClientHello over 2^14 bytes, in two records) are ignored", async () => {
  const hello = clientHello({ shares: [await share("X25519")], extra: unknownExtensions(4096) });
  const records = helloRecord(hello);
  assert.ok(encodeClientHello(hello).length > 16384);
  const sh = await serverHelloFor(records);
  assert.equal(
    decodeKeyShareServer(sh.extensions.find((e) => e.type === ExtensionType.key_share)!.data).group,
    NamedGroup.X25519,
  );
});

Deno.test("server ClientHello: RFC 8446 §4.2 an extensions block full of empty extensions (over 16,000) is read in linear time", async () => {
  const base = clientHello({ shares: [await share("X25519")] });
  const used = base.extensions.reduce((n, e) => n + 4 + e.data.length, 0);
  const hello = {
    ...base,
    extensions: [...unknownExtensions(Math.floor((0xffff - used) / 4)), ...base.extensions],
  };
  const started = performance.now();
  await serverHelloFor(helloRecord(hello, 1000));
  // Some milliseconds here; a quadratic check of 16 000 extensions would take seconds.
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});

Deno.test("server ClientHello: RFC 8446 §4.2 one 65,000-byte extension and 16 KiB of extensions are accepted", async () => {
  for (
    const extra of [unknownExtensions(1, 65000), unknownExtensions(64, 252), unknownExtensions(1, 16335)]
  ) {
    const hello = clientHello({ shares: [await share("X25519")], extra });
    await serverHelloFor(helloRecord(hello));
  }
});

Deno.test("server ClientHello: RFC 8446 §4.2.3 32,715 signature schemes, the most that fit (a ClientHello over 64 KiB), are accepted", async () => {
  // Unassigned code points, then the one the certificate needs, last.
  const sigAlgs = [
    ...Array.from({ length: 32714 }, (_, k) => 0x0a00 + k),
    SignatureScheme.ecdsa_secp256r1_sha256,
  ];
  const hello = clientHello({
    shares: [await share("X25519")],
    sigAlgs,
    extra: [{
      type: ExtensionType.signature_algorithms_cert,
      data: encodeSignatureAlgorithms([SignatureScheme.ecdsa_secp256r1_sha256]),
    }],
  });
  assert.ok(encodeClientHello(hello).length > 0x10000);
  await serverHelloFor(helloRecord(hello));
});

Deno.test("server ClientHello: RFC 8446 §6.2 a ClientHello whose length claims 131 397 bytes to 16 MiB is decode_error on its header", async () => {
  for (const length of [131_397, 0x30000, 0x100000, 0xffffff]) {
    const engine = await serverEngine();
    const header = Uint8Array.of(1, length >> 16, (length >> 8) & 0xff, length & 0xff);
    const record = concat(Uint8Array.of(22, 3, 1, 0, 100), header, new Uint8Array(96));
    await assertRefused(engine, record, "decode_error");
  }
});

Deno.test("server ClientHello: RFC 8446 §5, §D.4 a ClientHello and two ChangeCipherSpecs in one read get the flight, then unexpected_message", async () => {
  const ccs = Uint8Array.of(20, 3, 3, 0, 1, 1);
  const hello = async () => helloRecord(clientHello({ shares: [await share("X25519")] }));
  // One is dropped: the flight goes out and the server waits for the client's Finished.
  const one = await serverEngine();
  await one.receive(concat(await hello(), ccs));
  assert.equal(one.error, undefined);
  assert.equal((await output(one))[5], HandshakeType.server_hello);
  // A second one in the same read is refused, after the flight (its alert under the handshake keys).
  const two = await serverEngine();
  await assert.rejects(two.receive(concat(await hello(), ccs, ccs)), (e) => e === two.error);
  assert.equal((two.error as TlsAlertError).alert, "unexpected_message");
  const out = await output(two);
  assert.equal(out[5], HandshakeType.server_hello);
  assert.deepEqual(
    [...out.subarray(out.length - 24, out.length - 19)],
    [23, 3, 3, 0, 19],
    "a protected alert last",
  );
});

Deno.test("server ClientHello: RFC 8446 §5.1 a ClientHello one byte per record is accepted (1 KiB and 64 KiB of extensions)", async () => {
  for (const extra of [unknownExtensions(1, 1024), unknownExtensions(1, 65000)]) {
    const hello = clientHello({ shares: [await share("X25519")], extra });
    const started = performance.now();
    await serverHelloFor(helloRecord(hello, 1));
    // Linear: about 66,000 records take well under a second here.
    assert.ok(performance.now() - started < 10_000, `${performance.now() - started} ms`);
  }
});
