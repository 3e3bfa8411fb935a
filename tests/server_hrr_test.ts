/**
 * The server's HelloRetryRequest (RFC 8446 §4.1.4) and its optional cookie (§4.2.2): the second ClientHello
 * must be the first with only the permitted changes, and echo the cookie exactly when one was sent.
 */
import assert from "node:assert/strict";
import { equal } from "../bytes.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import type { AlertName } from "../errors.ts";
import {
  CipherSuite,
  ExtensionType,
  HELLO_RETRY_REQUEST_RANDOM,
  NamedGroup,
} from "../handshake/constants.ts";
import {
  decodeCookie,
  decodeKeyShareHrr,
  decodeKeyShareServer,
  encodeCookie,
  encodeKeyShareClient,
  encodeServerName,
  encodeSignatureAlgorithms,
} from "../handshake/extensions.ts";
import { type ClientHello, decodeServerHello, type Extension } from "../handshake/messages.ts";
import type { TlsEngine } from "../connection/engine.ts";
import type { GroupName } from "../crypto/provider.ts";
import { assertRefused, clientHello, helloRecord, output, serverEngine, share } from "./_hello.ts";

/**
 * Sends a ClientHello with only an X25519 share to a P-256-only server (with `helloRetryCookie` as given,
 * default on); returns the HelloRetryRequest's cookie, if it has one.
 */
async function helloRetry(
  helloRetryCookie = true,
  extra: Extension[] = [],
): Promise<{ engine: TlsEngine; first: ClientHello; cookie: Uint8Array | undefined }> {
  const engine = await serverEngine({ groups: ["P-256"], helloRetryCookie });
  const first = clientHello({ shares: [await share("X25519")], extra });
  await engine.receive(helloRecord(first));
  const out = await output(engine);
  const hrr = decodeServerHello(out.subarray(9));
  assert.ok(equal(hrr.random, HELLO_RETRY_REQUEST_RANDOM), "a HelloRetryRequest");
  const find = (type: number) => hrr.extensions.find((e) => e.type === type)?.data;
  assert.equal(decodeKeyShareHrr(find(ExtensionType.key_share)!), NamedGroup["P-256"]);
  const cookie = find(ExtensionType.cookie);
  assert.equal(cookie !== undefined, helloRetryCookie, "a cookie exactly when configured");
  return { engine, first, cookie: cookie && decodeCookie(cookie) };
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
  if (cookie !== undefined) extensions.push({ type: ExtensionType.cookie, data: encodeCookie(cookie) });
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
  [
    "with its extensions in another order is illegal_parameter",
    (f, c) => secondHello(f, c, (h) => ({ ...h, extensions: [...h.extensions].reverse() })),
    "illegal_parameter",
  ],
  [
    "with an extension changed (signature_algorithms) is illegal_parameter",
    (f, c) =>
      secondHello(f, c, (h) => ({
        ...h,
        extensions: h.extensions.map((e) =>
          e.type === ExtensionType.signature_algorithms
            ? { ...e, data: encodeSignatureAlgorithms([0x0804]) }
            : e
        ),
      })),
    "illegal_parameter",
  ],
  [
    "with an extension added (server_name) is illegal_parameter",
    (f, c) =>
      secondHello(f, c, (h) => ({
        ...h,
        extensions: [
          { type: ExtensionType.server_name, data: encodeServerName("example.com") },
          ...h.extensions,
        ],
      })),
    "illegal_parameter",
  ],
  [
    "with other compression methods is illegal_parameter",
    (f, c) => secondHello(f, c, (h) => ({ ...h, legacyCompressionMethods: Uint8Array.of(0, 0) })),
    "illegal_parameter",
  ],
];

for (const [name, make, alert] of retryCases) {
  Deno.test(`server HRR: RFC 8446 §4.1.2 a second ClientHello ${name}`, async () => {
    const { engine, first, cookie } = await helloRetry();
    await assertRefused(engine, helloRecord(await make(first, cookie!)), alert);
  });
}

Deno.test("server HRR: RFC 8446 §4.2.2 a cookie is bound to its handshake's ClientHello.random", async () => {
  const a = await helloRetry();
  const b = await helloRetry();
  // b's cookie in a's second ClientHello: a different random went into its MAC.
  await assertRefused(a.engine, helloRecord(await secondHello(a.first, b.cookie)), "illegal_parameter");
});

Deno.test("server HRR: RFC 8446 §4.2.2 by default a HelloRetryRequest has no cookie, and the retry completes without one", async () => {
  const { engine, first, cookie } = await helloRetry(false);
  assert.equal(cookie, undefined);
  await engine.receive(helloRecord(await secondHello(first, undefined)));
  const out = await output(engine);
  const sh = decodeServerHello(out.subarray(9, 5 + ((out[3] << 8) | out[4])));
  assert.ok(!equal(sh.random, HELLO_RETRY_REQUEST_RANDOM));
  assert.equal(engine.error, undefined);
});

Deno.test("server HRR: RFC 8446 §4.1.2 without a cookie in the HelloRetryRequest, a second ClientHello with one is illegal_parameter", async () => {
  const { engine, first } = await helloRetry(false);
  await assertRefused(
    engine,
    helloRecord(await secondHello(first, new Uint8Array(40).fill(1))),
    "illegal_parameter",
  );
});

Deno.test("server HRR: RFC 8446 §4.1.2 a second ClientHello of 4,096 extensions across records is accepted", async () => {
  for (const cookie of [false, true]) {
    const many = Array.from({ length: 4096 }, (_, k) => ({ type: 0x5a00 + k, data: new Uint8Array(0) }));
    const retry = await helloRetry(cookie, many);
    await retry.engine.receive(helloRecord(await secondHello(retry.first, retry.cookie), 5000));
    const out = await output(retry.engine);
    assert.equal(out[5], 2, "a ServerHello");
    assert.equal(retry.engine.error, undefined);
  }
});

Deno.test("server HRR: RFC 8446 §4.1.2 a second ClientHello may add padding and change only what the RFC permits", async () => {
  const { engine, first, cookie } = await helloRetry();
  const padded = await secondHello(first, cookie, (h) => ({
    ...h,
    extensions: [...h.extensions, { type: ExtensionType.padding, data: new Uint8Array(100) }],
  }));
  await engine.receive(helloRecord(padded));
  assert.equal(engine.error, undefined);
  assert.equal((await output(engine))[5], 2, "a ServerHello");
});
