/** Record layer: framing, limits, reassembly, TLS 1.3 protection (RFC 8446 §5). */
import assert from "node:assert/strict";
import { concat, fromHex } from "../bytes.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import { decodeAlert, encodeAlert } from "../record/alert.ts";
import { ContentType, encodeRecord, MAX_CIPHERTEXT_TLS13, RecordReader } from "../record/framing.ts";
import { HandshakeReassembler, MAX_CLIENT_HELLO } from "../record/handshake_reassembler.ts";
import { recordNonce, Tls13RecordProtection } from "../record/protection13.ts";

const isAlert = (alert: string) => (e: unknown) => e instanceof TlsAlertError && e.alert === alert;

Deno.test("RFC 8446 §5.1: records are split out of a byte stream delivered one byte at a time", () => {
  const a = encodeRecord(ContentType.handshake, 0x0303, new Uint8Array([1, 2, 3]));
  const b = encodeRecord(ContentType.alert, 0x0303, new Uint8Array([1, 0]));
  const reader = new RecordReader();
  const records = [];
  for (const byte of concat(a, b)) {
    reader.push(new Uint8Array([byte]));
    for (let r = reader.next(); r; r = reader.next()) records.push(r);
  }
  assert.equal(records.length, 2);
  assert.deepEqual(records[0].fragment, new Uint8Array([1, 2, 3]));
  assert.deepEqual(records[0].header, a.subarray(0, 5));
  assert.equal(records[1].type, ContentType.alert);
  assert.equal(reader.buffered, 0);
});

Deno.test("RFC 8446 §5.2: a record longer than 2^14+256 bytes is record_overflow, before its body arrives", () => {
  const reader = new RecordReader();
  const length = MAX_CIPHERTEXT_TLS13 + 1;
  reader.push(new Uint8Array([23, 3, 3, length >> 8, length & 0xff]));
  assert.throws(() => reader.next(), isAlert("record_overflow"));
  const ok = new RecordReader();
  ok.push(new Uint8Array([23, 3, 3, MAX_CIPHERTEXT_TLS13 >> 8, MAX_CIPHERTEXT_TLS13 & 0xff]));
  assert.equal(ok.next(), undefined, "a maximal record is waited for, not refused");
});

