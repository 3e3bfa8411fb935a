/**
 * TLS 1.2 building blocks: the PRF (RFC 5246 §5) against a published vector and against OpenSSL's TLS1-PRF
 * KDF, the master secret, extended master secret, key block and Finished derivations (RFC 5246 §6.3, §8.1,
 * §7.4.9, RFC 7627 §4), AEAD record protection (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905) against Node's
 * OpenSSL, and RSAES-PKCS1-v1_5 key transport (RFC 8017 §7.2.1) decrypted by `openssl pkeyutl`.
 */

import assert from "node:assert/strict";
import { concat, fromHex, toHex, utf8 } from "../bytes.ts";
import { importHmacKey } from "../crypto/hmac_key.ts";
import type { HashName } from "../crypto/provider.ts";
import {
  MIN_RSA_MODULUS_BITS,
  parseRsaPublicKey,
  rsaesPkcs1v15Encrypt,
} from "../crypto/rsa_key_transport.ts";
import {
  extendedMasterSecret,
  finishedVerifyData12,
  keyBlock,
  masterSecret,
  prf,
} from "../crypto/tls12_prf.ts";
import { CryptoInputError } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import { TLS12_SUITES, tls12SuiteByCode } from "../handshake/constants.ts";
import { ContentType, MAX_CIPHERTEXT_TLS12, RecordReader, type TlsRecord } from "../record/framing.ts";
import { additionalData12, Tls12RecordProtection } from "../record/protection12.ts";
import { openssl, tempDir } from "./_certs.ts";

const isAlert = (alert: string) => (e: unknown) => e instanceof TlsAlertError && e.alert === alert;

/** OpenSSL's TLS1-PRF KDF: PRF(secret, label, seed) as OpenSSL computes it (label and seed are concatenated). */
async function opensslPrf(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const dir = await tempDir();
  const out = await openssl([
    "kdf",
    "-keylen",
    String(length),
    "-kdfopt",
    `digest:${hash.replace("-", "")}`,
    "-kdfopt",
    `hexsecret:${toHex(secret)}`,
    "-kdfopt",
    `hexseed:${toHex(concat(utf8(label), seed))}`,
    "TLS1-PRF",
  ], dir);
  return fromHex(out.replace(/[:\s]/g, ""));
}

/** A provider that also has the optional `importHmacKey` capability. */
const withHmacKeys = { ...webCrypto, importHmacKey };

/** Deterministic bytes. */
function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

// ---------------------------------------------------------------------------------------------------------
// PRF

Deno.test("RFC 5246 §5: P_SHA256 reproduces the IETF TLS WG test vector (100 bytes)", async () => {
  const secret = fromHex("9bbe436ba940f017b17652849a71db35");
  const seed = fromHex("a0ba9f936cda311827a6f796ffd5198c");
  const expected = fromHex(
    "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af" +
      "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff7" +
      "0187347b66",
  );
  assert.deepEqual(await prf(webCrypto, "SHA-256", secret, "test label", seed, 100), expected);
  assert.deepEqual(await prf(withHmacKeys, "SHA-256", secret, "test label", seed, 100), expected);
});

Deno.test("RFC 5246 §5: the PRF agrees with OpenSSL's TLS1-PRF for SHA-256 and SHA-384, at block edges", async () => {
  for (const hash of ["SHA-256", "SHA-384"] as const) {
    for (const [length, secretLength] of [[1, 48], [12, 48], [32, 0], [48, 48], [49, 13], [104, 200]]) {
      const secret = bytes(secretLength, length);
      const seed = bytes(64, length + 1);
      const ours = await prf(withHmacKeys, hash, secret, "key expansion", seed, length);
      assert.deepEqual(
        ours,
        await opensslPrf(hash, secret, "key expansion", seed, length),
        `${hash} ${length}`,
      );
      assert.deepEqual(await prf(webCrypto, hash, secret, "key expansion", seed, length), ours);
    }
  }
});

Deno.test("RFC 5246 §8.1, RFC 7627 §4: master and extended master secrets are 48-byte PRF outputs", async () => {
  const pms = bytes(48, 3);
  const clientRandom = bytes(32, 4);
  const serverRandom = bytes(32, 5);
  const sessionHash = bytes(48, 6);
  for (const hash of ["SHA-256", "SHA-384"] as const) {
    const ms = await masterSecret(webCrypto, hash, pms, clientRandom, serverRandom);
    assert.deepEqual(
      ms,
      await opensslPrf(hash, pms, "master secret", concat(clientRandom, serverRandom), 48),
    );
    const ems = await extendedMasterSecret(webCrypto, hash, pms, sessionHash);
    assert.deepEqual(ems, await opensslPrf(hash, pms, "extended master secret", sessionHash, 48));
    assert.notDeepEqual(ms, ems);
  }
});

