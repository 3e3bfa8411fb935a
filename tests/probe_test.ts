import { CertificateVerificationError } from "../errors.ts";
/**
 * `deno task probe` (probe/): run as a subprocess against a local `Deno.listenTls` server with the test PKI —
 * the text report, `--json`, `--trace`, `--keylog`, and the exit codes and one-line reasons of failures —
 * plus unit tests of its parts (target parsing, the record tracer, key descriptions, check mapping).
 */
import assert from "node:assert/strict";
import { parseArgs, parseTarget } from "../probe/args.ts";
import { certificateFields, colonHex } from "../probe/certificates.ts";
import { failedAt } from "../probe/checks.ts";
import { RecordTracer, type TraceSession } from "../probe/trace.ts";
import { renderJson, renderText, runProbe } from "../probe/main.ts";
import { type DenoEchoServer, freePort, pemToDer, startDenoServer } from "./_peers.ts";
import { type CertAndKey, testPki } from "./_pki.ts";

const PROBE = new URL("../probe/main.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

interface ProbeRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the probe as `deno run -A probe/main.ts …args` (as `deno task probe` does), within 30 s. */
async function probe(...args: string[]): Promise<ProbeRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROBE, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function sha256(der: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(der)));
}

async function server(leaf: CertAndKey, alpnProtocols?: string[]): Promise<DenoEchoServer> {
  return await startDenoServer({ cert: leaf, alpnProtocols });
}

Deno.test("probe: the text report shows version, suite, group, ALPN, the chain, every check and the timings", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-256"];
  await using s = await server(leaf, ["h2"]);
  const run = await probe(
    "--cafile",
    pki.root.certPath,
    "--servername",
    "localhost",
    "--alpn",
    "h2,http/1.1",
    `127.0.0.1:${s.port}`,
  );
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const out = run.stdout;
  assert.ok(!out.includes("\x1b["), "NO_COLOR: no escape sequences");
  assert.match(out, new RegExp(`address +127\\.0\\.0\\.1:${s.port}`));
  assert.match(out, /protocol +TLSv1\.3/);
  assert.match(out, /cipher suite +TLS_AES_(128_GCM_SHA256|256_GCM_SHA384)/);
  assert.match(out, /group +X25519MLKEM768/, "Deno's rustls takes the hybrid share the client sends first");
  assert.match(out, /ALPN +h2/);
  assert.match(out, /SNI +localhost/);
  assert.match(out, /resumed +no/);
  assert.match(out, /\[0\] CN=localhost/);
  assert.match(out, /issuer +CN=subtls Test Root CA/);
  assert.match(out, /names +localhost, 127\.0\.0\.1/);
  assert.match(out, /key +EC P-256/);
  assert.match(out, /signature +sha256WithRSAEncryption/);
  const fingerprint = colonHex(await sha256(pemToDer(leaf.cert)));
  assert.ok(out.includes(`SHA-256       ${fingerprint}`), `fingerprint ${fingerprint} in\n${out}`);
  for (
    const check of ["validity period", "trusted issuer", "signature", "certificate profile", "server name"]
  ) {
    assert.match(out, new RegExp(`✔ ${check}`));
  }
  assert.match(out, /DNS \+ TCP +\d+\.\d ms/);
  assert.match(out, /TLS handshake +\d+\.\d ms/);
  assert.match(out, /total +\d+\.\d ms/);
  assert.match(out, /✔ connected to localhost .*certificate verified/);
  assert.equal(run.stderr, "");
});

