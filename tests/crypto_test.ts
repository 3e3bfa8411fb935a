/**
 * Tests of the WebCrypto provider (`crypto/`): Wycheproof vectors (C2SP/wycheproof testvectors_v1) fed
 * through the provider's public methods, RFC known answers, and the rejection paths TLS relies on.
 *
 * Every vector test counts the vectors it checked and asserts the exact expected number, so a filter that
 * silently skips everything cannot pass.
 */

import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import {
  AeadDecryptError,
  type AeadName,
  CryptoInputError,
  type CurveName,
  type GroupName,
  type HashName,
  type PublicKeyInfo,
  type SignatureAlgorithm,
} from "../crypto/provider.ts";
import { createWebCryptoProvider, webCrypto } from "../crypto/webcrypto.ts";
import {
  importEcdhKeyExchange,
  importX25519KeyExchange,
  importX25519MlKem768KeyExchange,
} from "../crypto/key_exchange.ts";
import { encodeOid, encodeTlv, Oid, Tag } from "../crypto/_der.ts";
import { ecdsaDerToRaw, ecdsaRawToDer } from "../crypto/_ecdsa_encoding.ts";
import { isValidEncapsulationKey } from "../crypto/_mlkem.ts";

const provider = webCrypto;
const hex = (s: string): Uint8Array => Uint8Array.fromHex(s);

// ---------------------------------------------------------------------------------------------------------
// Wycheproof plumbing

type Result = "valid" | "invalid" | "acceptable";
interface VectorFile<G, T> {
  readonly testGroups: readonly (G & { readonly tests: readonly (T & VectorBase)[] })[];
}
interface VectorBase {
  readonly tcId: number;
  readonly comment?: string;
  readonly flags: readonly string[];
  readonly result: Result;
}

