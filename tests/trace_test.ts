/** The `trace` option: messages in order with decoded fields, secrets by label only, alerts, timings. */
import assert from "node:assert/strict";
import { acceptTls, startTls, type TraceEvent } from "../mod.ts";
import { memoryPipe, serverPki } from "./_server.ts";

async function tracedHandshake() {
  const pki = await serverPki();
  const [clientSide, serverSide] = memoryPipe();
  const clientEvents: TraceEvent[] = [];
  const serverEvents: TraceEvent[] = [];
  const keyLogLines: string[] = [];
  const [client, server] = await Promise.all([
    startTls(clientSide, {
      serverName: "localhost",
      caCerts: [pki.root.cert],
      groups: ["X25519"],
      trace: (e) => clientEvents.push(e),
      keyLog: (line) => keyLogLines.push(line),
    }),
    acceptTls(serverSide, {
      cert: pki.leaves["ECDSA P-256"].cert,
      key: pki.leaves["ECDSA P-256"].key,
      trace: (e) => serverEvents.push(e),
    }),
  ]);
  return { client, server, clientEvents, serverEvents, keyLogLines };
}

const messages = (events: TraceEvent[]) =>
  events.flatMap((e) => e.kind === "message" ? [`${e.direction} ${e.message.type}`] : []);

Deno.test("trace: the client sees the TLS 1.3 flight in RFC 8446 §2 order, the server the mirror", async () => {
  const { client, server, clientEvents, serverEvents } = await tracedHandshake();
  try {
    assert.deepEqual(messages(clientEvents), [
      "sent client_hello",
      "received server_hello",
      "received encrypted_extensions",
      "received certificate",
      "received certificate_verify",
      "received finished",
      "sent finished",
    ]);
    assert.deepEqual(
      messages(serverEvents).slice(0, 7),
      [
        "received client_hello",
        "sent server_hello",
        "sent encrypted_extensions",
        "sent certificate",
        "sent certificate_verify",
        "sent finished",
        "received finished",
      ],
    );
    const hello = clientEvents.find((e) => e.kind === "message" && e.message.type === "client_hello");
    assert.ok(hello?.kind === "message");
    assert.equal(hello.message.fields.serverName, "localhost");
    assert.deepEqual(hello.message.fields.keyShares, ["X25519 (32 bytes)"]);
    const sh = clientEvents.find((e) => e.kind === "message" && e.message.type === "server_hello");
    assert.ok(sh?.kind === "message");
    assert.equal(typeof sh.message.fields.cipherSuite, "string");
    assert.deepEqual(
      clientEvents.flatMap((e) => e.kind === "secret" ? [`${e.label}/${e.length}`] : []),
      [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET/32",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET/32",
        "CLIENT_TRAFFIC_SECRET_0/32",
        "SERVER_TRAFFIC_SECRET_0/32",
        "EXPORTER_SECRET/32",
      ],
    );
    assert.ok(clientEvents.some((e) => e.kind === "handshake_complete"));
    assert.equal(clientEvents.filter((e) => e.kind === "keys").length, 4, "hs read/write, app read/write");
    const times = clientEvents.map((e) => e.time);
    assert.deepEqual(times, [...times].sort((a, b) => a - b), "times never go backwards");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("trace: events carry no key material", async () => {
  const { client, server, clientEvents, serverEvents, keyLogLines } = await tracedHandshake();
  try {
    const text = JSON.stringify([clientEvents, serverEvents]);
    assert.ok(keyLogLines.length >= 5);
    for (const line of keyLogLines) {
      const secret = line.split(" ")[2];
      assert.ok(!text.includes(secret), "a traffic secret appears in the trace");
    }
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("trace: a tracer that throws does not break the connection", async () => {
  const pki = await serverPki();
  const [clientSide, serverSide] = memoryPipe();
  const [client, server] = await Promise.all([
    startTls(clientSide, {
      serverName: "localhost",
      caCerts: [pki.root.cert],
      trace: () => {
        throw new Error("tracer bug");
      },
    }),
    acceptTls(serverSide, { cert: pki.leaves["ECDSA P-256"].cert, key: pki.leaves["ECDSA P-256"].key }),
  ]);
  assert.equal((await client.handshake()).protocol, "TLSv1.3");
  client.close();
  server.close();
});
