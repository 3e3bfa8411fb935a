/**
 * The parts of TLS 1.3 resumption that need no connection: the pre_shared_key codec (RFC 8446 §4.2.11), the
 * binder checked against RFC 8448 §4 with the PSK our client derives from RFC 8448 §3, the server's ticket
 * format and rotating ticket keys, and the client's in-memory session cache.
 */
import assert from "node:assert/strict";
import { concat, DecodeError, fromHex } from "../bytes.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { TlsEngine } from "../connection/engine.ts";
import { MemorySessionCache } from "../connection/session_cache.ts";
import type { CryptoProvider, GroupName, KeyExchange } from "../crypto/provider.ts";
import { importX25519KeyExchange } from "../crypto/key_exchange.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { startClientHandshake } from "../handshake/client13_hello.ts";
import { ExtensionType, TLS13_SUITES } from "../handshake/constants.ts";
import { decodeClientHello, decodeHandshake } from "../handshake/messages.ts";
import {
  bindersLength,
  decodePreSharedKeyClient,
  decodePreSharedKeyServer,
  encodePreSharedKeyClient,
  encodePreSharedKeyServer,
  resumptionBinder,
  truncateClientHello,
} from "../handshake/psk.ts";
import type { CachedSession, SessionTicket } from "../handshake/session.ts";
import {
  decodeTicketState,
  encodeTicketState,
  openTicket13,
  sealTicket13,
  type Tls13TicketState,
} from "../handshake/ticket13.ts";
import { SessionTicketKeys } from "../handshake/ticket_keys.ts";
import { loadRfc8448 } from "./_rfc8448.ts";

const AES128 = TLS13_SUITES[0];

// ---------------------------------------------------------------------------------------------------------
// pre_shared_key codec (RFC 8446 §4.2.11)

Deno.test("RFC 8446 §4.2.11: pre_shared_key OfferedPsks round-trips, and the binders are its last bytes", () => {
  const offered = {
    identities: [
      { identity: fromHex("0102030405"), obfuscatedTicketAge: 0xfffffffe },
      { identity: new Uint8Array(300).fill(7), obfuscatedTicketAge: 0 },
    ],
    binders: [new Uint8Array(32).fill(1), new Uint8Array(48).fill(2)],
  };
  const data = encodePreSharedKeyClient(offered);
  assert.deepStrictEqual(decodePreSharedKeyClient(data), offered);
  assert.equal(bindersLength(offered.binders), 2 + 33 + 49);
  const start = data.length - bindersLength(offered.binders);
  assert.deepEqual(data.subarray(start, start + 3), fromHex("005220"), "binders<..> length 82, then 32");
  assert.deepEqual(data.subarray(start + 3, start + 35), offered.binders[0]);
  assert.equal(decodePreSharedKeyServer(encodePreSharedKeyServer(3)), 3);
  assert.deepEqual(encodePreSharedKeyServer(258), fromHex("0102"));
});

Deno.test("RFC 8446 §4.2.11: identities<7..2^16-1>, binders<33..2^16-1>, PskBinderEntry<32..255>, one binder per identity", () => {
  const identity = "0001aa00000000"; // one identity of 1 byte and its age: 7 bytes
  const binder = "20" + "00".repeat(32);
  const bad: [string, string][] = [
    ["0000" + "0021" + binder, "OfferedPsks.identities"],
    ["0006 0000 00000000" + "0021" + binder, "OfferedPsks.identities"],
    ["0007" + identity + "0000", "OfferedPsks.binders"],
    ["0007" + identity + "0020" + "1f" + "00".repeat(31), "OfferedPsks.binders"],
    ["0007" + identity + "0021" + binder + "00", "trailing"],
    ["000e" + identity + identity + "0021" + binder, "2 identities but 1 binders"],
  ];
  for (const [hex, field] of bad) {
    assert.throws(
      () => decodePreSharedKeyClient(fromHex(hex)),
      (e) => e instanceof DecodeError && e.message.includes(field),
      hex,
    );
  }
  assert.deepStrictEqual(decodePreSharedKeyClient(fromHex("0007" + identity + "0021" + binder)).identities, [
    { identity: fromHex("aa"), obfuscatedTicketAge: 0 },
  ]);
  assert.throws(() => decodePreSharedKeyServer(fromHex("00")), DecodeError);
  assert.throws(() => decodePreSharedKeyServer(fromHex("000000")), DecodeError);
  assert.throws(() => encodePreSharedKeyClient({ identities: [], binders: [] }), RangeError);
  const one = { identity: fromHex("aa"), obfuscatedTicketAge: 0 };
  assert.throws(
    () => encodePreSharedKeyClient({ identities: [one], binders: [new Uint8Array(31)] }),
    RangeError,
  );
  assert.throws(() => encodePreSharedKeyClient({ identities: [one], binders: [] }), RangeError);
  assert.throws(
    () =>
      encodePreSharedKeyClient({
        identities: [{ ...one, obfuscatedTicketAge: 2 ** 32 }],
        binders: [new Uint8Array(32)],
      }),
    RangeError,
  );
  assert.throws(() => encodePreSharedKeyServer(0x10000), RangeError);
});