Deno.test("RFC 8446 §5: an unknown content type is unexpected_message; a non-TLS version is decode_error", () => {
  const r1 = new RecordReader();
  r1.push(new Uint8Array([99, 3, 3, 0, 1, 0]));
  assert.throws(() => r1.next(), isAlert("unexpected_message"));
  const r2 = new RecordReader();
  r2.push(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
  assert.throws(() => r2.next(), isAlert("unexpected_message"));
  const r3 = new RecordReader();
  r3.push(new Uint8Array([22, 0x7f, 3, 0, 1, 0]));
  assert.throws(() => r3.next(), isAlert("decode_error"));
});

Deno.test("RFC 8446 §5.1: handshake messages spanning records and sharing a record are reassembled", () => {
  const m1 = fromHex("0800000400020000"); // EncryptedExtensions with an empty list... 4-byte body
  const m2 = concat(fromHex("0b000100"), new Uint8Array(256).fill(7));
  const stream = concat(m1, m2);
  const r = new HandshakeReassembler();
  r.push(stream.subarray(0, 3));
  assert.equal(r.next(), undefined);
  r.push(stream.subarray(3, 100));
  const first = r.next();
  assert.deepEqual(first?.raw, m1);
  assert.equal(first?.type, 8);
  assert.equal(r.next(), undefined);
  assert.equal(r.empty, false);
  r.push(stream.subarray(100));
  const second = r.next();
  assert.deepEqual(second?.body, m2.subarray(4));
  assert.equal(r.empty, true);
});

Deno.test("RFC 8446 §5.1, §6.2: zero-length handshake fragments are unexpected_message, over-limit messages decode_error", () => {
  const r = new HandshakeReassembler(1000);
  assert.throws(() => r.push(new Uint8Array(0)), isAlert("unexpected_message"));
  r.push(fromHex("0b0003e9"));
  assert.throws(() => r.next(), isAlert("decode_error"));
});

Deno.test("RFC 8446 §4.1.2: a ClientHello may be as long as its syntax allows (131 396 bytes), across records", () => {
  assert.equal(MAX_CLIENT_HELLO, 131_396);
  // The longest ClientHello, in records of 2^14 bytes: accepted, although over the 64 KiB of other messages.
  const body = new Uint8Array(MAX_CLIENT_HELLO).fill(0x5a);
  const message = concat(
    Uint8Array.of(1, MAX_CLIENT_HELLO >> 16, (MAX_CLIENT_HELLO >> 8) & 0xff, MAX_CLIENT_HELLO & 0xff),
    body,
  );
  const r = new HandshakeReassembler();
  for (let offset = 0; offset < message.length; offset += 16384) {
    assert.equal(r.next(), undefined);
    r.push(message.subarray(offset, offset + 16384));
  }
  const whole = r.next();
  assert.equal(whole?.type, 1);
  assert.equal(whole?.body.length, MAX_CLIENT_HELLO);
  assert.equal(r.empty, true);
  // One byte more, or any length up to 2^24 - 1, is decode_error on the header alone.
  for (const length of [MAX_CLIENT_HELLO + 1, 0x30000, 0xffffff]) {
    const over = new HandshakeReassembler();
    over.push(Uint8Array.of(1, length >> 16, (length >> 8) & 0xff, length & 0xff));
    assert.throws(() => over.next(), isAlert("decode_error"), `length ${length}`);
  }
  // Other messages keep the 64 KiB cap.
  const cert = new HandshakeReassembler();
  cert.push(Uint8Array.of(11, 0x01, 0x00, 0x01));
  assert.throws(() => cert.next(), isAlert("decode_error"));
});

Deno.test("RFC 8446 §5.3: the nonce is the IV XOR the left-padded sequence number", () => {
  const iv = fromHex("5d313eb2671276ee13000b30");
  assert.deepEqual(recordNonce(iv, 0n), iv);
  assert.deepEqual(recordNonce(iv, 1n), fromHex("5d313eb2671276ee13000b31"));
  assert.deepEqual(recordNonce(iv, 0x0102030405060708n), fromHex("5d313eb2661075ea16060c38"));
});

async function pair(aead: "AES-128-GCM" | "AES-256-GCM" | "ChaCha20-Poly1305") {
  const keyLength = aead === "AES-128-GCM" ? 16 : 32;
  const key = webCrypto.randomBytes(keyLength);
  const iv = webCrypto.randomBytes(12);
  return {
    writer: new Tls13RecordProtection(await webCrypto.importAead(aead, key), iv),
    reader: new Tls13RecordProtection(await webCrypto.importAead(aead, key), iv),
  };
}

function parse(record: Uint8Array) {
  const r = new RecordReader();
  r.push(record);
  const out = r.next();
  assert.ok(out);
  return out;
}

for (const aead of ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"] as const) {
  Deno.test(`RFC 8446 §5.2: ${aead} records round-trip in order with padding hidden inside`, async () => {
    const { writer, reader } = await pair(aead);
    const sealed = await Promise.all([
      writer.seal(ContentType.application_data, new Uint8Array([1, 2, 3])),
      writer.seal(ContentType.handshake, new Uint8Array(16384).fill(9)),
      writer.seal(ContentType.alert, new Uint8Array([1, 0]), 100),
    ]);
    assert.equal(sealed[0][0], ContentType.application_data, "outer type is always application_data");
    assert.equal(sealed[2].length, 5 + 2 + 1 + 100 + 16);
    const opened = [];
    for (const s of sealed) opened.push(await reader.open(parse(s)));
    assert.deepEqual(opened.map((o) => o.type), [23, 22, 21]);
    assert.deepEqual(opened[0].content, new Uint8Array([1, 2, 3]));
    assert.equal(opened[1].content.length, 16384);
    assert.deepEqual(opened[2].content, new Uint8Array([1, 0]));
  });
}

Deno.test("RFC 8446 §5.2: a record opened out of order, altered, or with a changed header is bad_record_mac", async () => {
  const { writer, reader } = await pair("AES-128-GCM");
  const a = await writer.seal(ContentType.application_data, new Uint8Array([1]));
  const b = await writer.seal(ContentType.application_data, new Uint8Array([2]));
  await assert.rejects(reader.open(parse(b)), isAlert("bad_record_mac"));
  const { writer: w2, reader: r2 } = await pair("AES-128-GCM");
  const c = await w2.seal(ContentType.application_data, new Uint8Array([1, 2, 3, 4]));
  c[7] ^= 0x80;
  await assert.rejects(r2.open(parse(c)), isAlert("bad_record_mac"));
  void a;
});

Deno.test("RFC 8446 §5.4: an inner plaintext of only zeros is unexpected_message", async () => {
  const keyBytes = webCrypto.randomBytes(16);
  const iv = webCrypto.randomBytes(12);
  const aead = await webCrypto.importAead("AES-128-GCM", keyBytes);
  const reader = new Tls13RecordProtection(await webCrypto.importAead("AES-128-GCM", keyBytes), iv);
  const inner = new Uint8Array(10); // no content type byte at all
  const header = new Uint8Array([23, 3, 3, 0, 26]);
  const ct = await aead.seal(recordNonce(iv, 0n), header, inner);
  await assert.rejects(reader.open(parse(concat(header, ct))), isAlert("unexpected_message"));
});

Deno.test("RFC 8446 §5.4: an inner plaintext over 2^14 bytes is record_overflow", async () => {
  const keyBytes = webCrypto.randomBytes(16);
  const iv = webCrypto.randomBytes(12);
  const aead = await webCrypto.importAead("AES-128-GCM", keyBytes);
  const reader = new Tls13RecordProtection(await webCrypto.importAead("AES-128-GCM", keyBytes), iv);
  const inner = new Uint8Array(16385 + 1).fill(1);
  const length = inner.length + 16;
  const header = new Uint8Array([23, 3, 3, length >> 8, length & 0xff]);
  const ct = await aead.seal(recordNonce(iv, 0n), header, inner);
  await assert.rejects(reader.open(parse(concat(header, ct))), isAlert("record_overflow"));
});

Deno.test("RFC 8446 §6: alerts encode as level and description; malformed alerts are refused", () => {
  assert.deepEqual(encodeAlert("close_notify"), new Uint8Array([1, 0]));
  assert.deepEqual(encodeAlert("handshake_failure"), new Uint8Array([2, 40]));
  assert.equal(decodeAlert(new Uint8Array([2, 48])).name, "unknown_ca");
  assert.throws(() => decodeAlert(new Uint8Array(0)), isAlert("unexpected_message"), "RFC 8446 §5.4");
  assert.throws(() => decodeAlert(new Uint8Array([2])), isAlert("decode_error"));
  assert.throws(() => decodeAlert(new Uint8Array([2, 40, 0])), isAlert("decode_error"));
  assert.throws(() => decodeAlert(new Uint8Array([3, 40])), isAlert("illegal_parameter"));
});
