/**
 * Tests of the handshake message and extension codecs (RFC 8446 §4, RFC 6066 §3, RFC 7301 §3.1):
 * known answers from RFC 8448, round trips, truncation, trailing bytes, random and mutated input, and each
 * vector bound of the RFC's presentation language.
 */

import assert from "node:assert/strict";
import { DecodeError, equal, fromHex, Reader, toHex } from "../bytes.ts";
import {
  ExtensionType,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  SignatureScheme,
  tls13SuiteByCode,
} from "../handshake/constants.ts";
import * as X from "../handshake/extensions.ts";
import * as M from "../handshake/messages.ts";
import { type CodecCase, EXTENSION_CODECS, MESSAGE_CODECS, ramp } from "./_codec_fixtures.ts";
import { loadRfc8448 } from "./_rfc8448.ts";

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** Asserts that `fn` throws a DecodeError whose message starts with `field` (the field it names). */
function assertDecodeError(fn: () => unknown, field: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `expected a DecodeError naming ${field}, got no error`);
  assert.ok(error instanceof DecodeError, `expected a DecodeError naming ${field}, got ${error}`);
  assert.ok(
    error.message.startsWith(field),
    `expected a DecodeError naming ${field}, got "${error.message}"`,
  );
}

/** mulberry32: a tiny seeded PRNG giving floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable seed from a string (FNV-1a), so that each codec gets its own reproducible stream. */
function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const vectors = loadRfc8448();

/** The hex value `key` of RFC 8448 transcript `section`, as bytes. */
function vec(section: string, key: string): Uint8Array {
  const value = vectors[section]?.[key];
  assert.ok(value !== undefined, `transcripts.vec has no ${section}.${key}`);
  return fromHex(value);
}

/** The handshake messages inside a plaintext handshake record (5-byte header, RFC 8446 §5.1). */
function handshakeRecord(record: Uint8Array): M.HandshakeMessage[] {
  const r = new Reader(record);
  assert.equal(r.u8(), 22, "record content type is handshake");
  r.u16();
  const fragment = new Reader(r.vector(2, "fragment"));
  r.end();
  const out: M.HandshakeMessage[] = [];
  while (fragment.remaining > 0) out.push(M.readHandshake(fragment));
  return out;
}

/** The data of the one extension of type `type`. */
function ext(extensions: readonly M.Extension[], type: number): Uint8Array {
  const found = extensions.filter((e) => e.type === type);
  assert.equal(found.length, 1, `one extension of type ${type}`);
  return found[0].data;
}

const types = (extensions: readonly M.Extension[]) => extensions.map((e) => e.type);

/** A ClientHello body assembled from hex parts; the defaults are valid. */
function clientHelloBody(parts: {
  sessionId?: string;
  suites?: string;
  compression?: string;
  extensions?: string;
}): Uint8Array {
  return fromHex(
    "0303" + "11".repeat(32) + (parts.sessionId ?? "00") + (parts.suites ?? "0002 1301") +
      (parts.compression ?? "01 00") + (parts.extensions ?? ""),
  );
}

/** A ServerHello body assembled from hex parts; the defaults are valid. */
function serverHelloBody(parts: { sessionId?: string; extensions?: string }): Uint8Array {
  return fromHex("0303" + "22".repeat(32) + (parts.sessionId ?? "00") + "1301 00" + (parts.extensions ?? ""));
}

// ---------------------------------------------------------------------------------------------------------
// Known answers: RFC 8448

