/**
 * Every runnable file in `examples/` runs (type-checked, as a subprocess) and exits 0. Each example checks
 * its own outcome and throws when it is wrong, so exit code 0 means it showed what it claims to show.
 * A new file in `examples/` must be listed here, as runnable or with the reason it is not.
 */
import assert from "node:assert/strict";

const EXAMPLES = new URL("../examples/", import.meta.url);

/** The examples run as programs, with a line their output must contain. */
const RUNNABLE: Record<string, RegExp> = {
  "client_basic.ts": /^TLSv1\.3 TLS_\w+ \S+\n[\s\S]*hello from a local TLS server/,
  "custom_verification.ts":
    /: accepted [\s\S]*other pin: refused, rejected_by_callback \(alert bad_certificate\)/,
  "server_basic.ts": /server: TLSv1\.3 TLS_\w+ \S+, SNI localhost, ALPN echo\n[\s\S]*echoed "hello, TLS\\n"/,
  "mutual_tls.ts":
    /without a certificate: refused, remote alert certificate_required\n[\s\S]*with a certificate: hello, CN=alice, O=Example/,
  "stream_pair.ts": /over an in-memory pipe: TLSv1\.3 TLS_\w+ \S+\n[\s\S]*the server read "ping"/,
  "resumption.ts": /first connection: resumed false[\s\S]*second connection: resumed true/,
  "starttls_smtp.ts":
    /C: STARTTLS\n +S: 220 [^\n]*\n +-- TLS: TLSv1\.3 [^\n]*\n +C: EHLO client\.example\n +S: 250-[^\n]*over TLSv1\.3\n[\s\S]*S: 221 /,
  "trace_keylog.ts":
    /sent +client_hello[\s\S]*received +finished[\s\S]*key log: \d+ lines [^\n]*CLIENT_TRAFFIC_SECRET_0/,
};

/** The other files, and why they are not run here. */
const NOT_RUNNABLE: Record<string, string> = {
  "_local_server.ts": "scaffolding imported by the runnable examples",
  "https_client.ts": "needs a server: tests/http_test.ts runs it against openssl s_server -www and Node.js",
  "https_server.ts":
    "serves until stopped: tests/http_test.ts runs it and asks curl over HTTP/1.1 and HTTP/2",
  "browser_websocket.ts": "browser code: bundled and run in Chromium by tests/browser_test.ts",
  "websocket_relay.ts": "a server that runs until stopped: used as the relay of tests/browser_test.ts",
};

Deno.test("examples: every file in examples/ is either run here or accounted for", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(EXAMPLES)) if (entry.isFile) files.push(entry.name);
  assert.deepEqual(files.toSorted(), [...Object.keys(RUNNABLE), ...Object.keys(NOT_RUNNABLE)].toSorted());
});

for (const [file, expected] of Object.entries(RUNNABLE)) {
  Deno.test(`examples: ${file} runs and exits 0`, async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--check", "-A", new URL(file, EXAMPLES).pathname],
      cwd: new URL("..", import.meta.url).pathname,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, `${file} exited ${output.code}\n${stdout}\n${stderr}`);
    assert.match(stdout, expected);
  });
}
