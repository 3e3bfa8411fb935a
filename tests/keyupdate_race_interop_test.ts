/**
 * Concurrent KeyUpdates against real peers (RFC 8446 §4.6.3): while `openssl s_server` sends KeyUpdates
 * with update_requested (its `K` command) one after another, the client under test runs several
 * `updateKeys()` at once (`Promise.all`) between its writes, and reads; then both ends must still read each
 * other. The same against Deno's native TLS (rustls), which answers the client's update requests. A peer that
 * saw a reused or out-of-step key fails with bad_record_mac, which these tests would see.
 */
import assert from "node:assert/strict";
import { testPki } from "./_pki.ts";
import { readExactly, startDenoServer, startOpenSslServer, withDeadline } from "./_peers.ts";
import { connectClient } from "./_interop.ts";
import { Rng } from "../fuzz/_rng.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("interop openssl s_server: RFC 8446 §4.6.3 16 peer update requests racing Promise.all of local updates and writes", async () => {
  const pki = await testPki();
  await using server = await startOpenSslServer({ cert: pki.leaves["ECDSA P-256"], mode: "interactive" });
  const { conn } = await connectClient(server.port);
  using _ = conn;
  await server.waitFor("stdout", /^CIPHER is /m);
  // The client reads all along: that is when it handles the server's KeyUpdates and answers them.
  const reading = withDeadline(conn, 60_000, "reading the server's last line", async () => {
    return decoder.decode(await readExactly(conn, 5));
  });
  reading.catch(() => {}); // awaited below
  const rng = new Rng(11);
  let localUpdates = 0;
  const writing = (async () => {
    for (let round = 0; round < 16; round++) {
      const n = rng.range(2, 5);
      localUpdates += n;
      await Promise.all(Array.from({ length: n }, () => conn.updateKeys(rng.chance(0.5))));
      await conn.write(encoder.encode(`line ${round}\n`));
      await new Promise((resolve) => setTimeout(resolve, rng.range(0, 20)));
    }
  })();
  writing.catch(() => {}); // awaited below
  for (let i = 0; i < 16; i++) {
    const mark = server.mark("stdout");
    // s_server takes a stdin read of exactly "K\n" as the command: one at a time.
    await server.send("K\n");
    await server.waitFor("stdout", /^>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/m, { after: mark });
  }
  await writing;
  await server.waitFor("stdout", /^line 15$/m);
  await server.send("done\n");
  assert.equal(await reading, "done\n", "the client read the server's data under its latest key");
  const out = server.stdout;
  const lines = [...out.matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(lines, Array.from({ length: 16 }, (_, i) => i), "the server read every line, in order");
  const received = out.match(/^<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate$/gm)?.length ?? 0;
  assert.ok(
    received >= localUpdates,
    `the server read ${received} KeyUpdates, the client made ${localUpdates}`,
  );
  assert.doesNotMatch(out, /Alert .*fatal|:error:/i, server.describe());
});

Deno.test("interop Deno.listenTls (rustls): RFC 8446 §4.6.3 Promise.all of 16 updates with update_requested between echoed writes", async () => {
  const pki = await testPki();
  await using server = await startDenoServer({ cert: pki.leaves["ECDSA P-256"] });
  const { conn } = await connectClient(server.port);
  using _ = conn;
  const rng = new Rng(12);
  let expected = "";
  const reading = withDeadline(conn, 60_000, "reading the echo", async () => {
    const out: string[] = [];
    let length = 0;
    while (length < 8 * 1000) {
      const chunk = new Uint8Array(65536);
      const n = await conn.read(chunk);
      if (n === null) break;
      out.push(decoder.decode(chunk.subarray(0, n)));
      length += n;
    }
    return out.join("");
  });
  reading.catch(() => {}); // awaited below
  for (let round = 0; round < 8; round++) {
    const updates = Array.from({ length: 16 }, () => conn.updateKeys(rng.chance(0.5)));
    const line = String(round).repeat(999) + "\n";
    expected += line;
    const written = conn.write(encoder.encode(line));
    await Promise.all([...updates, written]);
  }
  assert.equal(await reading, expected, "rustls echoed everything, in order, under the updated keys");
  assert.deepEqual(server.errors, []);
});