Deno.test("RFC 8448 §3: the simple 1-RTT ClientHello decodes to the RFC's fields and re-encodes exactly", () => {
  const record = vec("Simple_1RTT_Handshake", "Record_ClientHello_1");
  assert.equal(toHex(record.subarray(0, 5)), "16030100c4");
  const [msg] = handshakeRecord(record);
  assert.equal(msg.type, HandshakeType.client_hello);
  assert.deepStrictEqual(msg.raw, record.subarray(5));

  const ch = M.decodeClientHello(msg.body);
  assert.equal(ch.legacyVersion, 0x0303);
  assert.equal(toHex(ch.random), "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7");
  assert.equal(ch.legacySessionId.length, 0);
  assert.deepStrictEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
  assert.deepStrictEqual(ch.legacyCompressionMethods, Uint8Array.of(0));
  assert.deepStrictEqual(types(ch.extensions), [0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);

  assert.equal(X.decodeServerName(ext(ch.extensions, ExtensionType.server_name)), "server");
  assert.deepStrictEqual(
    X.decodeSupportedGroups(ext(ch.extensions, ExtensionType.supported_groups)),
    [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104],
  );
  assert.deepStrictEqual(X.decodeKeyShareClient(ext(ch.extensions, ExtensionType.key_share)), [{
    group: 0x001d,
    keyExchange: fromHex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"),
  }]);
  assert.deepStrictEqual(
    X.decodeSupportedVersionsClient(ext(ch.extensions, ExtensionType.supported_versions)),
    [
      0x0304,
    ],
  );
  assert.deepStrictEqual(
    X.decodeSignatureAlgorithms(ext(ch.extensions, ExtensionType.signature_algorithms)),
    [
      0x0403,
      0x0503,
      0x0603,
      0x0203,
      0x0804,
      0x0805,
      0x0806,
      0x0401,
      0x0501,
      0x0601,
      0x0201,
      0x0402,
      0x0502,
      0x0602,
      0x0202,
    ],
  );
  assert.deepStrictEqual(
    X.decodePskKeyExchangeModes(ext(ch.extensions, ExtensionType.psk_key_exchange_modes)),
    [1],
  );

  // Each extension body and the whole message re-encode byte for byte.
  assert.deepStrictEqual(X.encodeServerName("server"), ext(ch.extensions, ExtensionType.server_name));
  assert.deepStrictEqual(
    X.encodeKeyShareClient(X.decodeKeyShareClient(ext(ch.extensions, ExtensionType.key_share))),
    ext(ch.extensions, ExtensionType.key_share),
  );
  assert.deepStrictEqual(M.encodeHandshake(msg.type, M.encodeClientHello(ch)), record.subarray(5));
});

Deno.test("RFC 8448 §3: the ServerHello decodes to the RFC's fields and re-encodes exactly", () => {
  const raw = vec("Simple_1RTT_Handshake", "Message_ServerHello");
  const msg = M.decodeHandshake(raw);
  assert.equal(msg.type, HandshakeType.server_hello);
  const sh = M.decodeServerHello(msg.body);
  assert.equal(sh.legacyVersion, 0x0303);
  assert.equal(toHex(sh.random), "a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928");
  assert.equal(sh.legacySessionIdEcho.length, 0);
  assert.equal(sh.cipherSuite, 0x1301);
  assert.equal(sh.legacyCompressionMethod, 0);
  assert.deepStrictEqual(types(sh.extensions), [ExtensionType.key_share, ExtensionType.supported_versions]);
  assert.deepStrictEqual(X.decodeKeyShareServer(ext(sh.extensions, ExtensionType.key_share)), {
    group: 0x001d,
    keyExchange: fromHex("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f"),
  });
  assert.equal(X.decodeSupportedVersionsServer(ext(sh.extensions, ExtensionType.supported_versions)), 0x0304);
  assert.deepStrictEqual(M.encodeHandshake(msg.type, M.encodeServerHello(sh)), raw);
});

Deno.test("RFC 8448 §3: EncryptedExtensions, Certificate, CertificateVerify and Finished decode and re-encode", () => {
  const s = "Simple_1RTT_Handshake";
  const eeRaw = vec(s, "Message_EncryptedExtensions");
  const ee = M.decodeEncryptedExtensions(M.decodeHandshake(eeRaw).body);
  assert.deepStrictEqual(types(ee.extensions), [
    ExtensionType.supported_groups,
    ExtensionType.record_size_limit,
    ExtensionType.server_name,
  ]);
  assert.equal(ext(ee.extensions, ExtensionType.server_name).length, 0);
  assert.deepStrictEqual(ext(ee.extensions, ExtensionType.record_size_limit), fromHex("4001"));
  assert.deepStrictEqual(
    M.encodeHandshake(HandshakeType.encrypted_extensions, M.encodeEncryptedExtensions(ee)),
    eeRaw,
  );

  const certRaw = vec(s, "Message_Server_Certificate");
  const cert = M.decodeCertificate(M.decodeHandshake(certRaw).body);
  assert.equal(cert.certificateRequestContext.length, 0);
  assert.equal(cert.certificateList.length, 1);
  assert.equal(cert.certificateList[0].certData.length, 0x1b0);
  assert.equal(toHex(cert.certificateList[0].certData.subarray(0, 4)), "308201ac");
  assert.deepStrictEqual(cert.certificateList[0].extensions, []);
  assert.deepStrictEqual(M.encodeHandshake(HandshakeType.certificate, M.encodeCertificate(cert)), certRaw);

  const cvRaw = vec(s, "Message_Server_CertificateVerify");
  const cv = M.decodeCertificateVerify(M.decodeHandshake(cvRaw).body);
  assert.equal(cv.algorithm, SignatureScheme.rsa_pss_rsae_sha256);
  assert.deepStrictEqual(cv.signature, vec(s, "Server_MessageSignature"));
  assert.deepStrictEqual(
    M.encodeHandshake(HandshakeType.certificate_verify, M.encodeCertificateVerify(cv)),
    cvRaw,
  );

  const finRaw = vec(s, "Message_Server_Finished");
  const fin = M.decodeFinished(M.decodeHandshake(finRaw).body, 32);
  assert.equal(toHex(fin.verifyData), "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718");
  assert.deepStrictEqual(M.encodeHandshake(HandshakeType.finished, M.encodeFinished(fin)), finRaw);
});

Deno.test("RFC 8448 §3: the NewSessionTicket built from RFC 8446 §4.6.1 fields is the RFC's plaintext", () => {
  // The file has only the encrypted record; RFC 8448 §3 lists the plaintext: lifetime 30 s, age_add
  // 0xfad6aac5, nonce 00 00, the ticket, and early_data with max_early_data_size 1024.
  const ticket = vec("Simple_1RTT_Handshake", "SessionTicket");
  const nst: M.NewSessionTicket = {
    ticketLifetime: 30,
    ticketAgeAdd: 0xfad6aac5,
    ticketNonce: fromHex("0000"),
    ticket,
    extensions: [{ type: ExtensionType.early_data, data: fromHex("00000400") }],
  };
  const expected = fromHex(
    "040000c9 0000001e fad6aac5 02 0000 00b2" + toHex(ticket) + "0008 002a 0004 00000400",
  );
  const raw = M.encodeHandshake(HandshakeType.new_session_ticket, M.encodeNewSessionTicket(nst));
  assert.deepStrictEqual(raw, expected);
  assert.deepStrictEqual(M.decodeNewSessionTicket(M.decodeHandshake(raw).body), nst);
});

Deno.test("RFC 8448 §5: the HelloRetryRequest and the second ClientHello decode and re-encode exactly", () => {
  const s = "HelloRetryRequest_Handshake";
  const [hrrMsg] = handshakeRecord(vec(s, "Record_HelloRetryRequest"));
  assert.equal(hrrMsg.type, HandshakeType.server_hello);
  const hrr = M.decodeServerHello(hrrMsg.body);
  assert.deepStrictEqual(hrr.random, HELLO_RETRY_REQUEST_RANDOM);
  assert.equal(hrr.cipherSuite, 0x1301);
  assert.deepStrictEqual(types(hrr.extensions), [
    ExtensionType.key_share,
    ExtensionType.cookie,
    ExtensionType.supported_versions,
  ]);
  assert.equal(X.decodeKeyShareHrr(ext(hrr.extensions, ExtensionType.key_share)), 0x0017);
  const cookie = X.decodeCookie(ext(hrr.extensions, ExtensionType.cookie));
  assert.deepStrictEqual(cookie, vec(s, "HelloRetryRequest_Cookie"));
  assert.equal(cookie.length, 0x72);
  assert.equal(
    X.decodeSupportedVersionsServer(ext(hrr.extensions, ExtensionType.supported_versions)),
    0x0304,
  );
  assert.deepStrictEqual(M.encodeServerHello(hrr), hrrMsg.body);

  const [ch2Msg] = handshakeRecord(vec(s, "Record_ClientHello_2"));
  const ch2 = M.decodeClientHello(ch2Msg.body);
  assert.deepStrictEqual(X.decodeCookie(ext(ch2.extensions, ExtensionType.cookie)), cookie);
  const [share] = X.decodeKeyShareClient(ext(ch2.extensions, ExtensionType.key_share));
  assert.equal(share.group, 0x0017);
  assert.equal(share.keyExchange.length, 65);
  assert.equal(share.keyExchange[0], 4);
  assert.ok(types(ch2.extensions).includes(ExtensionType.padding));
  assert.deepStrictEqual(M.encodeClientHello(ch2), ch2Msg.body);
});

Deno.test("RFC 8448 §4: the resumed ClientHello ends with pre_shared_key and its EncryptedExtensions carry early_data", () => {
  const s = "Resumed_0RTT_Handshake";
  const [msg] = handshakeRecord(vec(s, "Record_ClientHello_1"));
  const ch = M.decodeClientHello(msg.body);
  assert.equal(ch.extensions.at(-1)?.type, ExtensionType.pre_shared_key);
  assert.equal(ext(ch.extensions, ExtensionType.early_data).length, 0);
  assert.deepStrictEqual(M.encodeClientHello(ch), msg.body);

  const sh = M.decodeServerHello(M.decodeHandshake(vec(s, "Message_ServerHello")).body);
  assert.deepStrictEqual(ext(sh.extensions, ExtensionType.pre_shared_key), fromHex("0000"));
  const ee = M.decodeEncryptedExtensions(M.decodeHandshake(vec(s, "Message_EncryptedExtensions")).body);
  assert.equal(ext(ee.extensions, ExtensionType.early_data).length, 0);
});

Deno.test("RFC 8448 §6: the CertificateRequest asks for signature_algorithms and re-encodes exactly", () => {
  const raw = vec("Client_Authentication_Handshake", "Message_CertificateRequest");
  const msg = M.decodeHandshake(raw);
  assert.equal(msg.type, HandshakeType.certificate_request);
  const cr = M.decodeCertificateRequest(msg.body);
  assert.equal(cr.certificateRequestContext.length, 0);
  assert.deepStrictEqual(types(cr.extensions), [ExtensionType.signature_algorithms]);
  assert.deepStrictEqual(
    X.decodeSignatureAlgorithms(ext(cr.extensions, ExtensionType.signature_algorithms)),
    [
      0x0403,
      0x0503,
      0x0603,
      0x0203,
      0x0804,
      0x0805,
      0x0806,
      0x0401,
      0x0501,
      0x0601,
      0x0201,
      0x0402,
      0x0502,
      0x0602,
      0x0202,
    ],
  );
  assert.deepStrictEqual(M.encodeHandshake(msg.type, M.encodeCertificateRequest(cr)), raw);
});

Deno.test("RFC 8448 §7: in compatibility mode the ServerHello echoes the 32-byte legacy_session_id", () => {
  const s = "Middlebox_Compatibility_Mode";
  const [msg] = handshakeRecord(vec(s, "Record_ClientHello_1"));
  const ch = M.decodeClientHello(msg.body);
  assert.equal(ch.legacySessionId.length, 32);
  const sh = M.decodeServerHello(M.decodeHandshake(vec(s, "Message_ServerHello")).body);
  assert.deepStrictEqual(sh.legacySessionIdEcho, ch.legacySessionId);
});

Deno.test("RFC 8448: every plaintext handshake message in transcripts.vec decodes and re-encodes exactly", () => {
  let checked = 0;
  for (const [section, entries] of Object.entries(vectors)) {
    const shRaw = entries["Message_ServerHello"];
    const suite = shRaw &&
      tls13SuiteByCode(M.decodeServerHello(M.decodeHandshake(fromHex(shRaw)).body).cipherSuite);
    for (const [key, value] of Object.entries(entries)) {
      let messages: M.HandshakeMessage[];
      if (key.startsWith("Message_")) messages = [M.decodeHandshake(fromHex(value))];
      else if (key.startsWith("Record_") && value.startsWith("16")) {
        messages = handshakeRecord(fromHex(value));
      } else continue;
      for (const msg of messages) {
        const where = `${section}.${key}`;
        let body: Uint8Array;
        switch (msg.type) {
          case HandshakeType.client_hello:
            body = M.encodeClientHello(M.decodeClientHello(msg.body));
            break;
          case HandshakeType.server_hello:
            body = M.encodeServerHello(M.decodeServerHello(msg.body));
            break;
          case HandshakeType.encrypted_extensions:
            body = M.encodeEncryptedExtensions(M.decodeEncryptedExtensions(msg.body));
            break;
          case HandshakeType.certificate_request:
            body = M.encodeCertificateRequest(M.decodeCertificateRequest(msg.body));
            break;
          case HandshakeType.certificate:
            body = M.encodeCertificate(M.decodeCertificate(msg.body));
            break;
          case HandshakeType.certificate_verify:
            body = M.encodeCertificateVerify(M.decodeCertificateVerify(msg.body));
            break;
          case HandshakeType.finished:
            assert.ok(suite, `${where}: no ServerHello to take the hash from`);
            body = M.encodeFinished(M.decodeFinished(msg.body, suite.hashLength));
            break;
          default:
            throw new Error(`${where}: unexpected handshake type ${msg.type}`);
        }
        assert.deepStrictEqual(M.encodeHandshake(msg.type, body), msg.raw, where);
        checked++;
      }
    }
  }
  // 7 sections, each with at least a ClientHello, a ServerHello, EncryptedExtensions and a Finished.
  assert.ok(checked >= 40, `only ${checked} messages checked`);
});

Deno.test("RFC 8446 §4.6.3: KeyUpdate built by hand is 18 00 00 01 then request_update", () => {
  assert.deepStrictEqual(
    M.encodeHandshake(HandshakeType.key_update, M.encodeKeyUpdate({ requestUpdate: 1 })),
    fromHex("1800000101"),
  );
  assert.deepStrictEqual(M.decodeKeyUpdate(M.decodeHandshake(fromHex("1800000100")).body), {
    requestUpdate: 0,
  });
});

// ---------------------------------------------------------------------------------------------------------
// Every codec: round trip, truncation, trailing byte, random and mutated input

function checkArbitraryInput(c: CodecCase, bytes: Uint8Array): boolean {
  let accepted = false;
  try {
    c.decode(bytes);
    accepted = true;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      throw new Error(`${c.name}: ${e} (not a DecodeError) for input ${toHex(bytes)}`, { cause: e });
    }
  }
  if (accepted && c.canonical) {
    const again = c.reencode(bytes);
    assert.ok(
      equal(again, bytes),
      `${c.name}: ${toHex(bytes)} was accepted but re-encodes as ${toHex(again)}`,
    );
  }
  return accepted;
}

