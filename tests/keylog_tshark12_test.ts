/**
 * The NSS key log of TLS 1.2 is right: tshark decrypts a loopback capture of this library's TLS 1.2 traffic
 * with the CLIENT_RANDOM line (the master secret, RFC 5246 §8.1) and finds the plaintext both ways, and
 * finds nothing without it.
 */
import assert from "node:assert/strict";
import { connectTls } from "../mod.ts";
import { PeerProcess, requireBinary } from "./_peer_process.ts";
import { startDenoServer } from "./_peers.ts";
import { testPki } from "./_pki.ts";

async function tshark(args: string[]): Promise<string> {
  const out = await new Deno.Command("tshark", { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `tshark ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

Deno.test("NSS key log: tshark decrypts a captured TLS 1.2 session with the CLIENT_RANDOM line", async () => {
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
      maxVersion: "TLSv1.2",
      keyLog: (line) => lines.push(line),
    });
    assert.equal((await conn.handshake()).protocol, "TLSv1.2");
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

    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    const keylog = `${dir}/keys.log`;
    await Deno.writeTextFile(keylog, lines.join("\n") + "\n");

    const follow = ["-r", capture, "-q", "-z", "follow,tls,ascii,0"];
    const decrypted = await tshark(["-o", `tls.keylog_file:${keylog}`, ...follow]);
    assert.ok(decrypted.includes(marker), `tshark did not find the plaintext:\n${decrypted.slice(0, 2000)}`);
    // Both directions: the echo comes back, so the marker appears twice.
    assert.ok(decrypted.split(marker).length - 1 >= 2, "both directions decrypted");
    const without = await tshark(follow);
    assert.ok(!without.includes(marker), "without the key log the capture stays opaque");
  } finally {
    if (!Deno.env.get("KEEP")) await Deno.remove(dir, { recursive: true });
    else console.log(dir);
  }
});