Deno.test("RFC 5246 §6.3: the key block splits into keys then IVs, seeded server_random ‖ client_random", async () => {
  const master = bytes(48, 9);
  const clientRandom = bytes(32, 10);
  const serverRandom = bytes(32, 11);
  for (const suite of TLS12_SUITES) {
    const block = await keyBlock(webCrypto, suite, master, clientRandom, serverRandom);
    const k = suite.keyLength;
    const v = suite.fixedIvLength;
    const expected = await opensslPrf(
      suite.hash,
      master,
      "key expansion",
      concat(serverRandom, clientRandom),
      2 * (k + v),
    );
    assert.deepEqual(
      concat(block.clientWriteKey, block.serverWriteKey, block.clientWriteIv, block.serverWriteIv),
      expected,
      suite.name,
    );
    assert.equal(block.clientWriteIv.length, suite.aead === "ChaCha20-Poly1305" ? 12 : 4);
  }
});

Deno.test('RFC 5246 §7.4.9: verify_data is 12 bytes of PRF(master, "client|server finished", hash)', async () => {
  const master = bytes(48, 12);
  const hash = bytes(32, 13);
  const client = await finishedVerifyData12(webCrypto, "SHA-256", master, "client", hash);
  const server = await finishedVerifyData12(webCrypto, "SHA-256", master, "server", hash);
  assert.equal(client.length, 12);
  assert.deepEqual(client, await opensslPrf("SHA-256", master, "client finished", hash, 12));
  assert.deepEqual(server, await opensslPrf("SHA-256", master, "server finished", hash, 12));
});

Deno.test("RFC 5246 §5: PRF lengths outside 0..1024 are refused, 0 gives nothing", async () => {
  assert.equal((await prf(webCrypto, "SHA-256", bytes(4, 1), "x", bytes(4, 2), 0)).length, 0);
  await assert.rejects(prf(webCrypto, "SHA-256", bytes(4, 1), "x", bytes(4, 2), 1025), RangeError);
  await assert.rejects(prf(webCrypto, "SHA-256", bytes(4, 1), "x", bytes(4, 2), -1), RangeError);
});

// ---------------------------------------------------------------------------------------------------------
// Record protection