function mutate(sample: Uint8Array, rand: () => number): Uint8Array {
  const at = (n: number) => Math.floor(rand() * n);
  const bytes = Array.from(sample);
  const edits = 1 + at(3);
  for (let i = 0; i < edits; i++) {
    const pos = at(bytes.length + 1);
    switch (at(6)) {
      case 0: // overwrite a byte with a random one
        if (bytes.length > 0) bytes[Math.min(pos, bytes.length - 1)] = at(256);
        break;
      case 1: // overwrite a byte with a length-like value
        if (bytes.length > 0) bytes[Math.min(pos, bytes.length - 1)] = [0, 1, 2, 0x7f, 0xff][at(5)];
        break;
      case 2: // insert a byte
        bytes.splice(pos, 0, at(256));
        break;
      case 3: // delete a byte
        bytes.splice(pos, 1);
        break;
      case 4: // cut short
        bytes.length = pos;
        break;
      default: // append random bytes
        for (let n = at(8); n > 0; n--) bytes.push(at(256));
    }
  }
  return Uint8Array.from(bytes);
}

for (const c of [...MESSAGE_CODECS, ...EXTENSION_CODECS]) {
  Deno.test(`${c.section}: ${c.name} round-trips (encode, decode, deep equal, encode again)`, () => {
    c.roundTrip();
  });

  Deno.test(`${c.section}: every strict prefix of a ${c.name} encoding is a DecodeError`, () => {
    c.samples.forEach((sample, i) => {
      const valid = c.validPrefixLengths(i);
      for (let n = 0; n < sample.length; n++) {
        if (valid.includes(n)) {
          // The one legal prefix (a hello without its extensions block) must decode.
          c.decode(sample.subarray(0, n));
          continue;
        }
        let error: unknown;
        try {
          c.decode(sample.subarray(0, n));
        } catch (e) {
          error = e;
        }
        assert.ok(
          error instanceof DecodeError,
          `${c.name}: prefix of ${n}/${sample.length} bytes gave ${error}`,
        );
      }
    });
  });

  Deno.test(`${c.section}: a ${c.name} encoding with a trailing byte is a DecodeError`, () => {
    for (const sample of c.samples) {
      for (const extra of [0x00, 0xff]) {
        const longer = Uint8Array.of(...sample, extra);
        assert.throws(() => c.decode(longer), DecodeError);
      }
    }
  });

  Deno.test(`${c.section}: random and mutated input to the ${c.name} decoder returns or throws DecodeError`, () => {
    const rand = mulberry32(seedOf(c.name));
    let accepted = 0;
    let rejected = 0;
    const count = (ok: boolean) => ok ? accepted++ : rejected++;
    for (let i = 0; i < 2000; i++) {
      const length = rand() < 0.5 ? Math.floor(rand() * 12) : Math.floor(rand() * 300);
      count(checkArbitraryInput(c, Uint8Array.from({ length }, () => Math.floor(rand() * 256))));
    }
    for (let i = 0; i < 2000; i++) {
      count(checkArbitraryInput(c, mutate(c.samples[i % c.samples.length], rand)));
    }
    // The inputs must have reached both outcomes, or the test checked less than it claims.
    assert.ok(accepted > 0 && rejected > 0, `${c.name}: ${accepted} accepted, ${rejected} rejected`);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Extension blocks (RFC 8446 §4.2)

Deno.test("RFC 8446 §4.2: a duplicate extension is a DecodeError in every extensions block", () => {
  const dup = "0008 fafa 0000 fafa 0000";
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ extensions: dup })),
    "ClientHello.extensions",
  );
  assertDecodeError(
    () => M.decodeServerHello(serverHelloBody({ extensions: dup })),
    "ServerHello.extensions",
  );
  assertDecodeError(() => M.decodeEncryptedExtensions(fromHex(dup)), "EncryptedExtensions.extensions");
  assertDecodeError(() => M.decodeCertificateRequest(fromHex("00" + dup)), "CertificateRequest.extensions");
  assertDecodeError(
    () => M.decodeCertificate(fromHex("00 00000e 000001 30" + dup)),
    "CertificateEntry.extensions",
  );
  assertDecodeError(
    () => M.decodeNewSessionTicket(fromHex("00000001 00000002 00 0001 aa" + dup)),
    "NewSessionTicket.extensions",
  );
  assertDecodeError(() => M.decodeExtensions(new Reader(fromHex(dup))), "extensions");
  // The same block without the duplicate is fine.
  assert.equal(M.decodeExtensions(new Reader(fromHex("0008 fafa 0000 0a0a 0000"))).length, 2);
});

