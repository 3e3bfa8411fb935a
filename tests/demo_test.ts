/**
 * `deno task demo` tells the truth: run as a program (its output a pipe, so without colours), it prints the
 * four certificate checks from the verifier's own result (the time, the path, the signature algorithms and
 * keys, the name entry that matched), names the hybrid ML-KEM-768 + X25519 key exchange, captions each key
 * switch where it happens and each CertificateVerify by the role that sent it, and refuses unknown flags.
 */
import assert from "node:assert/strict";

const DEMO = new URL("../demo/main.ts", import.meta.url).pathname;

async function demo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...Deno.env.toObject() };
  delete env.NO_COLOR; // colours must be off because the output is a pipe, not because of NO_COLOR
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", DEMO, ...args],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** The lines of `text` in order, each matching its pattern (others may come between). */
function assertInOrder(text: string, patterns: RegExp[]): void {
  const lines = text.split("\n");
  let at = 0;
  for (const pattern of patterns) {
    const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
    assert.ok(found >= 0, `no line matching ${pattern} after line ${at} in:\n${text}`);
    at = found + 1;
  }
}

Deno.test("demo: the four checks come from verifyCertificateChain's result, with what each compared", async () => {
  const run = await demo();
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!run.stdout.includes("\x1b["), "no colour codes into a pipe");
  const validity =
    /✔ validity period +at (\S+ \S+) UTC, within CN=localhost (\S+ \S+) → (\S+ \S+); CN=Demo Root CA (\S+ \S+) → (\S+ \S+)/
      .exec(run.stdout);
  assert.ok(validity, run.stdout);
  const [, time, notBefore, notAfter] = validity.map((d) => Date.parse(`${d.replace(" ", "T")}Z`));
  // The certificate was made by this run, so the verifier's time is within it, and minutes after its start.
  assert.ok(notBefore <= time && time <= notAfter, validity[0]);
  assert.ok(Math.abs(Date.now() - time) < 10 * 60_000, `the time compared is now: ${validity[1]}`);
  assert.match(
    run.stdout,
    /✔ trusted issuer +CN=localhost's issuer is CN=Demo Root CA; CN=Demo Root CA is a trust anchor \(caCerts\)/,
  );
  assert.match(
    run.stdout,
    /✔ signature +CN=localhost's ecdsa-with-SHA256 signature verifies with CN=Demo Root CA's EC P-256 key/,
  );
  assert.match(run.stdout, /✔ server name +"localhost" matches its subjectAltName entry localhost/);
  // The refusal at the end is the verifier's too, with its hint.
  assert.match(run.stdout, /✘ refused: .*\[hostname_mismatch\]\. .*serverName/);
});

Deno.test("demo: TLS 1.3 with the hybrid group, key switches captioned where they happen, CertificateVerify by role (--mtls)", async () => {
  const run = await demo("--mtls");
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /key share +X25519MLKEM768 \(1120 bytes\): hybrid post-quantum key exchange: an ML-KEM-768 encapsulation and an X25519 ECDH share/,
  );
  assert.doesNotMatch(run.stdout, /\(EC\)DH\)/);
  assertInOrder(run.stdout, [
    /derived +server handshake traffic secret/,
    /installed +new read keys: the server's records are encrypted from here on, with the handshake traffic keys/,
    /client ← server +encrypted_extensions/,
    /client ← server +certificate_verify/,
    /proves the server holds the private key of its certificate/,
    /derived +server application traffic secret/,
    /installed +new read keys: the server's records switch to the application traffic keys/,
    /client → server +certificate_verify/,
    /proves the client holds the private key of its certificate/,
    /client → server +finished/,
    /installed +new write keys: the client's records switch to the application traffic keys/,
    /handshake complete/,
  ]);
  assert.equal(run.stdout.match(/records are encrypted from here on/g)?.length, 2, "once per direction");
  // The server's side of mutual TLS: its checks of the client's chain, with no name to compare.
  assertInOrder(run.stdout, [
    /server side: the client sent a certificate/,
    /✔ trusted issuer +CN=Demo Client's issuer is CN=Demo Root CA; .*\(clientCaCerts\)/,
    /– name +not compared/,
  ]);
});

Deno.test("demo --tls12: the checks, the ChangeCipherSpec captions and the key switches of TLS 1.2", async () => {
  const run = await demo("--tls12");
  assert.equal(run.code, 0, run.stderr);
  assertInOrder(run.stdout, [
    /client ← server +server_key_exchange/,
    /✔ server name +"localhost" matches/,
    /client → server +ChangeCipherSpec \(the client's next records use the new keys\)/,
    /installed +new write keys: the client's records are encrypted from here on/,
    /client ← server +ChangeCipherSpec \(the server's next records use the new keys\)/,
    /installed +new read keys: the server's records are encrypted from here on/,
  ]);
  assert.match(run.stdout, /negotiated +TLSv1\.2/);
});

Deno.test("demo: an unknown flag is refused with the usage (exit 2); --help exits 0", async () => {
  const run = await demo("--tls13");
  assert.equal(run.code, 2);
  assert.equal(run.stdout, "");
  assert.match(
    run.stderr,
    /^demo: unknown option --tls13\n\nUsage: deno task demo \[--tls12\] \[--mtls\] \[--no-color\]/,
  );
  const help = await demo("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task demo/);
});
