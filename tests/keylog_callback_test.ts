/**
 * A `keyLog` callback that throws is ignored, as a `trace` callback that throws is: the handshake completes
 * and data flows, on both sides and in both versions. (Before, the exception aborted the handshake with
 * internal_error.) The callback is still called for each secret.
 */
import assert from "node:assert/strict";
import { acceptTls, startTls, type TlsVersion } from "../mod.ts";
import { readExactly } from "./_peers.ts";
import { memoryPipe, serverPki } from "./_server.ts";

for (const version of ["TLSv1.3", "TLSv1.2"] as const satisfies readonly TlsVersion[]) {
  Deno.test(`keyLog (${version}): a callback that throws on every line breaks neither side`, async () => {
    const pki = await serverPki();
    const leaf = pki.leaves["ECDSA P-256"];
    const [c, s] = memoryPipe();
    const calls = { client: 0, server: 0 };
    const throwing = (side: "client" | "server") => () => {
      calls[side]++;
      throw new Error("the key log file is full");
    };
    const [server, client] = await Promise.all([
      acceptTls(s, { cert: leaf.cert, key: leaf.key, keyLog: throwing("server"), maxVersion: version }),
      startTls(c, {
        serverName: "localhost",
        caCerts: [pki.root.cert],
        sessionCache: null,
        keyLog: throwing("client"),
        maxVersion: version,
      }),
    ]);
    assert.equal((await client.handshake()).protocol, version);
    await client.write(new TextEncoder().encode("ping"));
    assert.equal(new TextDecoder().decode(await readExactly(server, 4)), "ping");
    await server.write(new TextEncoder().encode("pong"));
    assert.equal(new TextDecoder().decode(await readExactly(client, 4)), "pong");
    // TLS 1.3: five secrets per side; TLS 1.2: the master secret.
    const expected = version === "TLSv1.3" ? 5 : 1;
    assert.deepEqual(calls, { client: expected, server: expected });
    client.close();
    server.close();
  });
}
