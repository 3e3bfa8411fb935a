/**
 * The NSS key log is right: tshark decrypts a loopback capture of this library's TLS 1.3 traffic (with the
 * traffic secrets) and TLS 1.2 traffic (with the CLIENT_RANDOM line: the master secret, RFC 5246 §8.1), finds
 * the plaintext both ways, and finds nothing without the key log.
 */
import assert from "node:assert/strict";
import { connectTls, type TlsVersion } from "../mod.ts";
import { PeerProcess, requireBinary } from "./_peer_process.ts";
import { startDenoServer } from "./_peers.ts";
import { testPki } from "./_pki.ts";

async function tshark(args: string[]): Promise<string> {
  const out = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `tshark ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** What each version's key log must hold. */
const EXPECTED: Record<TlsVersion, (lines: string[]) => void> = {
  "TLSv1.3": (lines) => {
    assert.deepEqual(
      lines.map((l) => l.split(" ")[0]).sort(),
      [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_TRAFFIC_SECRET_0",
      ],
    );
    for (const line of lines) assert.match(line, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64}$/);
  },
  "TLSv1.2": (lines) => {
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
  },
};

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  Deno.test(`NSS key log: tshark decrypts a captured ${version} session with the keyLog lines`, async () => {
    await requireBinary("tshark", "apt-get install -y tshark");
    const pki = await testPki();
    const dir = await Deno.makeTempDir();
    try {
      await using server = await startDenoServer({ cert: pki.leaves["ECDSA P-256"] });
      const capture = `${dir}/capture.pcapng`;
      await using sniffer = PeerProcess.spawn("tshark", [
        "tshark",
        "-i",
        "lo",
        "-f",
        `tcp port ${server.port}`,
        "-w",
        capture,
      ]);
      await sniffer.waitFor("stderr", /Capturing on/, { timeoutMs: 20_000 });
      // "Capturing on" comes a moment before the capture filter is live: give it time, or the ClientHello
      // (whose random names the keys) may be missed.
      await new Promise((r) => setTimeout(r, 1000));

      const lines: string[] = [];
      const marker = `key-log-marker-${crypto.randomUUID()}`;
      const conn = await connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        serverName: "localhost",
        caCerts: [pki.root.cert],
        maxVersion: version,
        keyLog: (line) => lines.push(line),
      });
      assert.equal((await conn.handshake()).protocol, version);
      await conn.write(new TextEncoder().encode(marker));
      const buf = new Uint8Array(marker.length);
      let got = 0;
      while (got < marker.length) {
        const n = await conn.read(buf.subarray(got));
        assert.ok(n !== null);
        got += n;
      }
      await conn.closeWrite();
      conn.close();
      // Let the last packets reach the capture file, then stop tshark (SIGTERM: it finishes the file).
      await new Promise((r) => setTimeout(r, 500));
      await sniffer.stop();

      EXPECTED[version](lines);
      const keylog = `${dir}/keys.log`;
      await Deno.writeTextFile(keylog, lines.join("\n") + "\n");

      const follow = ["-r", capture, "-q", "-z", "follow,tls,ascii,0"];
      const decrypted = await tshark(["-o", `tls.keylog_file:${keylog}`, ...follow]);
      assert.ok(
        decrypted.includes(marker),
        `tshark did not find the plaintext:\n${decrypted.slice(0, 2000)}`,
      );
      // Both directions: the echo comes back, so the marker appears twice.
      assert.ok(decrypted.split(marker).length - 1 >= 2, "both directions decrypted");
      const without = await tshark(follow);
      assert.ok(!without.includes(marker), "without the key log the capture stays opaque");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
