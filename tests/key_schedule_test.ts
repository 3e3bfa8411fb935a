/**
 * The values the key schedule knows in advance (RFC 8446 §7.1), recomputed through the provider; the split
 * Finished computation (§4.4.4) against the one-step one; transcript hashes started early; and the
 * provider's HMAC key cache.
 */
import assert from "node:assert/strict";
import { webCrypto } from "../crypto/webcrypto.ts";
import { deriveSecret } from "../crypto/tls13_hkdf.ts";
import { TLS13_SUITES } from "../handshake/constants.ts";
import {
  EarlySecret,
  finishedKey,
  finishedVerifyData,
  HASH_ONLY_VALUES,
  verifyDataWith,
} from "../handshake/key_schedule.ts";
import { Transcript } from "../handshake/transcript.ts";
import { cachingHmacFunctions, hkdfExpand as plainExpand, hmac as plainHmac } from "../crypto/hash.ts";

for (const [hash, known] of Object.entries(HASH_ONLY_VALUES)) {
  Deno.test(`RFC 8446 §7.1: ${hash} Hash(""), zero Early Secret and its "derived" secret are right`, async () => {
    const h = hash as keyof typeof HASH_ONLY_VALUES;
    const length = h === "SHA-256" ? 32 : 48;
    const zeros = new Uint8Array(length);
    const empty = await webCrypto.hash(h, new Uint8Array(0));
    const early = await webCrypto.hkdfExtract(h, zeros, zeros);
    const derived = await deriveSecret(webCrypto, h, length, early, "derived", empty);
    assert.equal(empty.toHex(), known.emptyHash);
    assert.equal(early.toHex(), known.zeroEarlySecret);
    assert.equal(derived.toHex(), known.zeroDerived);
  });
}

Deno.test("RFC 8446 §7.1: the precomputed zero-PSK path gives the same Handshake Secret as a PSK of zeros", async () => {
  for (const suite of TLS13_SUITES) {
    const shared = webCrypto.randomBytes(32);
    const fast = await (await EarlySecret.create(webCrypto, suite)).advance(shared);
    // An explicit all-zero PSK is the same input (RFC 8446 §7.1) but takes the computed path.
    const slow = await (await EarlySecret.create(webCrypto, suite, new Uint8Array(suite.hashLength)))
      .advance(shared);
    const hello = webCrypto.randomBytes(suite.hashLength);
    assert.deepEqual(await fast.trafficSecrets(hello), await slow.trafficSecrets(hello));
    assert.deepEqual(
      await (await fast.advance()).applicationSecrets(hello),
      await (await slow.advance()).applicationSecrets(hello),
    );
  }
});

Deno.test("RFC 8446 §4.4.4: verify_data from a finished_key derived early equals the one-step value", async () => {
  const suite = TLS13_SUITES[0];
  const base = webCrypto.randomBytes(suite.hashLength);
  const hash = webCrypto.randomBytes(suite.hashLength);
  assert.deepEqual(
    await verifyDataWith(webCrypto, suite, await finishedKey(webCrypto, suite, base), hash),
    await finishedVerifyData(webCrypto, suite, base, hash),
  );
});

Deno.test("RFC 8446 §4.4.1: a transcript hash started early covers the messages of that moment", async () => {
  const transcript = new Transcript();
  transcript.add(Uint8Array.of(1, 0, 0, 1, 7));
  const early = transcript.hash(webCrypto, "SHA-256");
  assert.equal(transcript.hash(webCrypto, "SHA-256"), early, "same point: same promise");
  transcript.add(Uint8Array.of(2, 0, 0, 1, 8));
  const later = transcript.hash(webCrypto, "SHA-256");
  assert.notEqual(later, early);
  assert.deepEqual(await early, await webCrypto.hash("SHA-256", Uint8Array.of(1, 0, 0, 1, 7)));
  assert.deepEqual(await later, await webCrypto.hash("SHA-256", Uint8Array.of(1, 0, 0, 1, 7, 2, 0, 0, 1, 8)));
});

Deno.test("RFC 5869 §2.3: the provider's cached HMAC keys follow the key bytes, not the array", async () => {
  const { hkdfExpand, hmac } = cachingHmacFunctions();
  const prk = new Uint8Array(32).fill(1);
  const info = new TextEncoder().encode("info");
  const first = await hkdfExpand("SHA-256", prk, info, 32);
  assert.deepEqual(await hkdfExpand("SHA-256", prk, info, 32), first, "same key: same output");
  assert.deepEqual(first, await plainExpand("SHA-256", prk, info, 32));
  prk.fill(2); // the same array, other bytes: another key
  assert.deepEqual(await hkdfExpand("SHA-256", prk, info, 32), await plainExpand("SHA-256", prk, info, 32));
  assert.notDeepEqual(await hkdfExpand("SHA-256", prk, info, 32), first);
  // The same bytes under another hash are another key too.
  assert.deepEqual(await hmac("SHA-384", prk, info), await plainHmac("SHA-384", prk, info));
  // Truncated and multi-block outputs (RFC 5869 allows L up to 255·HashLen).
  assert.deepEqual(
    await hkdfExpand("SHA-256", prk, info, 12),
    (await plainExpand("SHA-256", prk, info, 32)).slice(0, 12),
  );
  assert.deepEqual(await hkdfExpand("SHA-256", prk, info, 80), await plainExpand("SHA-256", prk, info, 80));
});
