/**
 * The checks around resumption, each with the alert the RFC names: a binder that does not verify
 * (RFC 8446 §4.2.11.2), psk_key_exchange_modes (§4.2.9), the ServerHello's selected_identity and suite
 * hash (§4.2.11), and the early data a client sends although 0-RTT is never accepted (§4.2.10).
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { TlsEngine } from "../connection/engine.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { startClientHandshake } from "../handshake/client13_hello.ts";
import { ExtensionType, HandshakeType, NamedGroup, PskKeyExchangeMode } from "../handshake/constants.ts";
import {
  encodeKeyShareServer,
  encodePskKeyExchangeModes,
  encodeSupportedVersionsServer,
} from "../handshake/extensions.ts";
import {
  type ClientHello,
  decodeClientHello,
  encodeHandshake,
  encodeServerHello,
} from "../handshake/messages.ts";
import { encodePreSharedKeyServer } from "../handshake/psk.ts";
import type { CachedSession, SessionCache, SessionTicket } from "../handshake/session.ts";
import { assertAlert, connectAndFinish, handshake, junkRecord, resumable } from "./_resumption.ts";
import { serverPki } from "./_server.ts";

/** A ClientHello hook that adds `extension` before pre_shared_key (which stays last). */
function addExtension(type: number, data: Uint8Array = new Uint8Array(0)) {
  return (hello: ClientHello): ClientHello => {
    const last = hello.extensions.at(-1);
    const psk = last?.type === ExtensionType.pre_shared_key ? [last] : [];
    const others = psk.length ? hello.extensions.slice(0, -1) : hello.extensions;
    return { ...hello, extensions: [...others.filter((e) => e.type !== type), { type, data }, ...psk] };
  };
}

Deno.test("RFC 8446 §4.2.11.2: a binder that does not verify is decrypt_error, not a fallback to a full handshake", async () => {
  const { options, cache } = resumable();
  await connectAndFinish(options);
  const ticket = cache.entries.get("localhost:0") as SessionTicket;
  const psk = ticket.psk.slice();
  psk[0] ^= 1;
  cache.entries.set("localhost:0", { ...ticket, psk });
  const pair = await handshake(options);
  assertAlert(pair.server.result, "decrypt_error", "local");
  assertAlert(pair.client.result, "decrypt_error", "remote");
});

Deno.test("RFC 8446 §4.2.9: psk_ke alone is never accepted: the server does a full (EC)DHE handshake", async () => {
  const { options } = resumable();
  await connectAndFinish(options);
  const modes = encodePskKeyExchangeModes([PskKeyExchangeMode.psk_ke]);
  const [c2, s2, pair] = await connectAndFinish({
    ...options,
    clientTest: { customizeClientHello: addExtension(ExtensionType.psk_key_exchange_modes, modes) },
  });
  assert.equal(pair.client.helloExtensions[0].at(-1), "pre_shared_key");
  assert.deepEqual([c2.resumed, s2.resumed], [false, false]);
});

Deno.test("RFC 8446 §4.2.9: pre_shared_key without psk_key_exchange_modes is missing_extension", async () => {
  const { options } = resumable();
  await connectAndFinish(options);
  const pair = await handshake({
    ...options,
    clientTest: {
      customizeClientHello: (h) => ({
        ...h,
        extensions: h.extensions.filter((e) => e.type !== ExtensionType.psk_key_exchange_modes),
      }),
    },
  });
  assertAlert(pair.server.result, "missing_extension", "local");
});

// ---------------------------------------------------------------------------------------------------------
// The client's checks of the ServerHello (RFC 8446 §4.2.11)

/** A client engine whose cache holds a (made-up) ticket for localhost, after its ClientHello. */
async function clientOffering(): Promise<{ engine: TlsEngine; hello: ClientHello }> {
  const pki = await serverPki();
  const ticket: SessionTicket = {
    protocol: "TLSv1.3",
    ticket: new Uint8Array(40).fill(1),
    psk: new Uint8Array(32).fill(2),
    cipherSuite: "TLS_AES_128_GCM_SHA256",
    ticketAgeAdd: 12345,
    lifetime: 7200,
    receivedAt: Date.now() - 1000,
    alpnProtocol: null,
    serverName: "localhost",
    serverCertificates: [pki.leaves["ECDSA P-256"].der],
  };
  let kept: CachedSession | undefined = ticket;
  const sessionCache: SessionCache = {
    get: () => kept,
    set: () => {},
    delete: () => void (kept = undefined),
  };
  const config = await resolveClientConfig(
    { serverName: "localhost", caCerts: [pki.root.cert], groups: ["X25519"], sessionCache },
    { middleboxCompat: false },
  );
  const engine = new TlsEngine({ crypto: config.crypto, begin: (io) => startClientHandshake(config, io) });
  await engine.start();
  const record = concat(...(await Promise.all(engine.takeOutput())));
  const hello = decodeClientHello(record.subarray(9));
  assert.equal(hello.extensions.at(-1)?.type, ExtensionType.pre_shared_key);
  assert.equal(kept, undefined, "the ticket was taken out of the cache");
  return { engine, hello };
}