Deno.test("RFC 8446 §4.2: extension_data longer than its block is a DecodeError", () => {
  assertDecodeError(
    () => M.decodeEncryptedExtensions(fromHex("0008 fafa 0010 0a0a 0000")),
    "EncryptedExtensions.extensions.extension_data",
  );
});

Deno.test("RFC 8446 §4: a handshake header whose length disagrees with the body is a DecodeError", () => {
  assertDecodeError(() => M.decodeHandshake(fromHex("18000002 01")), "Handshake(key_update).msg");
  assertDecodeError(() => M.decodeHandshake(fromHex("18000001 0100")), "Handshake");
  const r = new Reader(fromHex("18000001 00 14000000"));
  assert.equal(M.readHandshake(r).type, HandshakeType.key_update);
  assert.equal(M.readHandshake(r).type, HandshakeType.finished);
  r.end();
});

// ---------------------------------------------------------------------------------------------------------
// Message bounds (RFC 8446 §4.1 – §4.6)

Deno.test("RFC 8446 §4.1.2: legacy_session_id<0..32>", () => {
  assert.equal(
    M.decodeClientHello(clientHelloBody({ sessionId: "20" + "ab".repeat(32) })).legacySessionId.length,
    32,
  );
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ sessionId: "21" + "ab".repeat(33) })),
    "ClientHello.legacy_session_id",
  );
});