Deno.test("probe --json: one JSON document with the suite, the group, the chain (DER as hex) and timings", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["RSA-2048"];
  await using s = await server(leaf);
  const run = await probe(
    "--json",
    "--cafile",
    pki.root.certPath,
    "--servername",
    "localhost",
    `127.0.0.1:${s.port}`,
  );
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.ok, true);
  assert.equal(report.tls.protocol, "TLSv1.3");
  // rustls follows the client's order, which puts AES-128-GCM first.
  assert.equal(report.tls.cipherSuite, "TLS_AES_128_GCM_SHA256");
  assert.equal(report.tls.group, "X25519MLKEM768");
  assert.equal(report.tls.alpnProtocol, null);
  assert.equal(report.tls.serverName, "localhost");
  assert.equal(report.chain.length, 1);
  const [cert] = report.chain;
  const der = pemToDer(leaf.cert);
  assert.equal(cert.der, der.toHex());
  assert.equal(cert.subject, "CN=localhost");
  assert.equal(cert.issuer, "CN=subtls Test Root CA");
  assert.deepEqual(cert.subjectAltNames, ["localhost", "127.0.0.1"]);
  assert.equal(cert.publicKey, "RSA 2048");
  assert.equal(cert.sha256, colonHex(await sha256(der)));
  assert.ok(!Number.isNaN(Date.parse(cert.notAfter)));
  assert.equal(report.verification.ok, true);
  assert.deepEqual(
    report.verification.checks.map((c: { status: string }) => c.status),
    Array(5).fill("pass"),
  );
  for (const key of ["connectMs", "handshakeMs", "totalMs"]) {
    assert.equal(typeof report.timings[key], "number");
  }
  assert.ok(report.timings.totalMs >= report.timings.handshakeMs);
  assert.equal(report.error, null);
  assert.equal(report.trace, null);
});