/** A ServerHello record answering `hello` with `suite` and a pre_shared_key selecting `identity`. */
async function serverHelloRecord(hello: ClientHello, suite: number, identity: number): Promise<Uint8Array> {
  const share = await webCrypto.startKeyExchange("X25519");
  const body = encodeServerHello({
    legacyVersion: 0x0303,
    random: webCrypto.randomBytes(32),
    legacySessionIdEcho: hello.legacySessionId,
    cipherSuite: suite,
    legacyCompressionMethod: 0,
    extensions: [
      { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(0x0304) },
      {
        type: ExtensionType.key_share,
        data: encodeKeyShareServer({ group: NamedGroup.X25519, keyExchange: share.publicKey }),
      },
      { type: ExtensionType.pre_shared_key, data: encodePreSharedKeyServer(identity) },
    ],
  });
  const message = encodeHandshake(HandshakeType.server_hello, body);
  return concat(Uint8Array.of(22, 3, 3, message.length >> 8, message.length & 0xff), message);
}

for (
  const [what, suite, identity] of [
    ["selected_identity 1 when one PSK was offered", 0x1301, 1],
    ["a suite whose hash is not the PSK's (SHA-384 for a SHA-256 ticket)", 0x1302, 0],
  ] as const
) {
  Deno.test(`RFC 8446 §4.2.11: a ServerHello with ${what} is illegal_parameter`, async () => {
    const { engine, hello } = await clientOffering();
    const settled = await Promise.allSettled([
      engine.receive(await serverHelloRecord(hello, suite, identity)),
    ]);
    assertAlert(settled[0], "illegal_parameter", "local");
  });
}

// ---------------------------------------------------------------------------------------------------------
// Early data (RFC 8446 §4.2.10)

const withEarlyData = { customizeClientHello: addExtension(ExtensionType.early_data) };

Deno.test("RFC 8446 §4.2.10: early data the server does not accept is skipped (trial decryption), and it resumes", async () => {
  const { options } = resumable();
  await connectAndFinish(options);
  const [c2, s2, pair] = await connectAndFinish({
    ...options,
    clientTest: withEarlyData,
    inject: [junkRecord(1000), junkRecord(3000)],
  });
  assert.ok(pair.client.helloExtensions[0].includes("early_data"));
  assert.ok(!pair.client.helloExtensions[1].includes("early_data"), "no early_data in the ServerHello");
  assert.deepEqual([c2.resumed, s2.resumed], [true, true]);
});

Deno.test("RFC 8446 §4.2.10: after a HelloRetryRequest, early data before the second ClientHello is skipped", async () => {
  const { options } = resumable({ groups: ["P-256"] });
  await connectAndFinish(options);
  const [c2, , pair] = await connectAndFinish({
    ...options,
    clientTest: withEarlyData,
    inject: [junkRecord(500)],
  });
  assert.equal(c2.resumed, true);
  assert.ok(!pair.client.helloExtensions[2].includes("early_data"), "dropped from the second ClientHello");
});

Deno.test("RFC 8446 §4.2.10: more early data than the server skips fails as the record it is (bad_record_mac)", async () => {
  const { options } = resumable();
  await connectAndFinish(options);
  const pair = await handshake({
    ...options,
    clientTest: withEarlyData,
    inject: [junkRecord(10_000), junkRecord(10_000)],
  });
  assertAlert(pair.server.result, "bad_record_mac", "local");
});

Deno.test("RFC 8446 §5: without early_data in the ClientHello nothing is skipped (bad_record_mac)", async () => {
  const { options } = resumable();
  const pair = await handshake({ ...options, inject: [junkRecord(100)] });
  assertAlert(pair.server.result, "bad_record_mac", "local");
});
