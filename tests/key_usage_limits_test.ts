/**
 * Key-usage limits (RFC 8446 §5.5): how many records one key protects before the engine acts. The real
 * limits (millions of records) are checked as numbers; the behaviour is driven with test-only limits of a few
 * records (`EngineOptions.keyUsageLimits`): TLS 1.3 updates its write key, asks a peer that reaches the limit
 * to update, and fails on a peer that goes past the maximum; TLS 1.2 closes with close_notify.
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { TlsAlertError, TlsError } from "../errors.ts";
import { keyUsageLimits } from "../record/key_usage.ts";
import { enginePair, output } from "./_engine_pair.ts";
import { keyLogSecret, splitRecords, walkTraffic } from "./_traffic_walk.ts";

const RECORD = 16_384;
const KEY_UPDATE = 24;

/** `records` full records of data. */
function data(records: number): Uint8Array {
  return Uint8Array.from({ length: records * RECORD }, (_, i) => i * 7);
}

Deno.test("RFC 8446 §5.5: the limits — AES-GCM acts well before 2^24.5 records per key, ChaCha20-Poly1305 before the sequence limit", () => {
  for (const aead of ["AES-128-GCM", "AES-256-GCM"] as const) {
    const limits = keyUsageLimits(aead);
    assert.equal(limits.update, 2 ** 23, "TLS 1.3 updates after 2^23 records");
    assert.equal(limits.close, 2 ** 24, "TLS 1.2 closes after 2^24 records");
    assert.equal(limits.max, 23_726_566, "a peer may send 2^24.5 records under one key");
    assert.ok(limits.max <= 2 ** 24.5);
  }
  const chacha = keyUsageLimits("ChaCha20-Poly1305");
  assert.equal(chacha.update, 2 ** 52);
  assert.ok(
    chacha.max < Number.MAX_SAFE_INTEGER,
    "below the point where the record counter stops (2^53 − 1)",
  );
});

Deno.test("RFC 8446 §5.5: TLS 1.3 sends a KeyUpdate by itself once its write key protected `update` records", async () => {
  for (const suite of ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"] as const) {
    const limits = { update: 5, close: 1000, max: 1000 };
    const { client, server, keyLog } = await enginePair({ suite, clientLimits: limits });
    const sent = data(23);
    client.send(sent);
    const stream = await output(client);
    await server.receive(stream);
    assert.deepEqual(concat(...server.takePlaintext()), sent, "the peer read everything");
    const walked = await walkTraffic(
      splitRecords(stream),
      keyLogSecret(keyLog, "CLIENT_TRAFFIC_SECRET_0"),
      suite,
    );
    // Five data records per key, a KeyUpdate after each five: 23 records under generations 0..4.
    const perEpoch = Map.groupBy(walked.filter((r) => r.type === 23), (r) => r.epoch);
    assert.deepEqual([...perEpoch.values()].map((r) => r.length), [5, 5, 5, 5, 3], suite);
    assert.equal(walked.filter((r) => r.type === 22 && r.content[0] === KEY_UPDATE).length, 4);
    assert.ok(walked.every((r) => r.seq <= 5), "no key protected more than 6 records (5 + its KeyUpdate)");
  }
});

Deno.test("RFC 8446 §5.5, §4.6.3: after `update` records from the peer, TLS 1.3 asks it to update its key", async () => {
  const suite = "TLS_AES_128_GCM_SHA256";
  const { client, server, keyLog } = await enginePair({
    suite,
    serverLimits: { update: 6, close: 1000, max: 1000 },
  });
  client.send(data(8));
  await server.receive(await output(client));
  // The server's own KeyUpdate, with update_requested.
  const fromServer = await output(server);
  const walkedServer = await walkTraffic(
    splitRecords(fromServer),
    keyLogSecret(keyLog, "SERVER_TRAFFIC_SECRET_0"),
    suite,
  );
  assert.deepEqual(walkedServer.map((r) => [...r.content]), [[KEY_UPDATE, 0, 0, 1, 1]]);
  // The client answers before its next data, and the server reads on under the client's next key.
  await client.receive(fromServer);
  client.send(data(2));
  const answer = await output(client);
  await server.receive(answer);
  assert.equal(concat(...server.takePlaintext()).length, 10 * RECORD);
  assert.equal(server.error, undefined);
});

Deno.test("RFC 8446 §5.5: a TLS 1.3 peer that sends more than `max` records under one key fails with unexpected_message", async () => {
  const { client, server } = await enginePair({ serverLimits: { update: 1000, close: 1000, max: 10 } });
  client.send(data(10));
  await server.receive(await output(client));
  client.send(data(1));
  await assert.rejects(
    server.receive(await output(client)),
    (e) =>
      e instanceof TlsAlertError && e.alert === "unexpected_message" && e.source === "local" &&
      /more than 10 records under one key/.test(e.message),
  );
  assert.equal(
    concat(...server.takePlaintext()).length,
    10 * RECORD,
    "the records within the limit were read",
  );
});

Deno.test("RFC 8446 §5.5: a TLS 1.3 peer's KeyUpdate starts a new count", async () => {
  const { client, server } = await enginePair({ serverLimits: { update: 1000, close: 1000, max: 10 } });
  // Nine data records and the KeyUpdate make ten under the first key, then ten more under the next.
  client.send(data(9));
  await client.updateKeys();
  client.send(data(10));
  await server.receive(await output(client));
  assert.equal(server.error, undefined);
  assert.equal(concat(...server.takePlaintext()).length, 19 * RECORD);
});

for (
  const suite of [
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  ] as const
) {
  Deno.test(`RFC 8446 §5.5: TLS 1.2 (${suite}) closes with close_notify once its write key protected \`close\` records`, async () => {
    const { client, server } = await enginePair({ suite, clientLimits: { update: 2, close: 6, max: 1000 } });
    // The client's Finished is the first record under its key; five data records fit, the sixth does not.
    client.send(data(5));
    assert.throws(
      () => client.send(data(1)),
      (e) => e instanceof TlsError && /protected 6 records/.test(e.message),
    );
    assert.ok(client.closed, "close_notify queued");
    assert.equal(client.error, undefined, "reading stays possible");
    assert.throws(() => client.send(data(1)), /cannot write after close/);
    await server.receive(await output(client));
    assert.ok(server.peerClosed, "the peer saw a clean close");
    assert.equal(concat(...server.takePlaintext()).length, 5 * RECORD);
    // The client still reads what the server sends.
    server.send(new Uint8Array([1, 2, 3]));
    await client.receive(await output(server));
    assert.deepEqual(concat(...client.takePlaintext()), new Uint8Array([1, 2, 3]));
  });
}

Deno.test("RFC 8446 §5.5: a TLS 1.2 peer that sends more than `max` records under one key fails with unexpected_message", async () => {
  const { client, server } = await enginePair({
    suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    serverLimits: { update: 2, close: 1000, max: 10 },
  });
  // The client's Finished counts: nine data records reach ten.
  client.send(data(9));
  await server.receive(await output(client));
  client.send(data(1));
  await assert.rejects(
    server.receive(await output(client)),
    (e) =>
      e instanceof TlsAlertError && e.alert === "unexpected_message" &&
      /more than 10 records/.test(e.message),
  );
});
