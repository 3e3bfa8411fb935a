/**
 * Alerts from the peer are reported as the peer's, with its description (RFC 8446 §6, RFC 5246 §7.2):
 * - a TLS 1.3 peer that could not accept our ServerHello has no handshake keys, so its alert comes in plaintext
 *   after we switched to them; it is the peer's alert, not an unexpected_message of ours that hides it;
 * - in TLS 1.2 a fatal-level alert ends the connection whatever its description, user_canceled included
 *   (RFC 5246 §7.2: "fatal alerts ... terminate the connection immediately"); a warning user_canceled does not.
 */
import assert from "node:assert/strict";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import { TLS12_SUITES } from "../handshake/constants.ts";
import { sessionKeys } from "../handshake/key_schedule12.ts";
import { Tls12RecordProtection } from "../record/protection12.ts";
import { HandshakeType } from "../handshake/constants.ts";
import { assertAlert, CT, edit, messageIndex, play, scenario } from "./_scripted.ts";
import { enginePair, output } from "./_engine_pair.ts";
import { keyLogSecret } from "./_traffic_walk.ts";

Deno.test("RFC 8446 §6: a plaintext alert after the server switched to handshake keys is reported as the client's", async () => {
  const s = await scenario("server");
  for (
    const [level, description, name] of [[2, 48, "unknown_ca"], [2, 40, "handshake_failure"], [
      1,
      42,
      "bad_certificate",
    ]] as const
  ) {
    // The client rejects the ServerHello flight: after its ClientHello (and compatibility CCS) comes an alert.
    const script = edit(s, (records) => {
      const i = messageIndex(records, HandshakeType.finished);
      records.splice(i, records.length - i, {
        type: CT.alert,
        content: Uint8Array.of(level, description),
        epoch: -1,
      });
    });
    const error = assertAlert(await play(s, script), name, "remote");
    assert.match(error.message, /peer sent alert/);
  }
});

Deno.test("RFC 8446 §6: a plaintext alert after the client switched to handshake keys is reported as the server's", async () => {
  const s = await scenario("client");
  const script = edit(s, (records) => {
    const i = messageIndex(records, HandshakeType.encrypted_extensions);
    records.splice(i, records.length - i, { type: CT.alert, content: Uint8Array.of(2, 47), epoch: -1 });
  });
  assertAlert(await play(s, script), "illegal_parameter", "remote");
});

Deno.test("RFC 8446 §6: a plaintext alert after the handshake is still unexpected_message", async () => {
  const s = await scenario("client");
  const script = edit(s, (records) => {
    records.splice(records.length - 2, 0, { type: CT.alert, content: Uint8Array.of(2, 40), epoch: -1 });
  });
  assertAlert(await play(s, script), "unexpected_message");
});

/** A TLS 1.2 pair, and a way to send records as the server, under its write key, from sequence number 1. */
async function tls12Pair() {
  const suite = TLS12_SUITES.find((x) => x.name === "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")!;
  const pair = await enginePair({ suite: suite.name });
  const line = pair.keyLog.find((l) => l.startsWith("CLIENT_RANDOM "))!;
  const clientRandom = Uint8Array.fromHex(line.split(" ")[1]);
  const keys = await sessionKeys(
    webCrypto,
    suite,
    keyLogSecret(pair.keyLog, "CLIENT_RANDOM"),
    clientRandom,
    pair.serverRandom,
  );
  const asServer = new Tls12RecordProtection(
    await webCrypto.importAead(suite.aead, keys.server.key),
    keys.server.iv,
  );
  await asServer.seal(CT.handshake, new Uint8Array(1)); // sequence number 0 was the server's Finished
  return { ...pair, asServer };
}

Deno.test("RFC 5246 §7.2: TLS 1.2 — a fatal user_canceled ends the connection, reported as the peer's", async () => {
  const { client, asServer } = await tls12Pair();
  await assert.rejects(
    client.receive(await asServer.seal(CT.alert, Uint8Array.of(2, 90))),
    (e) => e instanceof TlsAlertError && e.alert === "user_canceled" && e.source === "remote",
  );
  assert.ok(client.error, "the connection failed");
});

Deno.test("RFC 5246 §7.2: TLS 1.2 — a warning user_canceled leaves the connection up", async () => {
  const { client, server, asServer } = await tls12Pair();
  await client.receive(await asServer.seal(CT.alert, Uint8Array.of(1, 90)));
  await client.receive(await asServer.seal(CT.application_data, Uint8Array.of(1, 2, 3)));
  assert.equal(client.error, undefined);
  assert.deepEqual(client.takePlaintext(), [Uint8Array.of(1, 2, 3)]);
  client.send(Uint8Array.of(4));
  await server.receive(await output(client));
  assert.deepEqual(server.takePlaintext(), [Uint8Array.of(4)]);
});