Deno.test("probe --trace: every record, ClientHello sent and ServerHello received named, headers in hex", async () => {
  const pki = await testPki();
  await using s = await server(pki.leaves["ECDSA P-256"]);
  const run = await probe(
    "--trace",
    "--cafile",
    pki.root.certPath,
    "--servername",
    "localhost",
    `127.0.0.1:${s.port}`,
  );
  assert.equal(run.code, 0, run.stderr);
  // RFC 8446 §5.1: the first ClientHello may carry record version 0x0301.
  assert.match(
    run.stdout,
    /→ handshake +0x0301 +len +\d+ +ClientHello\n +16 03 01 [0-9a-f]{2} [0-9a-f]{2} \| 01 /,
  );
  assert.match(run.stdout, /← handshake +0x0303 +len +\d+ +ServerHello\n +16 03 03 [0-9a-f ]+\| 02 /);
  // The ServerHello's supported_versions says TLS 1.3: a ChangeCipherSpec is only for middleboxes (§D.4).
  assert.match(run.stdout, /change_cipher_spec +0x0303 +len +1 +ChangeCipherSpec \(middlebox compatibility/);
  assert.match(run.stdout, /← application_data +0x0303 .* encrypted/);
  assert.match(run.stdout, /→ application_data +0x0303 .* encrypted/);

  const json = JSON.parse(
    (await probe(
      "--trace",
      "--json",
      "--cafile",
      pki.root.certPath,
      "--servername",
      "localhost",
      `127.0.0.1:${s.port}`,
    )).stdout,
  );
  const [hello] = json.trace;
  assert.equal(hello.direction, "sent");
  assert.equal(hello.summary, "ClientHello");
  assert.equal(hello.header.slice(0, 6), "160301");
  assert.equal(parseInt(hello.header.slice(6), 16), hello.length);
});

Deno.test("probe --keylog: the five TLS 1.3 NSS lines are appended to the file", async () => {
  const pki = await testPki();
  await using s = await server(pki.leaves["Ed25519"]);
  const file = await Deno.makeTempFile({ prefix: "subtls-keylog-" });
  try {
    await Deno.writeTextFile(file, "# kept\n");
    const run = await probe(
      "--keylog",
      file,
      "--cafile",
      pki.root.certPath,
      "--servername",
      "localhost",
      `127.0.0.1:${s.port}`,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /key +Ed25519/);
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.equal(lines.shift(), "# kept");
    assert.equal(lines.length, 5, lines.join("\n"));
    const labels = lines.map((line) => {
      const m = /^([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]{64})$/.exec(line);
      assert.ok(m, `NSS key-log line: ${line}`);
      return m[1];
    });
    assert.deepEqual(labels.toSorted(), [
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0",
      "EXPORTER_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_TRAFFIC_SECRET_0",
    ]);
    assert.equal(new Set(lines.map((l) => l.split(" ")[1])).size, 1, "one client random");
    assert.match(run.stdout, /5 lines appended/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("probe: a wrong --servername exits 1 naming hostname_mismatch, and still shows the chain", async () => {
  const pki = await testPki();
  await using s = await server(pki.leaves["ECDSA P-256"]);
  const run = await probe(
    "--cafile",
    pki.root.certPath,
    "--servername",
    "wrong.example",
    `127.0.0.1:${s.port}`,
  );
  assert.equal(run.code, 1);
  const reason = run.stderr.trimEnd().split("\n");
  assert.equal(reason.length, 1, `one line: ${run.stderr}`);
  // The reason, then the way out in the probe's own flags (not the library's option names).
  assert.match(
    reason[0],
    /^probe: certificate verification failed: .*wrong\.example.*\[hostname_mismatch\]\. --servername NAME checks a name the certificate carries$/,
  );
  assert.doesNotMatch(reason[0], /serverName/);
  // Printed once: the report names the check and the code, the reason is on stderr only.
  assert.match(run.stdout, /✘ server name \(wrong\.example\) +\[hostname_mismatch\]\n/);
  assert.doesNotMatch(run.stdout, /subjectAltName/);
  assert.match(run.stdout, /✘ failed: the server certificate's verification\n?$/);
  for (const check of ["validity period", "trusted issuer", "signature", "certificate profile"]) {
    assert.match(run.stdout, new RegExp(`✔ ${check}`), "the name is checked last: the rest passed");
  }
  // The chain and what was negotiated come from the refused connection itself (decrypted), not a second one.
  assert.match(run.stdout, /\[0\] CN=localhost/);
  assert.match(run.stdout, /Connection +\(handshake not completed/);
  assert.match(run.stdout, /protocol +TLSv1\.3/);
  assert.match(run.stdout, /group +X25519MLKEM768/);
  assert.doesNotMatch(run.stderr, /DANGER/, "no connection with verification off was made");

  const json = JSON.parse(
    (await probe(
      "--json",
      "--cafile",
      pki.root.certPath,
      "--servername",
      "wrong.example",
      `127.0.0.1:${s.port}`,
    )).stdout,
  );
  assert.equal(json.ok, false);
  assert.equal(json.error.stage, "verification");
  assert.equal(json.error.code, "hostname_mismatch");
  assert.equal(json.error.alert, "certificate_unknown");
  assert.equal(json.chain[0].subject, "CN=localhost");
});

Deno.test("probe: an untrusted issuer fails with unknown_issuer; --insecure goes on and exits 0 with a warning", async () => {
  const pki = await testPki();
  await using s = await server(pki.untrusted);
  const refused = await probe(
    "--cafile",
    pki.root.certPath,
    "--servername",
    "localhost",
    `127.0.0.1:${s.port}`,
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /\[unknown_issuer\]\. --cafile FILE trusts the CA that issued it/);
  assert.match(refused.stdout, /✘ trusted issuer +\[unknown_issuer\]/);
  assert.match(refused.stdout, /– server name: not checked/);

  const insecure = await probe(
    "--insecure",
    "--cafile",
    pki.root.certPath,
    "--servername",
    "localhost",
    `127.0.0.1:${s.port}`,
  );
  assert.equal(insecure.code, 0, insecure.stderr);
  // The library's warning of unsafelyIgnoreCertificateErrors, which --insecure is.
  assert.match(insecure.stderr, /^DANGER: unsafelyIgnoreCertificateErrors is set/);
  assert.match(insecure.stdout, /✘ trusted issuer +\[unknown_issuer\]/);
  assert.match(insecure.stdout, /--insecure: the connection went on/);
  assert.match(insecure.stdout, /certificate NOT verified/);
  assert.match(insecure.stdout, /issuer +CN=subtls Unrelated CA/);
});

Deno.test("probe: a refused connection exits 1 with a one-line reason; usage errors exit 2; --help exits 0", async () => {
  const refused = await probe(`127.0.0.1:${freePort()}`);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^probe: cannot connect to 127\.0\.0\.1:\d+: .*refused.*\n$/i);

  const usage = await probe();
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^probe: no host given/);
  for (
    const [args, reason] of [
      [["--bogus", "example.com"], /^probe: unknown option --bogus\n/],
      [["--cert", "c.pem", "example.com"], /^probe: --cert and --key go together\n/],
      [
        ["--cafile", "/nonexistent/ca.pem", "example.com"],
        /^probe: cannot read --cafile \/nonexistent\/ca\.pem: .*\n$/,
      ],
      [
        ["--cert", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem", "example.com"],
        /^probe: cannot read --cert /,
      ],
    ] as const
  ) {
    const run = await probe(...args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, reason);
    assert.equal(run.stdout, "", "a usage error reports nothing else");
  }

  const help = await probe("--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task probe \[options\] host\[:port\]/);
  for (
    const flag of [
      "--servername",
      "--cafile",
      "--cert",
      "--key",
      "--alpn",
      "--insecure",
      "--keylog",
      "--trace",
      "--json",
      "--no-color",
    ]
  ) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});

// ---- parts ----

Deno.test("probe in-process: runProbe leaves nothing open; text is coloured only when asked; JSON round-trips", async () => {
  const pki = await testPki();
  const leaf = pki.leaves["ECDSA P-384"];
  await using s = await server(leaf);
  const report = await runProbe({
    host: "127.0.0.1",
    port: s.port,
    serverName: "localhost",
    caFile: pki.root.certPath,
    alpn: [],
    insecure: false,
    trace: true,
    json: false,
    color: false,
    timeoutSeconds: 10,
  });
  assert.equal(report.ok, true, report.error?.message);
  assert.equal(report.chain[0].publicKey, "EC P-384");
  assert.ok(report.trace!.length >= 4);
  assert.ok(renderText(report, true).includes("\x1b[32m✔\x1b[0m server name"));
  assert.ok(!renderText(report, false).includes("\x1b["));
  const json = JSON.parse(renderJson(report));
  assert.equal(json.chain[0].der, pemToDer(leaf.cert).toHex());
  assert.equal(json.trace[0].header, report.trace![0].header.toHex());
  assert.equal(json.chain[0].notAfter, report.chain[0].notAfter.toISOString());
});

Deno.test("probe args: host[:port] forms, defaults and errors", () => {
  assert.deepEqual(parseTarget("example.com"), { host: "example.com", port: 443 });
  assert.deepEqual(parseTarget("example.com:8443"), { host: "example.com", port: 8443 });
  assert.deepEqual(parseTarget("https://example.com/path"), { host: "example.com", port: 443 });
  assert.deepEqual(parseTarget("[::1]:8443"), { host: "::1", port: 8443 });
  assert.deepEqual(parseTarget("::1"), { host: "::1", port: 443 });
  assert.equal(typeof parseTarget("example.com:99999"), "string");
  assert.equal(typeof parseTarget("example.com:x"), "string");
  const parsed = parseArgs(["--alpn=h2,http/1.1", "--servername", "a.example", "--trace", "h:1"]);
  assert.equal(parsed.kind, "probe");
  if (parsed.kind === "probe") {
    assert.deepEqual(parsed.args.alpn, ["h2", "http/1.1"]);
    assert.equal(parsed.args.serverName, "a.example");
    assert.equal(parsed.args.trace, true);
    assert.equal(parsed.args.color, true);
  }
  assert.deepEqual(parseArgs(["--bogus", "h"]), { kind: "error", message: "unknown option --bogus" });
  assert.deepEqual(parseArgs(["--cafile"]), { kind: "error", message: "--cafile needs a value" });
  const colorOf = (argv: string[], noColor = false) => {
    const p = parseArgs(argv, noColor);
    return p.kind === "probe" ? p.args.color : undefined;
  };
  assert.equal(colorOf(["--no-color", "h"]), false);
  assert.equal(colorOf(["h"], true), false, "NO_COLOR or a pipe turns colours off");
});

Deno.test("probe trace: RFC 8446 §5.1 records split across chunks, messages across records, HelloRetryRequest named", () => {
  const session: TraceSession = {};
  const tracer = new RecordTracer("received", session);
  const hrrRandom = Uint8Array.fromHex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");
  // A HelloRetryRequest (ServerHello with the special random) of 38 body bytes, in a record cut in two chunks.
  const body = new Uint8Array(38);
  body.set([3, 3]);
  body.set(hrrRandom, 2);
  const hrr = Uint8Array.of(22, 3, 3, 0, 42, 2, 0, 0, 38, ...body);
  assert.deepEqual(tracer.push(hrr.subarray(0, 7), 1), []);
  const [record] = tracer.push(hrr.subarray(7), 2);
  assert.equal(record.summary, "HelloRetryRequest");
  assert.equal(session.version, "TLSv1.2", "this HelloRetryRequest carries no supported_versions");
  session.version = "TLSv1.3";
  const [dummy] = tracer.push(Uint8Array.of(20, 3, 3, 0, 1, 1), 2);
  assert.equal(dummy.summary, "ChangeCipherSpec (middlebox compatibility, ignored by TLS 1.3)");
  assert.equal(record.timeMs, 2);
  assert.equal(record.length, 42);
  // A handshake message of 10 bytes split over two records.
  const first = tracer.push(Uint8Array.of(22, 3, 3, 0, 8, 11, 0, 0, 10, 1, 2, 3, 4), 3);
  assert.equal(first[0].summary, "Certificate (4 of 10 bytes, continues in the next record)");
  const second = tracer.push(Uint8Array.of(22, 3, 3, 0, 10, 5, 6, 7, 8, 9, 10, 20, 0, 0, 0), 4);
  assert.equal(second[0].summary, "(continued), Finished");
  // Before the version is known, a ChangeCipherSpec is taken as TLS 1.2's: what follows is encrypted.
  const tls12 = new RecordTracer("received", {});
  const [ccs, finished] = tls12.push(Uint8Array.of(20, 3, 3, 0, 1, 1, 22, 3, 3, 0, 2, 0xde, 0xad), 6);
  assert.equal(ccs.summary, "ChangeCipherSpec (records from here on are encrypted)");
  assert.equal(finished.summary, "encrypted handshake (Finished)");
  // Plaintext alert, then an encrypted record.
  const [alert, encrypted] = tracer.push(Uint8Array.of(21, 3, 3, 0, 2, 2, 40, 23, 3, 3, 0, 1, 0xaa), 5);
  assert.equal(alert.summary, "fatal handshake_failure");
  assert.equal(alert.contentTypeName, "alert");
  assert.equal(encrypted.summary, "encrypted");
  assert.equal(encrypted.version, "0x0303");
});

Deno.test("probe certificates: serial, signature algorithm and key type read from the DER", async () => {
  const pki = await testPki();
  const expected: Record<string, string> = {
    "ECDSA P-256": "EC P-256",
    "ECDSA P-384": "EC P-384",
    "RSA-2048": "RSA 2048",
    "Ed25519": "Ed25519",
  };
  for (const [type, key] of Object.entries(expected)) {
    const fields = certificateFields(pemToDer(pki.leaves[type as keyof typeof pki.leaves].cert));
    assert.equal(fields.publicKey, key, type);
    assert.equal(fields.signatureAlgorithm, "sha256WithRSAEncryption");
    assert.match(fields.serialNumber, /^[0-9a-f]+$/);
  }
  assert.equal(certificateFields(pemToDer(pki.otherRoot.cert)).signatureAlgorithm, "ecdsa-with-SHA256");
  assert.throws(
    () => certificateFields(Uint8Array.of(0x30, 0x05, 1)),
    (e) => e instanceof CertificateVerificationError && e.code === "malformed",
  );
});

Deno.test("probe checks: each error code fails its own check; the name is checked last", () => {
  const byCheck = (code: Parameters<typeof failedAt>[0]) =>
    Object.fromEntries(failedAt(code, "m").map((c) => [c.check, c.status]));
  assert.deepEqual(byCheck("expired"), {
    "validity period": "fail",
    "trusted issuer": "not_checked",
    "signature": "not_checked",
    "certificate profile": "not_checked",
    "server name": "not_checked",
  });
  assert.equal(byCheck("bad_signature").signature, "fail");
  assert.equal(byCheck("unknown_issuer")["trusted issuer"], "fail");
  assert.deepEqual(Object.values(byCheck("hostname_mismatch")), ["pass", "pass", "pass", "pass", "fail"]);
});
