/**
 * A session made under one client identity is never resumed under another: the server would otherwise see
 * the earlier connection's client certificate (or one where the new connection has none).
 */
import assert from "node:assert/strict";
import { connectTls, generateCertificate, listenTls, MemorySessionCache, type TlsConn } from "../mod.ts";
import { serverPki } from "./_server.ts";

Deno.test("resumption: the session cache keeps client identities apart (TLS 1.3 and TLS 1.2)", async () => {
  const pki = await serverPki();
  const [alice, bob] = await Promise.all(
    ["CN=alice", "CN=bob"].map((subject) =>
      generateCertificate({ subject, issuer: pki.root, extKeyUsage: ["clientAuth"] })
    ),
  );
  for (const maxVersion of ["TLSv1.3", "TLSv1.2"] as const) {
    const seen: string[] = [];
    const listener = listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: pki.leaves["ECDSA P-256"].cert,
      key: pki.leaves["ECDSA P-256"].key,
      clientAuth: "request",
      clientCaCerts: [pki.root.cert],
      maxVersion,
    });
    const serving = (async () => {
      for await (const conn of listener) {
        const info = await conn.handshake();
        seen.push(`${info.peerCertificates[0]?.subject ?? "none"}${info.resumed ? " (resumed)" : ""}`);
        const buf = new Uint8Array(1);
        await conn.read(buf).catch(() => null);
        conn.close();
      }
    })();
    const sessionCache = new MemorySessionCache();
    const connect = async (identity?: { cert: string; key: string }) => {
      const conn: TlsConn = await connectTls({
        hostname: "127.0.0.1",
        port: listener.addr.port,
        serverName: "localhost",
        caCerts: [pki.root.cert],
        sessionCache,
        maxVersion,
        ...identity,
      });
      const info = await conn.handshake();
      // Give the server's tickets time to arrive and be stored before closing.
      await conn.write(new Uint8Array([1]));
      await conn.read(new Uint8Array(1)).catch(() => null);
      conn.close();
      return info.resumed;
    };
    try {
      assert.equal(await connect(alice), false);
      assert.equal(await connect(), false, `${maxVersion}: no certificate must not resume alice's session`);
      assert.equal(await connect(bob), false, `${maxVersion}: bob must not resume alice's session`);
      await connect(alice);
      assert.deepEqual(seen.slice(0, 3), ["CN=alice", "none", "CN=bob"], maxVersion);
      assert.ok(seen[3].startsWith("CN=alice"), `${maxVersion}: alice is alice again (${seen[3]})`);
    } finally {
      listener.close();
      await serving.catch(() => {});
    }
  }
});