async function loadVectors<G, T>(file: string): Promise<VectorFile<G, T>> {
  const url = new URL(`./vectors/wycheproof/${file}`, import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs `check` on every test of every group (at most `batch` in flight) and returns how many ran. A check
 * returns a failure description or undefined; all failures are reported together.
 */
async function runVectors<G, T>(
  file: VectorFile<G, T>,
  check: (group: G, test: T & VectorBase) => Promise<string | undefined>,
  options: { batch?: number; groupFilter?: (group: G) => boolean } = {},
): Promise<number> {
  const jobs: (() => Promise<string | undefined>)[] = [];
  for (const group of file.testGroups) {
    if (options.groupFilter && !options.groupFilter(group)) continue;
    for (const test of group.tests) {
      jobs.push(async () => {
        try {
          const failure = await check(group, test);
          return failure && `tcId ${test.tcId} (${test.result}, ${test.comment ?? ""}): ${failure}`;
        } catch (e) {
          return `tcId ${test.tcId} (${test.result}, ${test.comment ?? ""}): threw ${e}`;
        }
      });
    }
  }
  const batch = options.batch ?? 64;
  const failures: string[] = [];
  for (let i = 0; i < jobs.length; i += batch) {
    const results = await Promise.all(jobs.slice(i, i + batch).map((job) => job()));
    for (const r of results) if (r) failures.push(r);
  }
  assert.deepEqual(failures, []);
  return jobs.length;
}

function assertCount(checked: number, expected: number): void {
  assert.ok(checked > 0, "no vector was checked");
  assert.equal(checked, expected, "number of vectors checked");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Checks a boolean outcome against a Wycheproof result ("acceptable" allows either). */
function expectBoolean(result: Result, got: boolean): string | undefined {
  if (result === "acceptable") return undefined;
  return got === (result === "valid") ? undefined : `got ${got}`;
}

/** Checks an outcome that must equal `expected` when valid and fail with `errorType` when invalid. */
function expectValue(
  result: Result,
  got: Outcome<Uint8Array>,
  expected: Uint8Array,
  errorType: new (...args: never[]) => Error,
): string | undefined {
  if (got.ok) {
    if (result === "invalid") return `accepted, gave ${got.value.toHex()}`;
    return sameBytes(got.value, expected) ? undefined : `got ${got.value.toHex()}, want ${expected.toHex()}`;
  }
  if (!(got.error instanceof errorType)) return `threw ${got.error}, not ${errorType.name}`;
  return result === "valid" ? `rejected: ${got.error}` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// AEAD

interface AeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
}
interface AeadTest {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}

async function checkAead(name: AeadName, group: AeadGroup, test: AeadTest & VectorBase) {
  assert.equal(group.tagSize, 128);
  const aead = await provider.importAead(name, hex(test.key));
  const iv = hex(test.iv), aad = hex(test.aad);
  const sealed = concat(hex(test.ct), hex(test.tag));
  if (test.result === "valid") {
    const got = await aead.seal(iv, aad, hex(test.msg));
    if (!sameBytes(got, sealed)) return `seal gave ${got.toHex()}`;
  }
  return expectValue(test.result, await outcome(aead.open(iv, aad, sealed)), hex(test.msg), AeadDecryptError);
}

Deno.test("Wycheproof aes_gcm_test: AES-128/256-GCM with 96-bit nonces (RFC 8446 §5.3)", async () => {
  const file = await loadVectors<AeadGroup, AeadTest>("aes_gcm_test.json");
  const checked = await runVectors(
    file,
    (group, test) => checkAead(group.keySize === 128 ? "AES-128-GCM" : "AES-256-GCM", group, test),
    // WebCrypto only takes 96-bit IVs, which is all TLS uses; AES-192 is not a TLS AEAD.
    { groupFilter: (g) => g.ivSize === 96 && (g.keySize === 128 || g.keySize === 256) },
  );
  assertCount(checked, 133);
});

Deno.test("Wycheproof chacha20_poly1305_test: ChaCha20-Poly1305 (RFC 8439) with 96-bit nonces", async () => {
  const file = await loadVectors<AeadGroup, AeadTest>("chacha20_poly1305_test.json");
  const checked = await runVectors(file, (group, test) => checkAead("ChaCha20-Poly1305", group, test), {
    groupFilter: (g) => g.ivSize === 96,
  });
  assertCount(checked, 316);
});

Deno.test("RFC 5116 §2.2: AEAD open of a flipped bit in ciphertext, tag or AAD throws AeadDecryptError", async () => {
  for (const name of ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"] as const) {
    const aead = await provider.importAead(name, provider.randomBytes(name === "AES-128-GCM" ? 16 : 32));
    assert.equal(aead.name, name);
    const nonce = provider.randomBytes(12), aad = hex("170303001a");
    const plaintext = new TextEncoder().encode("hello, world");
    const sealed = await aead.seal(nonce, aad, plaintext);
    assert.equal(sealed.length, plaintext.length + 16);
    assert.deepEqual(await aead.open(nonce, aad, sealed), plaintext);
    for (const index of [0, plaintext.length - 1, plaintext.length, sealed.length - 1]) {
      const flipped = sealed.slice();
      flipped[index] ^= 0x01;
      await assert.rejects(aead.open(nonce, aad, flipped), AeadDecryptError, `${name} byte ${index}`);
    }
    const otherAad = aad.slice();
    otherAad[4] ^= 0x80;
    await assert.rejects(aead.open(nonce, otherAad, sealed), AeadDecryptError);
    await assert.rejects(
      aead.open(nonce, aad, sealed.subarray(0, 15)),
      AeadDecryptError,
      "shorter than a tag",
    );
    await assert.rejects(aead.open(nonce, aad, new Uint8Array(0)), AeadDecryptError, "empty");
  }
});

Deno.test("RFC 8446 §5.3: AEAD nonces must be 12 bytes; keys must have the AEAD's length", async () => {
  const aead = await provider.importAead("AES-128-GCM", new Uint8Array(16));
  const chacha = await provider.importAead("ChaCha20-Poly1305", new Uint8Array(32));
  for (const n of [0, 8, 11, 13, 16]) {
    await assert.rejects(aead.seal(new Uint8Array(n), new Uint8Array(0), new Uint8Array(1)), RangeError);
    await assert.rejects(aead.open(new Uint8Array(n), new Uint8Array(0), new Uint8Array(17)), RangeError);
    await assert.rejects(chacha.seal(new Uint8Array(n), new Uint8Array(0), new Uint8Array(1)), RangeError);
    await assert.rejects(chacha.open(new Uint8Array(n), new Uint8Array(0), new Uint8Array(17)), RangeError);
  }
  await assert.rejects(provider.importAead("AES-128-GCM", new Uint8Array(32)), RangeError);
  await assert.rejects(provider.importAead("AES-256-GCM", new Uint8Array(16)), RangeError);
  await assert.rejects(provider.importAead("ChaCha20-Poly1305", new Uint8Array(16)), RangeError);
});

// ---------------------------------------------------------------------------------------------------------
// Hashes, HMAC, HKDF

interface MacGroup {
  tagSize: number;
}
interface MacTest {
  key: string;
  msg: string;
  tag: string;
}

for (
  const [file, hash, expected] of [["hmac_sha256_test.json", "SHA-256", 174], [
    "hmac_sha384_test.json",
    "SHA-384",
    174,
  ]] as const
) {
  Deno.test(`Wycheproof ${file}: HMAC-${hash} (RFC 2104), truncated tags compared on their prefix`, async () => {
    const vectors = await loadVectors<MacGroup, MacTest>(file);
    const checked = await runVectors(vectors, async (group, test) => {
      const mac = (await provider.hmac(hash, hex(test.key), hex(test.msg))).subarray(0, group.tagSize / 8);
      return expectBoolean(test.result, sameBytes(mac, hex(test.tag)));
    });
    assertCount(checked, expected);
  });
}

interface HkdfTest {
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
}

for (
  const [file, hash, expected] of [["hkdf_sha256_test.json", "SHA-256", 86], [
    "hkdf_sha384_test.json",
    "SHA-384",
    83,
  ]] as const
) {
  Deno.test(`Wycheproof ${file}: HKDF-${hash} Extract then Expand (RFC 5869 §2)`, async () => {
    const vectors = await loadVectors<unknown, HkdfTest>(file);
    const checked = await runVectors(vectors, async (_group, test) => {
      const got = await outcome(
        provider.hkdfExtract(hash, hex(test.salt), hex(test.ikm)).then((prk) =>
          provider.hkdfExpand(hash, prk, hex(test.info), test.size)
        ),
      );
      // The only invalid vectors ask for more than 255·HashLen bytes.
      return expectValue(test.result, got, hex(test.okm), RangeError);
    });
    assertCount(checked, expected);
  });
}

Deno.test("RFC 5869 A.1 and A.3: HKDF-SHA256 known answers (A.3: empty salt means HashLen zeros)", async () => {
  const prk1 = await provider.hkdfExtract(
    "SHA-256",
    hex("000102030405060708090a0b0c"),
    hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
  );
  assert.equal(prk1.toHex(), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  const okm1 = await provider.hkdfExpand("SHA-256", prk1, hex("f0f1f2f3f4f5f6f7f8f9"), 42);
  assert.equal(
    okm1.toHex(),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  );

  const prk3 = await provider.hkdfExtract("SHA-256", new Uint8Array(0), hex("0b".repeat(22)));
  assert.equal(prk3.toHex(), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  const okm3 = await provider.hkdfExpand("SHA-256", prk3, new Uint8Array(0), 42);
  assert.equal(
    okm3.toHex(),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  );
  assert.equal((await provider.hkdfExpand("SHA-256", prk3, new Uint8Array(0), 0)).length, 0);
  await assert.rejects(provider.hkdfExpand("SHA-256", prk3, new Uint8Array(0), 255 * 32 + 1), RangeError);
});

Deno.test('FIPS 180-4 / RFC 2104: SHA-2 of "abc" and HMAC with an empty key (same as one zero byte)', async () => {
  const abc = new TextEncoder().encode("abc");
  assert.equal(
    (await provider.hash("SHA-256", abc)).toHex(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    (await provider.hash("SHA-384", abc)).toHex(),
    "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
  );
  assert.equal((await provider.hash("SHA-512", abc)).length, 64);
  const empty = await provider.hmac("SHA-256", new Uint8Array(0), abc);
  assert.deepEqual(empty, await provider.hmac("SHA-256", new Uint8Array(1), abc));
  assert.deepEqual(empty, await provider.hmac("SHA-256", new Uint8Array(64), abc));
});

// ---------------------------------------------------------------------------------------------------------
// Key exchange

interface XdhTest {
  public: string;
  private: string;
  shared: string;
}

Deno.test("Wycheproof x25519_test: X25519 (RFC 7748 §5); all-zero results rejected (RFC 8446 §7.4.2)", async () => {
  const vectors = await loadVectors<unknown, XdhTest>("x25519_test.json");
  const checked = await runVectors(vectors, async (_group, test) => {
    const kx = await importX25519KeyExchange(hex(test.private));
    const got = await outcome(kx.complete(hex(test.public)));
    if (test.flags.includes("ZeroSharedSecret")) {
      return !got.ok && got.error instanceof CryptoInputError ? undefined : "all-zero secret not rejected";
    }
    // "acceptable" vectors (twist points, non-canonical u) may go either way, but a result must be right.
    return expectValue(test.result, got, hex(test.shared), CryptoInputError);
  });
  assertCount(checked, 518);
});

Deno.test("RFC 7748 §6.1: X25519 key exchange with fixed private keys", async () => {
  const alice = await importX25519KeyExchange(
    hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
  );
  const bob = await importX25519KeyExchange(
    hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"),
  );
  assert.equal(alice.group, "X25519");
  assert.equal(alice.publicKey.toHex(), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  assert.equal(bob.publicKey.toHex(), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
  assert.equal((await alice.complete(bob.publicKey)).toHex(), shared);
  assert.equal((await bob.complete(alice.publicKey)).toHex(), shared);
  await assert.rejects(importX25519KeyExchange(new Uint8Array(31)), RangeError);
});

Deno.test("RFC 7748 §6.1 / RFC 8446 §7.4.2: X25519 with a low-order share (all-zero secret) is rejected", async () => {
  const kx = await provider.startKeyExchange("X25519");
  const lowOrder = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  ];
  for (const share of lowOrder) {
    await assert.rejects(kx.complete(hex(share)), CryptoInputError, share);
    await assert.rejects(provider.respondKeyExchange("X25519", hex(share)), CryptoInputError, share);
  }
});

interface EcdhTest {
  public: string;
  private: string;
  shared: string;
}

for (
  const [file, group, expected] of [["ecdh_secp256r1_ecpoint_test.json", "P-256", 355], [
    "ecdh_secp384r1_ecpoint_test.json",
    "P-384",
    790,
  ]] as const
) {
  Deno.test(`Wycheproof ${file}: ${group} ECDH with uncompressed key shares (RFC 8446 §4.2.8.2)`, async () => {
    const vectors = await loadVectors<unknown, EcdhTest>(file);
    const checked = await runVectors(vectors, async (_group, test) => {
      const kx = await importEcdhKeyExchange(group, hex(test.private));
      const got = await outcome(kx.complete(hex(test.public)));
      // The only "acceptable" vector is a compressed point, which TLS 1.3 forbids: we reject it.
      if (test.flags.includes("CompressedPublic")) return got.ok ? "compressed point accepted" : undefined;
      return expectValue(test.result, got, hex(test.shared), CryptoInputError);
    });
    assertCount(checked, expected);
  });
}

Deno.test("RFC 8446 §4.2.8: start → respond → complete agree for every group", async () => {
  const expectedShares: Record<GroupName, [number, number, number]> = {
    "X25519": [32, 32, 32],
    "P-256": [65, 65, 32],
    "P-384": [97, 97, 48],
    "P-521": [133, 133, 66],
    "X448": [56, 56, 56],
    "X25519MLKEM768": [1184 + 32, 1088 + 32, 64],
  };
  for (const [group, [clientLength, serverLength, secretLength]] of Object.entries(expectedShares)) {
    const client = await provider.startKeyExchange(group as GroupName);
    assert.equal(client.group, group);
    assert.equal(client.publicKey.length, clientLength, group);
    const server = await provider.respondKeyExchange(group as GroupName, client.publicKey);
    assert.equal(server.publicKey.length, serverLength, group);
    assert.equal(server.sharedSecret.length, secretLength, group);
    assert.deepEqual(await client.complete(server.publicKey), server.sharedSecret, group);
  }
});

Deno.test("draft-ietf-tls-ecdhe-mlkem: X25519MLKEM768 secret is ML-KEM secret ‖ X25519 secret", async () => {
  const client = await provider.startKeyExchange("X25519MLKEM768");
  const server = await provider.respondKeyExchange("X25519MLKEM768", client.publicKey);
  const secret = await client.complete(server.publicKey);
  assert.equal(secret.length, 64);
  assert.deepEqual(secret, server.sharedSecret);
  // The X25519 halves of the shares are ordinary X25519 public keys: check the second half of the secret
  // against an X25519 exchange done by hand with a fixed key.
  const fixed = await importX25519KeyExchange(
    hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
  );
  const withFixed = await provider.respondKeyExchange(
    "X25519MLKEM768",
    concat(client.publicKey.subarray(0, 1184), fixed.publicKey),
  );
  assert.deepEqual(
    withFixed.sharedSecret.subarray(32),
    await fixed.complete(withFixed.publicKey.subarray(1088)),
  );
});

Deno.test("RFC 8446 §4.2.8: malformed key shares are rejected with CryptoInputError", async () => {
  const validLengths: Record<GroupName, [number, number]> = {
    "X25519": [32, 32],
    "P-256": [65, 65],
    "P-384": [97, 97],
    "P-521": [133, 133],
    "X448": [56, 56],
    "X25519MLKEM768": [1216, 1120],
  };
  for (const [name, [clientLength, serverLength]] of Object.entries(validLengths)) {
    const group = name as GroupName;
    const kx = await provider.startKeyExchange(group);
    for (const delta of [-clientLength, -1, 1]) {
      const share = concat(kx.publicKey, new Uint8Array(Math.max(0, delta))).subarray(
        0,
        clientLength + delta,
      );
      await assert.rejects(provider.respondKeyExchange(group, share), CryptoInputError, `${group} ${delta}`);
    }
    const server = await provider.respondKeyExchange(group, kx.publicKey);
    for (const delta of [-serverLength, -1, 1]) {
      const share = concat(server.publicKey, new Uint8Array(Math.max(0, delta))).subarray(
        0,
        serverLength + delta,
      );
      await assert.rejects(kx.complete(share), CryptoInputError, `${group} ${delta}`);
    }
  }
  // P-256: compressed form, wrong prefix, off-curve point, coordinate ≥ p.
  const p256 = await provider.startKeyExchange("P-256");
  const compressed = concat(Uint8Array.of(0x02 | (p256.publicKey[64] & 1)), p256.publicKey.subarray(1, 33));
  await assert.rejects(provider.respondKeyExchange("P-256", compressed), CryptoInputError);
  const hybridPrefix = p256.publicKey.slice();
  hybridPrefix[0] = 0x06;
  await assert.rejects(provider.respondKeyExchange("P-256", hybridPrefix), CryptoInputError);
  const offCurve = p256.publicKey.slice();
  offCurve[64] ^= 0x01;
  await assert.rejects(provider.respondKeyExchange("P-256", offCurve), CryptoInputError);
  await assert.rejects(p256.complete(offCurve), CryptoInputError);
  await assert.rejects(
    p256.complete(concat(Uint8Array.of(4), new Uint8Array(64).fill(0xff))),
    CryptoInputError,
  );
  // X25519MLKEM768: an encapsulation key with a coefficient ≥ q fails the FIPS 203 §7.2 check.
  const hybrid = await provider.startKeyExchange("X25519MLKEM768");
  const badKey = hybrid.publicKey.slice();
  badKey[0] = 0xff;
  badKey[1] |= 0x0f;
  await assert.rejects(provider.respondKeyExchange("X25519MLKEM768", badKey), CryptoInputError);
  // …and a bad X25519 half of a hybrid share is caught too.
  const zeroX25519 = concat(hybrid.publicKey.subarray(0, 1184), new Uint8Array(32));
  await assert.rejects(provider.respondKeyExchange("X25519MLKEM768", zeroX25519), CryptoInputError);
});

Deno.test("FIPS 203 §7.2: the encapsulation key check accepts coefficients up to q − 1 only", async () => {
  const { publicKey } = await provider.startKeyExchange("X25519MLKEM768");
  const ek = publicKey.slice(0, 1184);
  assert.ok(isValidEncapsulationKey(ek));
  /** Sets the 12-bit coefficient `index` (0..767) of ByteEncode₁₂(t̂). */
  const withCoefficient = (index: number, value: number): Uint8Array => {
    const out = ek.slice();
    const i = Math.floor(index / 2) * 3;
    if (index % 2 === 0) {
      out[i] = value & 0xff;
      out[i + 1] = (out[i + 1] & 0xf0) | (value >> 8);
    } else {
      out[i + 1] = (out[i + 1] & 0x0f) | ((value & 0x0f) << 4);
      out[i + 2] = value >> 4;
    }
    return out;
  };
  for (const index of [0, 1, 400, 766, 767]) {
    assert.ok(isValidEncapsulationKey(withCoefficient(index, 3328)), `${index} = q − 1`);
    assert.equal(isValidEncapsulationKey(withCoefficient(index, 3329)), false, `${index} = q`);
    assert.equal(isValidEncapsulationKey(withCoefficient(index, 4095)), false, `${index} = 4095`);
  }
  assert.ok(
    isValidEncapsulationKey(concat(ek.subarray(0, 1152), new Uint8Array(32).fill(0xff))),
    "ρ is free",
  );
  assert.equal(isValidEncapsulationKey(ek.subarray(1)), false);
});

interface MlKemTest {
  seed: string;
  ek?: string;
  c: string;
  K: string;
}

Deno.test("Wycheproof mlkem_768_test: ML-KEM-768 decapsulation (FIPS 203) inside X25519MLKEM768", async () => {
  // WebCrypto imports an ML-KEM private key from its 64-byte seed ("raw-seed"), so the vectors go through
  // the provider's hybrid key exchange: its ML-KEM half is the vector's key, its X25519 half is RFC 7748's
  // Alice, and the server share is the vector's ciphertext ‖ Bob's X25519 key.
  const alicePrivate = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  const bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  const x25519Secret = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  const vectors = await loadVectors<unknown, MlKemTest>("mlkem_768_test.json");
  const checked = await runVectors(vectors, async (_group, test) => {
    const kx = await outcome(importX25519MlKem768KeyExchange(hex(test.seed), alicePrivate));
    if (!kx.ok) {
      // Invalid "private key too short/long" vectors: a seed that is not 64 bytes.
      const ok = kx.error instanceof RangeError && test.result === "invalid";
      return ok ? undefined : `seed import failed: ${kx.error}`;
    }
    if (test.result === "invalid" && hex(test.seed).length !== 64) return "bad seed accepted";
    if (test.ek !== undefined && kx.value.publicKey.subarray(0, 1184).toHex() !== test.ek) return "wrong ek";
    if (!sameBytes(kx.value.publicKey.subarray(1184), alicePublic)) return "wrong X25519 half";
    const got = await outcome(kx.value.complete(concat(hex(test.c), bobPublic)));
    const failure = expectValue(test.result, got, concat(hex(test.K), x25519Secret), CryptoInputError);
    if (failure || test.result !== "valid") return failure;
    // The vector's encapsulation key also passes the server's key check and round-trips.
    const server = await provider.respondKeyExchange("X25519MLKEM768", kx.value.publicKey);
    const again = await kx.value.complete(server.publicKey);
    return sameBytes(again, server.sharedSecret) ? undefined : "encapsulation round trip differs";
  }, { batch: 16 });
  assertCount(checked, 193);
});

// ---------------------------------------------------------------------------------------------------------
// Signatures

interface SignatureGroup {
  publicKeyDer: string;
  publicKeyAsn?: string;
  sha?: HashName;
  sLen?: number;
  mgfSha?: HashName;
}
interface SignatureTest {
  msg: string;
  sig: string;
}

async function runSignatureFile(
  file: string,
  key: (group: SignatureGroup) => PublicKeyInfo,
  algorithm: (group: SignatureGroup) => SignatureAlgorithm,
  batch = 64,
): Promise<number> {
  const vectors = await loadVectors<SignatureGroup, SignatureTest>(file);
  return await runVectors(vectors, async (group, test) => {
    const ok = await provider.verify(algorithm(group), key(group), hex(test.msg), hex(test.sig));
    return expectBoolean(test.result, ok);
  }, { batch });
}

for (
  const [file, curve, hash, expected] of [
    ["ecdsa_secp256r1_sha256_test.json", "P-256", "SHA-256", 484],
    ["ecdsa_secp384r1_sha384_test.json", "P-384", "SHA-384", 504],
    ["ecdsa_secp521r1_sha512_test.json", "P-521", "SHA-512", 542],
  ] as const
) {
  Deno.test(`Wycheproof ${file}: ECDSA ${curve} with strict DER signatures (RFC 8446 §4.2.3)`, async () => {
    const checked = await runSignatureFile(
      file,
      (g) => ({ spki: hex(g.publicKeyDer), keyType: "EC", curve: curve as CurveName }),
      () => ({ kind: "ecdsa", hash, curve }),
    );
    assertCount(checked, expected);
  });
}

Deno.test("Wycheproof ed25519_test: Ed25519 (RFC 8032)", async () => {
  const checked = await runSignatureFile(
    "ed25519_test.json",
    (g) => ({ spki: hex(g.publicKeyDer), keyType: "Ed25519" }),
    () => ({ kind: "ed25519" }),
  );
  assertCount(checked, 151);
});

for (
  const [file, expected] of [
    ["rsa_signature_2048_sha256_test.json", 259],
    ["rsa_signature_2048_sha384_test.json", 258],
    ["rsa_signature_3072_sha256_test.json", 259],
    ["rsa_signature_4096_sha512_test.json", 259],
  ] as const
) {
  Deno.test(`Wycheproof ${file}: RSASSA-PKCS1-v1_5 (RFC 8017 §8.2)`, async () => {
    const checked = await runSignatureFile(
      file,
      (g) => ({ spki: hex(g.publicKeyDer), keyType: "RSA" }),
      (g) => ({ kind: "rsa-pkcs1", hash: g.sha! }),
    );
    assertCount(checked, expected);
  });
}

/** An id-RSASSA-PSS SubjectPublicKeyInfo (RFC 4055 §3.1, parameters absent) around an RSAPublicKey. */
function rsaPssSpki(rsaPublicKey: Uint8Array): Uint8Array {
  return encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsassaPss)),
    encodeTlv(Tag.BIT_STRING, Uint8Array.of(0), rsaPublicKey),
  );
}

for (
  const [file, expected] of [
    ["rsa_pss_2048_sha256_mgf1_32_test.json", 108],
    ["rsa_pss_2048_sha384_mgf1_48_test.json", 141],
    ["rsa_pss_3072_sha256_mgf1_32_test.json", 108],
    ["rsa_pss_4096_sha512_mgf1_64_test.json", 179],
  ] as const
) {
  Deno.test(`Wycheproof ${file}: RSASSA-PSS, salt = hash length (RFC 8446 §4.2.3)`, async () => {
    const algorithm = (g: SignatureGroup): SignatureAlgorithm => {
      // TLS only uses MGF1 with the same hash and a salt as long as the hash: these files are such.
      assert.equal(g.mgfSha, g.sha);
      return { kind: "rsa-pss", hash: g.sha! };
    };
    const rsae = await runSignatureFile(
      file,
      (g) => ({ spki: hex(g.publicKeyDer), keyType: "RSA" }),
      algorithm,
    );
    // The same vectors with the key in an id-RSASSA-PSS certificate key (rsa_pss_pss_* schemes).
    const pss = await runSignatureFile(
      file,
      (g) => ({ spki: rsaPssSpki(hex(g.publicKeyAsn!)), keyType: "RSA-PSS" }),
      algorithm,
    );
    assertCount(rsae + pss, 2 * expected);
  });
}

Deno.test("RFC 3279 §2.2.3: ECDSA-Sig-Value ↔ r ‖ s conversion is strict DER both ways", () => {
  const r = "00" + "80".repeat(31), s = "7f" + "01".repeat(31);
  const der = ecdsaRawToDer(hex(r + s));
  // r: its leading zero dropped, then a 0x00 sign octet put back because 0x80 has the high bit set.
  assert.equal(der.toHex(), "3044022000" + "80".repeat(31) + "0220" + s);
  assert.equal(
    ecdsaRawToDer(hex("0001" + "00".repeat(30) + s)).toHex(),
    "3043021f01" + "00".repeat(30) + "0220" + s,
  );
  assert.equal(ecdsaDerToRaw(der, 32)?.toHex(), r + s);
  assert.equal(
    ecdsaRawToDer(hex("ff".repeat(32) + "00".repeat(32))).toHex(),
    "3026022100" + "ff".repeat(32) + "020100",
  );
  assert.equal(
    ecdsaDerToRaw(hex("3006020101020101"), 32)?.toHex(),
    "00".repeat(31) + "01" + "00".repeat(31) + "01",
  );
  for (
    const bad of [
      "3006020101020100", // s = 0
      "300602010102ff01", // s length beyond the end
      "30060201ff020101", // negative r
      "3007020200010201" + "01", // non-minimal r
      "3007020101020101" + "00", // trailing byte inside
      "3006020101020101" + "00", // trailing byte outside
      "308106020101020101", // long-form length below 128
      "3080020101020101" + "0000", // indefinite length
      "3026022101" + "00".repeat(32) + "020101", // r longer than the curve
    ]
  ) {
    assert.equal(ecdsaDerToRaw(hex(bad), 32), undefined, bad);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Signing keys

async function generatePkcs8(
  algorithm: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm,
): Promise<{ pkcs8: Uint8Array; spki: Uint8Array }> {
  // Test-only key generation, straight from WebCrypto.
  const pair = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as CryptoKeyPair;
  return {
    pkcs8: new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)),
    spki: new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey)),
  };
}

const message = new TextEncoder().encode("TLS 1.3, server CertificateVerify\0…transcript hash…");

Deno.test("RFC 8446 §4.4.3: importSigningKey + sign + verify round trips for ECDSA P-256/P-384/P-521", async () => {
  for (const [curve, hash] of [["P-256", "SHA-256"], ["P-384", "SHA-384"], ["P-521", "SHA-512"]] as const) {
    const generated = await generatePkcs8({ name: "ECDSA", namedCurve: curve });
    const key = await provider.importSigningKey(generated.pkcs8);
    assert.equal(key.keyType, "EC");
    assert.equal(key.curve, curve);
    assert.equal(key.modulusBits, undefined);
    assert.deepEqual(key.publicKey, { spki: generated.spki, keyType: "EC", curve });
    const algorithm: SignatureAlgorithm = { kind: "ecdsa", hash, curve };
    const signature = await key.sign(algorithm, message);
    assert.equal(signature[0], 0x30, "DER SEQUENCE");
    assert.ok(await provider.verify(algorithm, key.publicKey, message, signature));
    assert.ok(await provider.verify({ kind: "ecdsa", hash }, key.publicKey, message, signature));
    // Another message, a trailing byte, a non-minimal length: all false, none throws.
    assert.equal(await provider.verify(algorithm, key.publicKey, message.subarray(1), signature), false);
    assert.equal(
      await provider.verify(algorithm, key.publicKey, message, concat(signature, hex("00"))),
      false,
    );
    assert.equal(await provider.verify(algorithm, key.publicKey, message, new Uint8Array(0)), false);
    const otherCurve = curve === "P-256" ? "P-384" : "P-256";
    assert.equal(
      await provider.verify({ kind: "ecdsa", hash, curve: otherCurve }, key.publicKey, message, signature),
      false,
    );
    assert.equal(await provider.verify({ kind: "ed25519" }, key.publicKey, message, signature), false);
    await assert.rejects(key.sign({ kind: "ecdsa", hash, curve: otherCurve }, message), TypeError);
    await assert.rejects(key.sign({ kind: "rsa-pss", hash }, message), TypeError);
  }
});

Deno.test("RFC 8446 §4.2.3: importSigningKey + sign + verify round trip for Ed25519", async () => {
  const generated = await generatePkcs8({ name: "Ed25519" });
  const key = await provider.importSigningKey(generated.pkcs8);
  assert.deepEqual(key.publicKey, { spki: generated.spki, keyType: "Ed25519" });
  const signature = await key.sign({ kind: "ed25519" }, message);
  assert.equal(signature.length, 64);
  assert.ok(await provider.verify({ kind: "ed25519" }, key.publicKey, message, signature));
  assert.equal(
    await provider.verify({ kind: "ed25519" }, key.publicKey, message, signature.subarray(1)),
    false,
  );
  const flipped = signature.slice();
  flipped[10] ^= 4;
  assert.equal(await provider.verify({ kind: "ed25519" }, key.publicKey, message, flipped), false);
});

Deno.test("RFC 8446 §4.2.3: RSA-2048 signing key: PSS and PKCS#1 v1.5; id-RSASSA-PSS keys refuse PKCS#1", async () => {
  const generated = await generatePkcs8({
    name: "RSA-PSS",
    modulusLength: 2048,
    publicExponent: Uint8Array.of(1, 0, 1),
    hash: "SHA-256",
  });
  const key = await provider.importSigningKey(generated.pkcs8);
  assert.equal(key.keyType, "RSA");
  assert.equal(key.modulusBits, 2048);
  assert.deepEqual(key.publicKey, { spki: generated.spki, keyType: "RSA" });
  for (const hash of ["SHA-256", "SHA-384", "SHA-512"] as const) {
    for (const kind of ["rsa-pss", "rsa-pkcs1"] as const) {
      const signature = await key.sign({ kind, hash }, message);
      assert.equal(signature.length, 256);
      assert.ok(await provider.verify({ kind, hash }, key.publicKey, message, signature), `${kind} ${hash}`);
      assert.equal(
        await provider.verify({ kind, hash }, key.publicKey, message.subarray(2), signature),
        false,
      );
    }
  }
  const pkcs1Signature = await key.sign({ kind: "rsa-pkcs1", hash: "SHA-256" }, message);

  // The same key as an id-RSASSA-PSS PrivateKeyInfo (RFC 4055 §3.1, parameters absent).
  const pssPkcs8 = hex(
    generated.pkcs8.toHex().replace("300d06092a864886f70d0101010500", "300b06092a864886f70d01010a"),
  );
  const pkcs8Header = encodeTlv(Tag.SEQUENCE, pssPkcs8.subarray(4)); // fix the outer length (2 bytes shorter)
  const pssKey = await provider.importSigningKey(pkcs8Header);
  assert.equal(pssKey.keyType, "RSA-PSS");
  assert.equal(pssKey.modulusBits, 2048);
  assert.equal(pssKey.publicKey.keyType, "RSA-PSS");
  const rsaPublicKey = generated.spki.subarray(generated.spki.length - 270);
  assert.deepEqual(pssKey.publicKey.spki, rsaPssSpki(rsaPublicKey));
  const pssSignature = await pssKey.sign({ kind: "rsa-pss", hash: "SHA-384" }, message);
  assert.ok(
    await provider.verify({ kind: "rsa-pss", hash: "SHA-384" }, pssKey.publicKey, message, pssSignature),
  );
  assert.ok(
    await provider.verify({ kind: "rsa-pss", hash: "SHA-384" }, key.publicKey, message, pssSignature),
  );
  await assert.rejects(pssKey.sign({ kind: "rsa-pkcs1", hash: "SHA-256" }, message), TypeError);
  assert.equal(
    await provider.verify({ kind: "rsa-pkcs1", hash: "SHA-256" }, pssKey.publicKey, message, pkcs1Signature),
    false,
  );
  assert.ok(
    await provider.verify({ kind: "rsa-pkcs1", hash: "SHA-256" }, key.publicKey, message, pkcs1Signature),
  );
});

Deno.test("RFC 4055 §3.1: an id-RSASSA-PSS key whose parameters name SHA-256 verifies only with SHA-256", async () => {
  const vectors = await loadVectors<SignatureGroup, SignatureTest>("rsa_pss_2048_sha256_mgf1_32_test.json");
  const group = vectors.testGroups[0];
  const test = group.tests.find((t) => t.result === "valid")!;
  const sha256 = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.sha256));
  const params = (inner: Uint8Array[]) =>
    encodeTlv(
      Tag.SEQUENCE,
      encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsassaPss), encodeTlv(Tag.SEQUENCE, ...inner)),
      encodeTlv(Tag.BIT_STRING, Uint8Array.of(0), hex(group.publicKeyAsn!)),
    );
  const restricted: PublicKeyInfo = { spki: params([encodeTlv(0xa0, sha256)]), keyType: "RSA-PSS" };
  const sha1Default: PublicKeyInfo = { spki: params([]), keyType: "RSA-PSS" };
  const args = [hex(test.msg), hex(test.sig)] as const;
  assert.ok(await provider.verify({ kind: "rsa-pss", hash: "SHA-256" }, restricted, ...args));
  assert.equal(await provider.verify({ kind: "rsa-pss", hash: "SHA-384" }, restricted, ...args), false);
  assert.equal(await provider.verify({ kind: "rsa-pss", hash: "SHA-256" }, sha1Default, ...args), false);
});