Deno.test("RFC 8446 §4.1.2: cipher_suites<2..2^16-2> is non-empty, even and at most 65534 bytes", () => {
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ suites: "0000" })),
    "ClientHello.cipher_suites",
  );
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ suites: "0003 130113" })),
    "ClientHello.cipher_suites",
  );
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ suites: "ffff" + "13".repeat(0xffff) })),
    "ClientHello.cipher_suites",
  );
  assert.equal(
    M.decodeClientHello(clientHelloBody({ suites: "fffe" + "13".repeat(0xfffe) })).cipherSuites.length,
    32767,
  );
});

Deno.test("RFC 8446 §4.1.2: legacy_compression_methods<1..2^8-1>", () => {
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ compression: "00" })),
    "ClientHello.legacy_compression_methods",
  );
});

Deno.test("RFC 8446 §4.1.2: random is exactly 32 bytes", () => {
  assertDecodeError(() => M.decodeClientHello(fromHex("0303" + "11".repeat(31))), "ClientHello.random");
  assertDecodeError(() => M.decodeServerHello(fromHex("0303" + "11".repeat(31))), "ServerHello.random");
});

Deno.test("RFC 8446 §4.1.2: ClientHello extensions are absent (TLS 1.2 style) or <8..2^16-1>", () => {
  assert.deepStrictEqual(M.decodeClientHello(clientHelloBody({})).extensions, []);
  assert.equal(
    M.decodeClientHello(clientHelloBody({ extensions: "0008 fafa 0000 0a0a 0000" })).extensions.length,
    2,
  );
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ extensions: "0000" })),
    "ClientHello.extensions",
  );
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ extensions: "0004 fafa 0000" })),
    "ClientHello.extensions",
  );
  assertDecodeError(
    () => M.decodeClientHello(clientHelloBody({ extensions: "00" })),
    "ClientHello.extensions",
  );
});

