/**
 * The receive side opens every buffered protected record at once (RFC 8446 §5.3: each open's nonce is fixed
 * by its sequence number when it starts) and processes them in order. These tests hand a whole batch to one
 * `receive()`: application data, KeyUpdates (§4.6.3) in the middle of it, a forged record, close_notify —
 * and check that what comes out is what a record-at-a-time reader would give. Also the adaptive read buffers
 * of the `Deno.Conn` transport, and `TlsConn.write` returning once its records are queued.
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError, TlsError } from "../errors.ts";
import { acceptTls, startTls } from "../mod.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { TlsEngine } from "../connection/engine.ts";
import { resolveServerConfig } from "../connection/server.ts";
import { ReadBuffers } from "../connection/transport.ts";
import { startClient } from "../handshake/client_start.ts";
import { ExpectClientHello } from "../handshake/server13_hello.ts";
import { memoryPipe, serverPki } from "./_server.ts";

/** Everything `engine` queued, as one buffer (all its records back to back). */
async function output(engine: TlsEngine): Promise<Uint8Array> {
  return concat(...await Promise.all(engine.takeOutput()));
}

/** A client and a server engine after a TLS 1.3 handshake with each other, in memory. */
async function connectedPair(): Promise<{ client: TlsEngine; server: TlsEngine }> {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const clientConfig = await resolveClientConfig({
    serverName: "localhost",
    caCerts: [pki.root.cert],
    minVersion: "TLSv1.3",
    sessionCache: null,
  });
  const serverConfig = await resolveServerConfig({ cert: leaf.cert, key: leaf.key, sessionTickets: false });
  const client = new TlsEngine({ crypto: webCrypto, begin: (io) => startClient(clientConfig, io) });
  const server = new TlsEngine({
    crypto: webCrypto,
    begin: () => Promise.resolve(new ExpectClientHello(serverConfig)),
  });
  await client.start();
  await server.start();
  for (let turn = 0; turn < 8 && !(client.connected && server.connected); turn++) {
    const toServer = await output(client);
    if (toServer.length > 0) await server.receive(toServer);
    const toClient = await output(server);
    if (toClient.length > 0) await client.receive(toClient);
  }
  assert.ok(client.connected && server.connected, "handshake completed");
  return { client, server };
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

Deno.test("RFC 8446 §5.3: a batch of records opened together comes out whole and in order", async () => {
  const { client, server } = await connectedPair();
  const data = bytes(200_000, 1); // 13 records
  client.send(data);
  await server.receive(await output(client));
  assert.deepEqual(concat(...server.takePlaintext()), data);
});

Deno.test("RFC 8446 §4.6.3: records after a KeyUpdate in the same batch are opened under the new key", async () => {
  const { client, server } = await connectedPair();
  const parts = [bytes(40_000, 2), bytes(50_000, 3), bytes(16_384, 4)];
  client.send(parts[0]);
  await client.updateKeys();
  client.send(parts[1]);
  await client.updateKeys(true); // asks the server to update too
  client.send(parts[2]);
  // Everything, two key changes included, reaches the server in one receive().
  await server.receive(await output(client));
  assert.deepEqual(concat(...server.takePlaintext()), concat(...parts));
  // The server answered the request with its own KeyUpdate, and its data after it reads back.
  server.send(bytes(30_000, 5));
  await client.receive(await output(server));
  assert.deepEqual(concat(...client.takePlaintext()), bytes(30_000, 5));
});

Deno.test("RFC 8446 §5.2: a forged record in the middle of a batch is bad_record_mac; nothing after it is delivered", async () => {
  const { client, server } = await connectedPair();
  client.send(bytes(16_384 * 3, 6));
  const records = await Promise.all(client.takeOutput());
  records[1][20] ^= 1;
  await assert.rejects(
    server.receive(concat(...records)),
    (e) => e instanceof TlsAlertError && e.alert === "bad_record_mac",
  );
  assert.deepEqual(concat(...server.takePlaintext()), bytes(16_384 * 3, 6).subarray(0, 16_384));
});

Deno.test("RFC 8446 §6.1: close_notify at the end of a batch closes the peer after the data before it", async () => {
  const { client, server } = await connectedPair();
  client.send(bytes(20_000, 7));
  const before = await output(client);
  client.close();
  const closing = await output(client);
  await server.receive(concat(before, closing));
  assert.ok(server.peerClosed);
  assert.deepEqual(concat(...server.takePlaintext()), bytes(20_000, 7));
});

Deno.test("transport read buffers grow with full reads, shrink when idle, and reuse small ones", () => {
  const buffers = new ReadBuffers();
  let buf = buffers.take();
  const first = buf.length;
  assert.ok(first <= 16 * 1024, "an idle connection's pending read is small");
  buffers.filled(buf, buf.length);
  buf = buffers.take();
  assert.equal(buf.length, first * 2, "a full read doubles the next buffer");
  for (let i = 0; i < 10; i++) {
    buf = buffers.take();
    buffers.filled(buf, buf.length);
  }
  const largest = buffers.take();
  assert.ok(largest.length <= 256 * 1024, "bounded");
  const small = buffers.filled(largest, 10);
  assert.equal(small.length, 10);
  assert.notEqual(small.buffer, largest.buffer, "a small result is copied out");
  const next = buffers.take();
  assert.ok(next.length < largest.length, "shrinks after a small read");
});

Deno.test("TlsConn.write returns once its records are queued; a transport failure fails a later write", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  let broken = false;
  const [c, s] = memoryPipe({
    toServer: () => {
      if (broken) throw new Error("the line is cut");
    },
  });
  const [client, server] = await Promise.all([
    startTls(c, { serverName: "localhost", caCerts: [pki.root.cert], sessionCache: null }),
    acceptTls(s, { cert: leaf.cert, key: leaf.key, sessionTickets: false }),
  ]);
  // Queued, not yet read by the server: the write has returned all the same.
  assert.equal(await client.write(bytes(1000, 8)), 1000);
  const received = new Uint8Array(1000);
  assert.equal(await server.read(received), 1000);
  assert.deepEqual(received, bytes(1000, 8));
  broken = true;
  await client.write(bytes(1000, 9)); // queued; its transport write fails afterwards
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(
    client.write(bytes(1000, 10)),
    (e) => e instanceof TlsError && /transport write failed/.test(e.message),
  );
  server.close();
});
