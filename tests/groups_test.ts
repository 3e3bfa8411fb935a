/**
 * The key-exchange groups P-521 (secp521r1) and X448 (RFC 7748), with WebCrypto's ECDH P-521 and X448:
 * known answers, the share checks of RFC 8446 §4.2.8.2 and RFC 7748 §6, and a server that answers a client
 * offering only one of them — and refuses its invalid shares with illegal_parameter.
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { importEcdhKeyExchange } from "../crypto/key_exchange.ts";
import { CryptoInputError } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { ExtensionType, NamedGroup } from "../handshake/constants.ts";
import { decodeKeyShareServer } from "../handshake/extensions.ts";
import { decodeServerHello } from "../handshake/messages.ts";
import { assertRefused, clientHello, helloRecord, output, serverEngine, share } from "./_hello.ts";

const hex = (s: string) => Uint8Array.fromHex(s);

Deno.test("RFC 7748 §6.2: X448 key exchange with fixed private keys", async () => {
  const alice = await importEcdhKeyExchange(
    "X448",
    hex(
      "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
    ),
  );
  const bob = await importEcdhKeyExchange(
    "X448",
    hex(
      "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
    ),
  );
  assert.equal(
    alice.publicKey.toHex(),
    "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
  );
  assert.equal(
    bob.publicKey.toHex(),
    "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
  );
  const shared =
    "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d";
  assert.equal((await alice.complete(bob.publicKey)).toHex(), shared);
  assert.equal((await bob.complete(alice.publicKey)).toHex(), shared);
  await assert.rejects(importEcdhKeyExchange("X448", new Uint8Array(32)), RangeError);
});

Deno.test("RFC 7748 §6.2, RFC 8446 §7.4.2: X448 shares of low order (an all-zero secret) and of the wrong length are refused", async () => {
  const kx = await webCrypto.startKeyExchange("X448");
  const p = 2n ** 448n - 2n ** 224n - 1n;
  const le = (n: bigint) => Uint8Array.from({ length: 56 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  // u = 0, 1, p − 1 (order 1, 4 and 2 on the curve or its twist) and p, p + 1 (the same, not reduced).
  for (const u of [0n, 1n, p - 1n, p, p + 1n]) {
    await assert.rejects(kx.complete(le(u)), CryptoInputError, `u = ${u}`);
    await assert.rejects(webCrypto.respondKeyExchange("X448", le(u)), CryptoInputError, `u = ${u}`);
  }
  for (const length of [0, 1, 55, 57, 97]) {
    await assert.rejects(
      webCrypto.respondKeyExchange("X448", new Uint8Array(length).fill(55)),
      CryptoInputError,
    );
  }
});

Deno.test("RFC 8446 §4.2.8.2: P-521 shares must be uncompressed points on the curve", async () => {
  const kx = await webCrypto.startKeyExchange("P-521");
  assert.equal(kx.publicKey.length, 133);
  const server = await webCrypto.respondKeyExchange("P-521", kx.publicKey);
  assert.equal(server.sharedSecret.length, 66);
  assert.deepEqual(await kx.complete(server.publicKey), server.sharedSecret);
  const p = 2n ** 521n - 1n;
  const coordinate = (n: bigint) => hex(n.toString(16).padStart(132, "0"));
  const bad = {
    "off the curve": (() => {
      const b = kx.publicKey.slice();
      b[132] ^= 1;
      return b;
    })(),
    "point at infinity (x = y = 0)": concat(Uint8Array.of(4), new Uint8Array(132)),
    "x = p": concat(Uint8Array.of(4), coordinate(p), kx.publicKey.subarray(67)),
    "compressed": concat(Uint8Array.of(2 | (kx.publicKey[132] & 1)), kx.publicKey.subarray(1, 67)),
    "right-truncated": kx.publicKey.subarray(0, 132),
    "right 0-padded": concat(kx.publicKey, Uint8Array.of(0)),
    "a P-256 point": (await webCrypto.startKeyExchange("P-256")).publicKey,
  };
  for (const [name, share] of Object.entries(bad)) {
    await assert.rejects(webCrypto.respondKeyExchange("P-521", share), CryptoInputError, name);
    await assert.rejects(kx.complete(share), CryptoInputError, name);
  }
});

for (const group of ["P-521", "X448"] as const) {
  Deno.test(`server: RFC 8446 §4.2.7 a client offering only ${group} gets a ServerHello for ${group} (default groups)`, async () => {
    const engine = await serverEngine();
    const code = NamedGroup[group];
    await engine.receive(helloRecord(clientHello({ groups: [code], shares: [await share(group)] })));
    const out = await output(engine);
    const sh = decodeServerHello(out.subarray(9, 5 + ((out[3] << 8) | out[4])));
    const entry = decodeKeyShareServer(sh.extensions.find((e) => e.type === ExtensionType.key_share)!.data);
    assert.equal(entry.group, code);
    assert.equal(entry.keyExchange.length, group === "X448" ? 56 : 133);
  });

  Deno.test(`server: RFC 8446 §4.2.8 an invalid ${group} key share is illegal_parameter`, async () => {
    const length = group === "X448" ? 56 : 133;
    const shares = [
      new Uint8Array(length), // all zero: low order, or not a point
      new Uint8Array(length - 1).fill(55), // truncated
      concat((await share(group)).keyExchange, Uint8Array.of(0)), // padded
    ];
    for (const keyExchange of shares) {
      const engine = await serverEngine();
      const hello = clientHello({
        groups: [NamedGroup[group]],
        shares: [{ group: NamedGroup[group], keyExchange }],
      });
      await assertRefused(engine, helloRecord(hello), "illegal_parameter");
    }
  });
}