Deno.test("RFC 8446 §4.1.3: ServerHello legacy_session_id_echo<0..32> and extensions absent or <6..2^16-1>", () => {
  assertDecodeError(
    () => M.decodeServerHello(serverHelloBody({ sessionId: "21" + "ab".repeat(33) })),
    "ServerHello.legacy_session_id_echo",
  );
  assert.deepStrictEqual(M.decodeServerHello(serverHelloBody({})).extensions, []);
  assert.equal(
    M.decodeServerHello(serverHelloBody({ extensions: "0006 002b 0002 0304" })).extensions.length,
    1,
  );
  assertDecodeError(
    () => M.decodeServerHello(serverHelloBody({ extensions: "0005 ff01 0001 00" })),
    "ServerHello.extensions",
  );
});

Deno.test("RFC 8446 §4.3.2: CertificateRequest extensions<2..2^16-1> must not be empty", () => {
  assertDecodeError(() => M.decodeCertificateRequest(fromHex("00 0000")), "CertificateRequest.extensions");
  assertDecodeError(
    () => M.decodeCertificateRequest(fromHex("05 0000")),
    "CertificateRequest.certificate_request_context",
  );
});

Deno.test("RFC 8446 §4.4.2: cert_data<1..2^24-1> must not be empty", () => {
  assertDecodeError(
    () => M.decodeCertificate(fromHex("00 000005 000000 0000")),
    "CertificateEntry.cert_data",
  );
  assert.equal(M.decodeCertificate(fromHex("00 000006 000001 30 0000")).certificateList.length, 1);
  assertDecodeError(() => M.decodeCertificate(fromHex("00 000007 000001 30 0000 00")), "CertificateEntry");
});

Deno.test("RFC 8446 §4.4.3: CertificateVerify signature<0..2^16-1> may be empty but not overrun", () => {
  assert.deepStrictEqual(M.decodeCertificateVerify(fromHex("0804 0000")), {
    algorithm: 0x0804,
    signature: new Uint8Array(0),
  });
  assertDecodeError(() => M.decodeCertificateVerify(fromHex("0804 0002 aa")), "CertificateVerify.signature");
});

