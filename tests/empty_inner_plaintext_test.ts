/**
 * RFC 8446 §5.4: a protected record whose inner plaintext has no content type — empty, or only zero padding —
 * is unexpected_message, decided after it was decrypted: a record of just a 16-byte tag that authenticates is
 * the peer's protocol error, one that does not is bad_record_mac (§5.2).
 */
import assert from "node:assert/strict";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import { ContentType, encodeRecord, HEADER_LENGTH, recordHeader, type TlsRecord } from "../record/framing.ts";
import { recordNonce, Tls13RecordProtection } from "../record/protection13.ts";

const key = new Uint8Array(16).fill(3);
const iv = new Uint8Array(12).fill(9);

function parse(bytes: Uint8Array): TlsRecord {
  return {
    type: bytes[0],
    version: (bytes[1] << 8) | bytes[2],
    header: bytes.subarray(0, HEADER_LENGTH),
    fragment: bytes.subarray(HEADER_LENGTH),
  };
}

/** A TLS 1.3 record whose encrypted inner plaintext is exactly `inner` (no content type added). */
async function sealedInner(inner: Uint8Array): Promise<Uint8Array> {
  const aead = await webCrypto.importAead("AES-128-GCM", key);
  const header = recordHeader(ContentType.application_data, 0x0303, inner.length + 16);
  return encodeRecord(
    ContentType.application_data,
    0x0303,
    await aead.seal(recordNonce(iv, 0n), header, inner),
  );
}

const isAlert = (alert: string) => (e: unknown) => e instanceof TlsAlertError && e.alert === alert;

Deno.test("RFC 8446 §5.4: an authentic record with an empty inner plaintext is unexpected_message", async () => {
  const record = await sealedInner(new Uint8Array(0));
  assert.equal(record.length, HEADER_LENGTH + 16, "just the tag");
  const reader = new Tls13RecordProtection(await webCrypto.importAead("AES-128-GCM", key), iv);
  await assert.rejects(reader.open(parse(record)), isAlert("unexpected_message"));
});

Deno.test("RFC 8446 §5.2: a forged record of just a tag is bad_record_mac", async () => {
  const record = await sealedInner(new Uint8Array(0));
  record[HEADER_LENGTH] ^= 1;
  const reader = new Tls13RecordProtection(await webCrypto.importAead("AES-128-GCM", key), iv);
  await assert.rejects(reader.open(parse(record)), isAlert("bad_record_mac"));
});

Deno.test("RFC 8446 §5.4: an inner plaintext of zero padding only is unexpected_message", async () => {
  const reader = new Tls13RecordProtection(await webCrypto.importAead("AES-128-GCM", key), iv);
  await assert.rejects(
    reader.open(parse(await sealedInner(new Uint8Array(5)))),
    isAlert("unexpected_message"),
  );
});

Deno.test("RFC 8446 §5.2: a record shorter than a tag is bad_record_mac", async () => {
  const reader = new Tls13RecordProtection(await webCrypto.importAead("AES-128-GCM", key), iv);
  const short = encodeRecord(ContentType.application_data, 0x0303, new Uint8Array(15));
  await assert.rejects(reader.open(parse(short)), isAlert("bad_record_mac"));
});