/** AEAD seal by Node's crypto (OpenSSL underneath): ciphertext ‖ tag, hex. */
async function nodeSeal(
  aead: "aes-128-gcm" | "aes-256-gcm" | "chacha20-poly1305",
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const script = `
    const c = require("node:crypto");
    const [alg, key, nonce, aad, pt] = process.argv.slice(1);
    const h = (s) => Buffer.from(s, "hex");
    const cipher = c.createCipheriv(alg, h(key), h(nonce), { authTagLength: 16 });
    cipher.setAAD(h(aad), { plaintextLength: h(pt).length });
    const out = Buffer.concat([cipher.update(h(pt)), cipher.final(), cipher.getAuthTag()]);
    process.stdout.write(out.toString("hex"));`;
  const output = await new Deno.Command("node", {
    args: ["-e", script, aead, toHex(key), toHex(nonce), toHex(aad), toHex(plaintext)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return fromHex(new TextDecoder().decode(output.stdout));
}

function parseRecord(bytes: Uint8Array): TlsRecord {
  const reader = new RecordReader(MAX_CIPHERTEXT_TLS12);
  reader.push(bytes);
  const record = reader.next();
  assert.ok(record);
  assert.equal(reader.buffered, 0);
  return record;
}

Deno.test("RFC 5246 §6.2.3.3: additional_data is seq_num ‖ type ‖ version ‖ length", () => {
  assert.equal(
    toHex(additionalData12(0x0102030405060708n, 23, 0x0303, 0x1234)),
    "0102030405060708170303" + "1234",
  );
});

Deno.test("RFC 5288 §3: AES-GCM records are salt ‖ explicit nonce, match OpenSSL, and round-trip", async () => {
  for (const suite of TLS12_SUITES.filter((s) => s.aead !== "ChaCha20-Poly1305")) {
    const key = bytes(suite.keyLength, 1);
    const salt = bytes(4, 2);
    const aead = await webCrypto.importAead(suite.aead, key);
    const writer = new Tls12RecordProtection(aead, salt);
    const reader = new Tls12RecordProtection(aead, salt);
    const content = utf8("GET / HTTP/1.1\r\n\r\n");
    await writer.seal(ContentType.handshake, utf8("first")); // seq 0
    const record = await writer.seal(ContentType.application_data, content); // seq 1
    // Header: real type, 0x0303, length = 8 (explicit nonce) + plaintext + 16 (tag).
    assert.equal(
      toHex(record.subarray(0, 5)),
      `170303${(8 + content.length + 16).toString(16).padStart(4, "0")}`,
    );
    assert.equal(
      toHex(record.subarray(5, 13)),
      "0000000000000001",
      "the explicit nonce is the sequence number",
    );
    const expected = await nodeSeal(
      suite.aead === "AES-128-GCM" ? "aes-128-gcm" : "aes-256-gcm",
      key,
      concat(salt, fromHex("0000000000000001")),
      additionalData12(1n, 23, 0x0303, content.length),
      content,
    );
    assert.deepEqual(record.subarray(13), expected);
    await reader.open(parseRecord(await new Tls12RecordProtection(aead, salt).seal(22, utf8("first"))));
    const opened = await reader.open(parseRecord(record));
    assert.equal(opened.type, ContentType.application_data);
    assert.deepEqual(opened.content, content);
  }
});

Deno.test("RFC 7905 §2: ChaCha20-Poly1305 records carry no nonce (IV XOR seq), match OpenSSL, round-trip", async () => {
  const key = bytes(32, 3);
  const iv = bytes(12, 4);
  const aead = await webCrypto.importAead("ChaCha20-Poly1305", key);
  const writer = new Tls12RecordProtection(aead, iv);
  const content = utf8("hello, chacha");
  const records = [];
  for (let i = 0; i < 3; i++) records.push(await writer.seal(ContentType.application_data, content));
  assert.equal(records[2].length, 5 + content.length + 16);
  const nonce = iv.slice();
  nonce[11] ^= 2;
  const expected = await nodeSeal(
    "chacha20-poly1305",
    key,
    nonce,
    additionalData12(2n, 23, 0x0303, content.length),
    content,
  );
  assert.deepEqual(records[2].subarray(5), expected);
  const reader = new Tls12RecordProtection(aead, iv);
  for (const r of records) assert.deepEqual((await reader.open(parseRecord(r))).content, content);
});

Deno.test("RFC 5246 §6.2.3.3: a changed byte, type, version or order is bad_record_mac", async () => {
  for (const suite of [tls12SuiteByCode(0xc02f)!, tls12SuiteByCode(0xcca8)!]) {
    const aead = await webCrypto.importAead(suite.aead, bytes(suite.keyLength, 5));
    const iv = bytes(suite.fixedIvLength, 6);
    const writer = new Tls12RecordProtection(aead, iv);
    const record = await writer.seal(ContentType.application_data, utf8("data"));
    const flipped = record.slice();
    flipped[flipped.length - 1] ^= 1;
    await assert.rejects(
      new Tls12RecordProtection(aead, iv).open(parseRecord(flipped)),
      isAlert("bad_record_mac"),
    );
    const retyped = record.slice();
    retyped[0] = ContentType.handshake;
    await assert.rejects(
      new Tls12RecordProtection(aead, iv).open(parseRecord(retyped)),
      isAlert("bad_record_mac"),
    );
    const reversioned = record.slice();
    reversioned[2] = 0x01;
    await assert.rejects(
      new Tls12RecordProtection(aead, iv).open(parseRecord(reversioned)),
      isAlert("bad_record_mac"),
    );
    // Out of order: for ChaCha20 the nonce is implicit; for AES-GCM the explicit nonce travels, but the
    // sequence number in the additional data does not match.
    const second = await writer.seal(ContentType.application_data, utf8("data"));
    await assert.rejects(
      new Tls12RecordProtection(aead, iv).open(parseRecord(second)),
      isAlert("bad_record_mac"),
    );
    const short = parseRecord(fromHex("1703030005" + "0102030405"));
    await assert.rejects(new Tls12RecordProtection(aead, iv).open(short), isAlert("bad_record_mac"));
  }
});

Deno.test("RFC 5246 §6.2.3: over-long records are record_overflow; over-long content cannot be sealed", async () => {
  const aead = await webCrypto.importAead("AES-128-GCM", bytes(16, 7));
  const protection = new Tls12RecordProtection(aead, bytes(4, 8));
  assert.throws(() => protection.seal(23, new Uint8Array(16385)), RangeError);
  const big = new Uint8Array(8 + 16385 + 16);
  const header = fromHex("170303" + big.length.toString(16).padStart(4, "0"));
  await assert.rejects(protection.open(parseRecord(concat(header, big))), isAlert("record_overflow"));
  const huge: TlsRecord = {
    type: 23,
    version: 0x0303,
    header,
    fragment: new Uint8Array(MAX_CIPHERTEXT_TLS12 + 1),
  };
  await assert.rejects(protection.open(huge), isAlert("record_overflow"));
  // 2^14 bytes exactly is fine.
  const max = await new Tls12RecordProtection(aead, bytes(4, 8)).seal(23, new Uint8Array(16384));
  assert.equal(
    (await new Tls12RecordProtection(aead, bytes(4, 8)).open(parseRecord(max))).content.length,
    16384,
  );
  assert.throws(
    () => new Tls12RecordProtection(aead, bytes(12, 8)),
    RangeError,
    "AES-GCM needs a 4-byte salt",
  );
});

Deno.test("RFC 5246 §6.2.3.3: several seals in flight keep their sequence numbers in call order", async () => {
  const aead = await webCrypto.importAead("AES-256-GCM", bytes(32, 9));
  const writer = new Tls12RecordProtection(aead, bytes(4, 10));
  const sealed = await Promise.all(Array.from({ length: 8 }, (_, i) => writer.seal(23, Uint8Array.of(i))));
  const reader = new Tls12RecordProtection(aead, bytes(4, 10));
  for (let i = 0; i < 8; i++) {
    assert.deepEqual((await reader.open(parseRecord(sealed[i]))).content, Uint8Array.of(i));
  }
  assert.equal(writer.sequenceNumber, 8n);
});

// ---------------------------------------------------------------------------------------------------------
// RSA key transport

/** An RSA key made by openssl in a temporary directory: its PEM path and its SPKI. */
async function opensslRsaKey(bits: number): Promise<{ dir: string; keyPath: string; spki: Uint8Array }> {
  const dir = await tempDir();
  await openssl(
    ["genpkey", "-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${bits}`, "-out", "key.pem"],
    dir,
  );
  await openssl(["pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "pub.der"], dir);
  return { dir, keyPath: `${dir}/key.pem`, spki: await Deno.readFile(`${dir}/pub.der`) };
}

Deno.test("RFC 8017 §7.2.1: RSAES-PKCS1-v1_5 ciphertexts decrypt with openssl pkeyutl to the premaster secret", async () => {
  for (const bits of [2048, 3072]) {
    const { dir, spki } = await opensslRsaKey(bits);
    const key = { spki, keyType: "RSA" as const };
    assert.equal(parseRsaPublicKey(spki).modulusBits, bits);
    for (let i = 0; i < 3; i++) {
      const premaster = concat(fromHex("0303"), webCrypto.randomBytes(46));
      const ciphertext = rsaesPkcs1v15Encrypt(key, premaster);
      assert.equal(ciphertext.length, bits / 8);
      await Deno.writeFile(`${dir}/ct${i}.bin`, ciphertext);
      await openssl(
        ["pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", `ct${i}.bin`, "-out", `pt${i}.bin`],
        dir,
      );
      assert.deepEqual(await Deno.readFile(`${dir}/pt${i}.bin`), premaster);
    }
  }
});

Deno.test("RFC 8017 §7.2.1: the padding string is nonzero and fresh; the message bound is k − 11", async () => {
  const { spki } = await opensslRsaKey(2048);
  const key = { spki, keyType: "RSA" as const };
  // A random source that returns zeros first: every zero must be replaced.
  let calls = 0;
  const zeroFirst = (n: number) => (calls++ === 0 ? new Uint8Array(n) : new Uint8Array(n).fill(0xab));
  const c1 = rsaesPkcs1v15Encrypt(key, new Uint8Array(48), zeroFirst);
  assert.ok(calls > 1);
  const c2 = rsaesPkcs1v15Encrypt(key, new Uint8Array(48));
  const c3 = rsaesPkcs1v15Encrypt(key, new Uint8Array(48));
  assert.notDeepEqual(c2, c3);
  assert.equal(c1.length, 256);
  assert.throws(() => rsaesPkcs1v15Encrypt(key, new Uint8Array(256 - 10)), RangeError);
  rsaesPkcs1v15Encrypt(key, new Uint8Array(256 - 11));
});

Deno.test("RSA key transport refuses moduli under 2048 bits, non-RSA keys and RSASSA-PSS keys", async () => {
  const small = await opensslRsaKey(1024);
  assert.throws(
    () => rsaesPkcs1v15Encrypt({ spki: small.spki, keyType: "RSA" }, new Uint8Array(48)),
    (e: unknown) => e instanceof CryptoInputError && /1024 bits/.test(e.message),
  );
  assert.equal(MIN_RSA_MODULUS_BITS, 2048);
  const dir = await tempDir();
  await openssl(
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem"],
    dir,
  );
  await openssl(["pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "ec.der"], dir);
  const ec = await Deno.readFile(`${dir}/ec.der`);
  assert.throws(() => parseRsaPublicKey(ec), CryptoInputError);
  assert.throws(
    () => rsaesPkcs1v15Encrypt({ spki: ec, keyType: "EC", curve: "P-256" }, new Uint8Array(48)),
    CryptoInputError,
  );
  await openssl(
    ["genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "pss.pem"],
    dir,
  );
  await openssl(["pkey", "-in", "pss.pem", "-pubout", "-outform", "DER", "-out", "pss.der"], dir);
  const pss = await Deno.readFile(`${dir}/pss.der`);
  assert.throws(() => parseRsaPublicKey(pss), CryptoInputError, "an id-RSASSA-PSS key may only sign");
});