Deno.test("RFC 8446 §4.4.4: Finished verify_data is exactly Hash.length bytes", () => {
  assertDecodeError(() => M.decodeFinished(ramp(31), 32), "Finished.verify_data");
  assertDecodeError(() => M.decodeFinished(ramp(33), 32), "Finished.verify_data");
  assertDecodeError(() => M.decodeFinished(ramp(32), 48), "Finished.verify_data");
  assert.equal(M.decodeFinished(ramp(48), 48).verifyData.length, 48);
});

Deno.test("RFC 8446 §4.6.1: NewSessionTicket ticket<1..2^16-1>, ticket_nonce<0..255>, extensions<0..2^16-2>", () => {
  assertDecodeError(
    () => M.decodeNewSessionTicket(fromHex("00000001 00000002 00 0000 0000")),
    "NewSessionTicket.ticket",
  );
  assertDecodeError(
    () => M.decodeNewSessionTicket(fromHex("00000001 00000002 05 aabb")),
    "NewSessionTicket.ticket_nonce",
  );
  assertDecodeError(
    () => M.decodeNewSessionTicket(fromHex("00000001 00000002 00 0001 aa ffff" + "00".repeat(0xffff))),
    "NewSessionTicket.extensions",
  );
  const nst = M.decodeNewSessionTicket(fromHex("ffffffff 00000002 00 0001 aa 0000"));
  assert.equal(nst.ticketLifetime, 0xffffffff);
  assert.equal(nst.ticketNonce.length, 0);
});

Deno.test("RFC 8446 §4.6.3: KeyUpdate request_update other than 0 or 1 is a DecodeError", () => {
  for (const bad of [2, 0x7f, 0xff]) {
    assertDecodeError(() => M.decodeKeyUpdate(Uint8Array.of(bad)), "KeyUpdate.request_update");
  }
  assertDecodeError(() => M.decodeKeyUpdate(new Uint8Array(0)), "KeyUpdate.request_update");
});

// ---------------------------------------------------------------------------------------------------------
// Extension bounds (RFC 8446 §4.2, RFC 6066 §3, RFC 7301 §3.1)

Deno.test("RFC 6066 §3: server_name needs one non-empty printable-ASCII host_name", () => {
  assertDecodeError(() => X.decodeServerName(fromHex("0000")), "ServerNameList.server_name_list");
  assertDecodeError(() => X.decodeServerName(fromHex("0003 00 0000")), "ServerName.name");
  assertDecodeError(
    () => X.decodeServerName(fromHex("0008 00 0001 61 00 0001 62")),
    "ServerNameList: more than one host_name",
  );
  assertDecodeError(() => X.decodeServerName(fromHex("0005 00 0002 c3a9")), "ServerName.host_name"); // "é"
  assertDecodeError(() => X.decodeServerName(fromHex("0006 00 0003 61 00 62")), "ServerName.host_name"); // NUL
  assertDecodeError(() => X.decodeServerName(fromHex("0005 00 0002 612e")), "ServerName.host_name"); // "a."
  assertDecodeError(() => X.decodeServerName(fromHex("0004 07 0001 61")), "ServerNameList: no host_name");
  // An entry of an unknown NameType is skipped.
  assert.equal(X.decodeServerName(fromHex("0008 07 0001 ff 00 0001 61")), "a");
});

Deno.test("RFC 8446 §4.2.1: supported_versions versions<2..254> is even; selected_version is two bytes", () => {
  assertDecodeError(() => X.decodeSupportedVersionsClient(fromHex("00")), "SupportedVersions.versions");
  assertDecodeError(
    () => X.decodeSupportedVersionsClient(fromHex("03 030403")),
    "SupportedVersions.versions",
  );
  assertDecodeError(
    () => X.decodeSupportedVersionsClient(fromHex("ff" + "03".repeat(255))),
    "SupportedVersions.versions",
  );
  assertDecodeError(() => X.decodeSupportedVersionsServer(fromHex("0304 00")), "supported_versions");
  assertDecodeError(
    () => X.decodeSupportedVersionsServer(fromHex("03")),
    "SupportedVersions.selected_version",
  );
});

Deno.test("RFC 8446 §4.2.7: supported_groups named_group_list<2..2^16-1> is non-empty and even", () => {
  assertDecodeError(() => X.decodeSupportedGroups(fromHex("0000")), "NamedGroupList.named_group_list");
  assertDecodeError(() => X.decodeSupportedGroups(fromHex("0003 001d00")), "NamedGroupList.named_group_list");
});

Deno.test("RFC 8446 §4.2.3: signature_algorithms <2..2^16-2> is non-empty, even and at most 65534 bytes", () => {
  const field = "SignatureSchemeList.supported_signature_algorithms";
  assertDecodeError(() => X.decodeSignatureAlgorithms(fromHex("0000")), field);
  assertDecodeError(() => X.decodeSignatureAlgorithms(fromHex("0003 040305")), field);
  assertDecodeError(() => X.decodeSignatureAlgorithms(fromHex("ffff" + "04".repeat(0xffff))), field);
});