Deno.test("RFC 5280 §4.1.2.7: verify throws CryptoInputError for a key that is malformed or mislabelled", async () => {
  const p256 = await generatePkcs8({ name: "ECDSA", namedCurve: "P-256" });
  const algorithm: SignatureAlgorithm = { kind: "ecdsa", hash: "SHA-256" };
  const sig = hex("3006020101020101");
  await assert.rejects(
    provider.verify(algorithm, { spki: p256.spki, keyType: "EC", curve: "P-384" }, message, sig),
    CryptoInputError,
  );
  await assert.rejects(
    provider.verify(algorithm, { spki: p256.spki, keyType: "RSA" }, message, sig),
    CryptoInputError,
  );
  await assert.rejects(
    provider.verify(algorithm, { spki: p256.spki.subarray(1), keyType: "EC", curve: "P-256" }, message, sig),
    CryptoInputError,
  );
  const offCurve = p256.spki.slice();
  offCurve[offCurve.length - 1] ^= 1;
  await assert.rejects(
    provider.verify(algorithm, { spki: offCurve, keyType: "EC", curve: "P-256" }, message, sig),
    CryptoInputError,
  );
  await assert.rejects(provider.importSigningKey(hex("3003020100")), CryptoInputError);
  await assert.rejects(provider.importSigningKey(p256.spki), CryptoInputError);
});

// ---------------------------------------------------------------------------------------------------------
// Provider object

Deno.test("createWebCryptoProvider: injected randomness is used and checked; webCrypto is frozen", () => {
  let calls = 0;
  const fixed = createWebCryptoProvider({ random: (n) => (calls++, new Uint8Array(n).fill(7)) });
  assert.deepEqual(fixed.randomBytes(3), Uint8Array.of(7, 7, 7));
  assert.equal(calls, 1);
  const short = createWebCryptoProvider({ random: (n) => new Uint8Array(n - 1) });
  assert.throws(() => short.randomBytes(4), RangeError);
  assert.equal(webCrypto.randomBytes(100_000).length, 100_000);
  assert.notDeepEqual(webCrypto.randomBytes(32), webCrypto.randomBytes(32));
  assert.ok(Object.isFrozen(webCrypto));
  assert.throws(() => {
    (webCrypto as { randomBytes: unknown }).randomBytes = () => new Uint8Array(0);
  }, TypeError);
});
