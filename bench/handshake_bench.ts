/** Codec and key schedule costs of the TLS 1.3 handshake. */
import { webCrypto } from "../crypto/webcrypto.ts";
import { TLS13_SUITES } from "../handshake/constants.ts";
import { EarlySecret, finishedVerifyData, trafficKeys } from "../handshake/key_schedule.ts";
import { decodeClientHello } from "../handshake/messages.ts";
import { loadRfc8448 } from "../tests/_rfc8448.ts";

const hello = Uint8Array.fromHex(loadRfc8448()["Simple_1RTT_Handshake"]["Record_ClientHello_1"]).subarray(9);
const suite = TLS13_SUITES[0];

Deno.bench("decode ClientHello (RFC 8448)", () => {
  decodeClientHello(hello);
});

Deno.bench("TLS 1.3 key schedule: early → handshake → master, traffic keys, Finished", async () => {
  const hash = new Uint8Array(32);
  const early = await EarlySecret.create(webCrypto, suite);
  const hs = await early.advance(new Uint8Array(32));
  const secrets = await hs.trafficSecrets(hash);
  await Promise.all([trafficKeys(webCrypto, suite, secrets.client), trafficKeys(webCrypto, suite, secrets.server)]);
  await finishedVerifyData(webCrypto, suite, secrets.server, hash);
  const master = await hs.advance();
  await master.applicationSecrets(hash);
});

for (const group of ["X25519", "P-256", "P-384", "X25519MLKEM768"] as const) {
  Deno.bench(`key exchange ${group}: start + respond + complete`, { group: "kx" }, async () => {
    const kx = await webCrypto.startKeyExchange(group);
    const response = await webCrypto.respondKeyExchange(group, kx.publicKey);
    await kx.complete(response.publicKey);
  });
}