// ---------------------------------------------------------------------------------------------------------
// RFC 8448 §4: the binder of the resumed ClientHello, from the ticket of §3

Deno.test("RFC 8448 §3 → §4: the ticket our client keeps gives the PSK whose binder is the RFC's", async () => {
  const vectors = loadRfc8448();
  const simple = vectors["Simple_1RTT_Handshake"];
  const resumed = vectors["Resumed_0RTT_Handshake"];
  const hex = (key: string) => fromHex(simple[key]);
  const pool = hex("Client_RNG_Pool");
  const provider: CryptoProvider = {
    ...webCrypto,
    randomBytes: (n: number) => pool.slice(0, n),
    startKeyExchange: (group: GroupName): Promise<KeyExchange> => {
      assert.equal(group, "X25519");
      return importX25519KeyExchange(pool.slice(32, 64));
    },
  };
  const kept = new Map<string, CachedSession>();
  const rfcHello = decodeClientHello(hex("Record_ClientHello_1").subarray(9));
  const config = await resolveClientConfig(
    {
      serverName: "server",
      groups: ["X25519"],
      unsafelyIgnoreCertificateErrors: true,
      caCerts: [],
      sessionCache: {
        get: (k) => kept.get(k),
        set: (k, t) => void kept.set(k, t),
        delete: (k) => void kept.delete(k),
      },
    },
    {
      crypto: provider,
      now: () => new Date(Number(simple["CurrentTimestamp"])),
      middleboxCompat: false,
      customizeClientHello: () => rfcHello,
    },
  );
  const engine = new TlsEngine({ crypto: provider, begin: (io) => startClientHandshake(config, io) });
  await engine.start();
  engine.takeOutput();
  await engine.receive(concat(hex("Record_ServerHello"), hex("Record_ServerHandshakeMessages")));
  await engine.receive(hex("Record_NewSessionTicket"));
  const ticket = kept.get("server:0");
  assert.ok(ticket?.protocol === "TLSv1.3", "the NewSessionTicket was kept under server:0");
  assert.deepEqual(ticket.ticket, fromHex(resumed["SessionTicket"]));
  assert.equal(ticket.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assert.equal(ticket.lifetime, 30);
  assert.equal(ticket.ticketAgeAdd, 0xfad6aac5);

  // The resumed ClientHello of RFC 8448 §4 offers that ticket; its binder must be ours for that PSK.
  const message = fromHex(resumed["Record_ClientHello_1"]).subarray(5);
  const hello = decodeClientHello(decodeHandshake(message).body);
  const psk = decodePreSharedKeyClient(hello.extensions.at(-1)!.data);
  assert.equal(hello.extensions.at(-1)!.type, ExtensionType.pre_shared_key);
  assert.deepEqual(psk.identities[0].identity, ticket.ticket);
  const binder = await resumptionBinder(
    webCrypto,
    AES128,
    ticket.psk,
    new Uint8Array(0),
    truncateClientHello(message, psk.binders),
  );
  assert.deepEqual(binder, psk.binders[0]);
});

// ---------------------------------------------------------------------------------------------------------
// The server's tickets and ticket keys

const STATE: Tls13TicketState = {
  cipherSuite: 0x1302,
  issuedAt: 1_700_000_000_123,
  lifetime: 7200,
  ticketAgeAdd: 0xdeadbeef,
  psk: new Uint8Array(48).fill(9),
  alpnProtocol: "h2",
  serverName: "example.com",
  clientCertificates: [fromHex("3003020101"), fromHex("300102")],
};

Deno.test("RFC 8446 §4.6.1: the ticket plaintext round-trips; garbage and other versions do not decode", () => {
  assert.deepStrictEqual(decodeTicketState(encodeTicketState(STATE)), STATE);
  const bare = { ...STATE, alpnProtocol: null, serverName: null, clientCertificates: [] };
  assert.deepStrictEqual(decodeTicketState(encodeTicketState(bare)), bare);
  const encoded = encodeTicketState(STATE);
  assert.equal(decodeTicketState(encoded.subarray(0, encoded.length - 1)), undefined);
  assert.equal(decodeTicketState(concat(encoded, new Uint8Array(1))), undefined);
  assert.equal(decodeTicketState(concat(Uint8Array.of(2), encoded.subarray(1))), undefined);
});

Deno.test("RFC 8446 §4.6.1: a sealed ticket opens only with its keys, unaltered; one over 2^16-1 bytes is not made", async () => {
  const keys = new SessionTicketKeys();
  const now = STATE.issuedAt;
  const ticket = (await sealTicket13(webCrypto, keys, STATE))!;
  assert.deepStrictEqual(await openTicket13(webCrypto, keys, ticket, now + 1000), STATE);
  assert.equal(await openTicket13(webCrypto, new SessionTicketKeys(), ticket, now), undefined, "other keys");
  for (const i of [0, 5, 20, ticket.length - 1]) {
    const altered = ticket.slice();
    altered[i] ^= 1;
    assert.equal(await openTicket13(webCrypto, keys, altered, now), undefined, `byte ${i} altered`);
  }
  assert.equal(await openTicket13(webCrypto, keys, ticket.subarray(0, 20), now), undefined, "truncated");
  assert.notDeepEqual(await sealTicket13(webCrypto, keys, STATE), ticket, "a fresh nonce each time");
  const huge = { ...STATE, clientCertificates: [new Uint8Array(70_000)] };
  assert.equal(await sealTicket13(webCrypto, keys, huge), undefined);
});

Deno.test("ticket keys rotate every lifetime: one rotation back still opens, two rotations back does not", async () => {
  const keys = new SessionTicketKeys({ lifetime: 100 });
  const seal = (at: number) => keys.seal(webCrypto, Uint8Array.of(at % 256), at);
  const opens = async (sealed: Uint8Array, at: number) =>
    (await keys.open(webCrypto, sealed, at)) !== undefined;
  const t0 = 1_000_000;
  const first = await seal(t0);
  const late = await seal(t0 + 99_999); // the first key's last moment
  assert.deepEqual(first.subarray(0, 4), late.subarray(0, 4), "same key id within a period");
  const second = await seal(t0 + 100_000); // a new key
  assert.notDeepEqual(second.subarray(0, 4), first.subarray(0, 4));
  assert.ok(await opens(late, t0 + 150_000), "the previous key still opens");
  assert.ok(await opens(second, t0 + 150_000));
  await seal(t0 + 200_000); // a third key: the first one is forgotten
  assert.ok(!(await opens(late, t0 + 200_001)), "two rotations back no longer opens");
  assert.ok(await opens(second, t0 + 200_001), "one rotation back opens");
  // After a long idle time the previous key is dropped too, whatever opened last.
  assert.ok(!(await opens(second, t0 + 1_000_000)));
  assert.throws(() => new SessionTicketKeys({ lifetime: 0 }), RangeError);
  assert.throws(() => new SessionTicketKeys({ lifetime: 604_801 }), RangeError);
  assert.throws(() => new SessionTicketKeys({ lifetime: 1.5 }), RangeError);
  assert.equal(new SessionTicketKeys().lifetime, 7200);
});

// ---------------------------------------------------------------------------------------------------------
// The client's in-memory session cache

function sessionTicket(receivedAt: number, lifetime = 10): SessionTicket {
  return {
    protocol: "TLSv1.3",
    ticket: Uint8Array.of(1),
    psk: new Uint8Array(32),
    cipherSuite: "TLS_AES_128_GCM_SHA256",
    ticketAgeAdd: 0,
    lifetime,
    receivedAt,
    alpnProtocol: null,
    serverName: "example.com",
    serverCertificates: [],
  };
}

Deno.test("MemorySessionCache: newest ticket per key, least recently used evicted, expired never returned", () => {
  let now = 0;
  const cache = new MemorySessionCache({ capacity: 2, now: () => now });
  const a1 = sessionTicket(0);
  const a2 = sessionTicket(1);
  cache.set("a:443", a1);
  cache.set("a:443", a2);
  assert.equal(cache.get("a:443"), a2);
  cache.set("b:443", sessionTicket(0));
  assert.ok(cache.get("a:443")); // a is now the most recently used
  cache.set("c:443", sessionTicket(0));
  assert.equal(cache.size, 2);
  assert.equal(cache.get("b:443"), undefined, "b was the least recently used");
  assert.ok(cache.get("c:443"));
  now = 10_000; // c (received at 0, lifetime 10 s) has just expired; a2 (received at 1) has not
  assert.equal(cache.get("c:443"), undefined);
  assert.equal(cache.get("a:443"), a2);
  cache.delete("a:443");
  assert.equal(cache.get("a:443"), undefined);
  cache.set("d:1", sessionTicket(now));
  cache.clear();
  assert.equal(cache.size, 0);
  assert.throws(() => new MemorySessionCache({ capacity: 0 }), RangeError);
});
