/**
 * RFC 8448 §3 ("Simple 1-RTT Handshake") reproduced byte for byte by the client engine, with the RFC's
 * randomness and X25519 key injected. Every record the client emits must equal the RFC's.
 */
import assert from "node:assert/strict";
import { concat, fromHex } from "../bytes.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { TlsEngine } from "../connection/engine.ts";
import { startClientHandshake } from "../handshake/client13_hello.ts";
import type { CryptoProvider, GroupName, KeyExchange } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { importX25519KeyExchange } from "../crypto/key_exchange.ts";
import { decodeClientHello } from "../handshake/messages.ts";
import type { PeerVerificationInput } from "../handshake/client_config.ts";
import { TlsAlertError } from "../errors.ts";
import { loadRfc8448 } from "./_rfc8448.ts";

const simple = loadRfc8448()["Simple_1RTT_Handshake"];
const hex = (key: string) => fromHex(simple[key]);

/** A provider whose randomness and X25519 key are the RFC's. */
function rfcProvider(pool: Uint8Array): CryptoProvider {
  return {
    ...webCrypto,
    randomBytes(n: number): Uint8Array {
      assert.equal(n, 32, "the client asks for exactly the 32-byte random");
      return pool.slice(0, 32);
    },
    startKeyExchange(group: GroupName): Promise<KeyExchange> {
      assert.equal(group, "X25519");
      return importX25519KeyExchange(pool.slice(32, 64));
    },
  };
}

async function drain(engine: TlsEngine): Promise<Uint8Array> {
  return concat(...(await Promise.all(engine.takeOutput())));
}

async function rfcClient(
  onVerify?: (peer: PeerVerificationInput) => void,
  tamper?: (records: Uint8Array) => Uint8Array,
) {
  const rfcHelloRecord = hex("Record_ClientHello_1");
  const rfcHello = decodeClientHello(rfcHelloRecord.subarray(9));
  const config = await resolveClientConfig(
    {
      serverName: "server",
      groups: ["X25519"],
      unsafelyIgnoreCertificateErrors: true,
      verifyPeer: onVerify,
      caCerts: [],
    },
    {
      crypto: rfcProvider(hex("Client_RNG_Pool")),
      now: () => new Date(Number(simple["CurrentTimestamp"])),
      middleboxCompat: false,
      customizeClientHello(ours) {
        // Our own hello has the same random and key share; the RFC's client offers a few more extensions
        // (and some legacy code points), so send exactly its hello.
        assert.deepEqual(ours.random, rfcHello.random);
        const share = (h: typeof ours) => h.extensions.find((e) => e.type === 51)!.data;
        assert.deepEqual(share(ours), share(rfcHello));
        return rfcHello;
      },
    },
  );
  const engine = new TlsEngine({ crypto: config.crypto, begin: (io) => startClientHandshake(config, io) });
  await engine.start();
  const first = await drain(engine);
  return { engine, first, tamper: tamper ?? ((r: Uint8Array) => r) };
}

Deno.test("RFC 8448 §3: the client's records match the Simple 1-RTT handshake byte for byte", async () => {
  let verified: PeerVerificationInput | undefined;
  const { engine, first } = await rfcClient((peer) => {
    verified = peer;
  });
  assert.deepEqual(first, hex("Record_ClientHello_1"));

  await engine.receive(concat(hex("Record_ServerHello"), hex("Record_ServerHandshakeMessages")));
  assert.deepEqual(await drain(engine), hex("Record_ClientFinished"));
  assert.ok(engine.connected);
  assert.equal(engine.info?.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assert.equal(engine.info?.group, "X25519");
  assert.equal(engine.info?.protocol, "TLSv1.3");
  assert.equal(engine.info?.peerCertificates.length, 1);
  // The RFC's certificate is a self-signed RSA-1024 one: verification fails, is ignored, and is reported.
  assert.ok(verified?.error, "verifyPeer sees the ignored verification error");

  await engine.receive(hex("Record_NewSessionTicket"));
  engine.send(hex("Client_AppData"));
  assert.deepEqual(await drain(engine), hex("Record_Client_AppData"));

  await engine.receive(hex("Record_Server_AppData"));
  assert.deepEqual(concat(...engine.takePlaintext()), hex("Server_AppData"));

  engine.close();
  assert.deepEqual(await drain(engine), hex("Record_Client_CloseNotify"));
  await engine.receive(hex("Record_Server_CloseNotify"));
  assert.ok(engine.peerClosed);
});

Deno.test("RFC 8446 §4.4.4: a server Finished altered by one bit fails with decrypt_error or bad_record_mac", async () => {
  const { engine } = await rfcClient();
  const flight = hex("Record_ServerHandshakeMessages");
  flight[flight.length - 20] ^= 1;
  await engine.receive(hex("Record_ServerHello"));
  await assert.rejects(
    engine.receive(flight),
    (e) => e instanceof TlsAlertError && e.alert === "bad_record_mac",
  );
  // The alert goes out under the client's handshake key, and the engine stays failed with the same error.
  const out = await drain(engine);
  assert.equal(out[0], 23, "an encrypted alert record");
  await assert.rejects(engine.receive(new Uint8Array(1)), (e) => e === engine.error);
});

Deno.test("RFC 8446 §4.1.3: a ServerHello choosing a suite that was not offered is illegal_parameter", async () => {
  const { engine } = await rfcClient();
  const sh = hex("Record_ServerHello");
  // cipher_suite sits after header(5) + type/len(4) + version(2) + random(32) + session id length(1).
  sh[5 + 4 + 2 + 32 + 1 + 1] = 0x05; // 0x1305 was not offered
  await assert.rejects(
    engine.receive(sh),
    (e) => e instanceof TlsAlertError && e.alert === "illegal_parameter",
  );
  const alert = await drain(engine);
  assert.deepEqual(alert, fromHex("1503030002022f"), "plaintext fatal illegal_parameter alert");
});

Deno.test("RFC 8446 §5.1: a handshake message may not share a record with a key change", async () => {
  const { engine } = await rfcClient();
  // ServerHello with a trailing byte of the next message in the same record: the key changes after the
  // ServerHello, so the partial message is refused.
  const sh = hex("Record_ServerHello");
  const body = concat(sh.subarray(5), new Uint8Array([8]));
  const record = concat(new Uint8Array([22, 3, 3, body.length >> 8, body.length & 0xff]), body);
  await assert.rejects(
    engine.receive(record),
    (e) => e instanceof TlsAlertError && e.alert === "unexpected_message",
  );
});