Deno.test("RFC 8446 §4.2.8: key_share entries need key_exchange<1..2^16-1> and distinct groups", () => {
  assertDecodeError(() => X.decodeKeyShareClient(fromHex("0004 001d 0000")), "KeyShareEntry.key_exchange");
  assertDecodeError(
    () => X.decodeKeyShareClient(fromHex("000f 001d 0001 aa 0017 0001 bb 001d 0001 cc")),
    "KeyShareClientHello.client_shares: two entries",
  );
  assert.deepStrictEqual(X.decodeKeyShareClient(fromHex("0000")), []);
  assertDecodeError(() => X.decodeKeyShareServer(fromHex("001d 0000")), "KeyShareEntry.key_exchange");
  assertDecodeError(() => X.decodeKeyShareServer(fromHex("001d 0001 aa bb")), "key_share");
  assertDecodeError(() => X.decodeKeyShareHrr(fromHex("0017 00")), "key_share");
});

Deno.test("RFC 7301 §3.1: protocol_name_list<2..2^16-1> of ProtocolName<1..2^8-1>", () => {
  const list = "ProtocolNameList.protocol_name_list";
  assertDecodeError(() => X.decodeAlpn(fromHex("0000")), list);
  assertDecodeError(() => X.decodeAlpn(fromHex("0001 00")), list);
  assertDecodeError(() => X.decodeAlpn(fromHex("0003 00 01 61")), "ProtocolName");
  assert.deepStrictEqual(X.decodeAlpn(fromHex("0003 02 6832")), ["h2"]);
});

Deno.test("RFC 8446 §4.2.2: cookie<1..2^16-1> must not be empty", () => {
  assertDecodeError(() => X.decodeCookie(fromHex("0000")), "Cookie.cookie");
});

Deno.test("RFC 8446 §4.2.9: ke_modes<1..255> must not be empty", () => {
  assertDecodeError(() => X.decodePskKeyExchangeModes(fromHex("00")), "PskKeyExchangeModes.ke_modes");
});

// ---------------------------------------------------------------------------------------------------------
// Encoders refuse what the decoders reject

Deno.test("RFC 8446 §3.4: encoders throw RangeError for values outside the vector bounds", () => {
  const hello: M.ClientHello = {
    legacyVersion: 0x0303,
    random: ramp(32),
    legacySessionId: new Uint8Array(0),
    cipherSuites: [0x1301],
    legacyCompressionMethods: Uint8Array.of(0),
    extensions: [],
  };
  assert.throws(() => M.encodeClientHello({ ...hello, cipherSuites: [] }), RangeError);
  assert.throws(() => M.encodeClientHello({ ...hello, random: ramp(31) }), RangeError);
  assert.throws(() => M.encodeClientHello({ ...hello, legacySessionId: ramp(33) }), RangeError);
  assert.throws(
    () => M.encodeClientHello({ ...hello, extensions: [{ type: 0xfafa, data: new Uint8Array(0) }] }),
    RangeError,
  );
  assert.throws(
    () =>
      M.encodeEncryptedExtensions({
        extensions: [{ type: 1, data: new Uint8Array(0) }, { type: 1, data: new Uint8Array(0) }],
      }),
    RangeError,
  );
  assert.throws(
    () =>
      M.encodeCertificate({
        certificateRequestContext: new Uint8Array(0),
        certificateList: [{ certData: new Uint8Array(0), extensions: [] }],
      }),
    RangeError,
  );
  assert.throws(() => M.encodeKeyUpdate({ requestUpdate: 2 }), RangeError);
  assert.throws(
    () =>
      M.encodeNewSessionTicket({
        ticketLifetime: 1,
        ticketAgeAdd: 2,
        ticketNonce: new Uint8Array(0),
        ticket: new Uint8Array(0),
        extensions: [],
      }),
    RangeError,
  );
  assert.throws(() => X.encodeServerName(""), RangeError);
  assert.throws(() => X.encodeServerName("bücher.example"), RangeError);
  assert.throws(() => X.encodeServerName("example.com."), RangeError);
  assert.throws(() => X.encodeSupportedVersionsClient([]), RangeError);
  assert.throws(() => X.encodeSignatureAlgorithms([0x10000]), RangeError);
  assert.throws(() => X.encodeKeyShareClient([{ group: 0x1d, keyExchange: new Uint8Array(0) }]), RangeError);
  assert.throws(
    () =>
      X.encodeKeyShareClient([{ group: 0x1d, keyExchange: ramp(1) }, { group: 0x1d, keyExchange: ramp(2) }]),
    RangeError,
  );
  assert.throws(() => X.encodeAlpn([]), RangeError);
  assert.throws(() => X.encodeAlpn([""]), RangeError);
  assert.throws(() => X.encodeAlpn(["h\u0100"]), RangeError);
  assert.throws(() => X.encodeCookie(new Uint8Array(0)), RangeError);
  assert.throws(() => X.encodePskKeyExchangeModes([]), RangeError);
});
