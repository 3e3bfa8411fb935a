/**
 * The probe's `--trace` names the TLS 1.3 messages of its own connection from their decryption with the
 * connection's key-log secrets, and `--cert`/`--key` answer a server's CertificateRequest — against
 * `openssl s_server -Verify 1` (a TLS 1.3 server that refuses a client without a certificate after the
 * handshake, RFC 8446 §4.4.2.4), `-verify 1` (one that only asks), and this library's TLS 1.2 server (which
 * refuses within the handshake).
 */
import assert from "node:assert/strict";
import { generateCertificate, listenTls } from "../mod.ts";
import { HandshakeStream } from "../probe/trace.ts";
import { tempDir } from "./_certs.ts";
import { startOpenSslServer } from "./_peers.ts";

const PROBE = new URL("../probe/main.ts", import.meta.url).pathname;

async function probe(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROBE, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** A CA, a server certificate and a client certificate it issued, as files. */
async function pki() {
  const dir = await tempDir();
  const ca = await generateCertificate({ subject: "CN=Probe Test CA", isCA: true });
  const server = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    issuer: ca,
    extKeyUsage: ["serverAuth"],
  });
  const client = await generateCertificate({
    subject: "CN=probe client",
    subjectAltNames: [],
    issuer: ca,
    extKeyUsage: ["clientAuth"],
  });
  const files = {
    ca: `${dir}/ca.pem`,
    server: {
      cert: server.cert,
      key: server.key,
      certPath: `${dir}/server.pem`,
      keyPath: `${dir}/server-key.pem`,
    },
    clientCert: `${dir}/client.pem`,
    clientKey: `${dir}/client-key.pem`,
    pem: { ca: ca.cert, server, client },
  };
  await Deno.writeTextFile(files.ca, ca.cert);
  await Deno.writeTextFile(files.server.certPath, server.cert);
  await Deno.writeTextFile(files.server.keyPath, server.key);
  await Deno.writeTextFile(files.clientCert, client.cert);
  await Deno.writeTextFile(files.clientKey, client.key);
  return files;
}

Deno.test("probe --trace: RFC 8446 §5.2: the encrypted TLS 1.3 handshake of its own connection is decrypted and named", async () => {
  const files = await pki();
  await using server = await startOpenSslServer({
    cert: files.server,
    mode: "interactive",
    extraArgs: ["-www"],
  });
  const run = await probe(
    "--trace",
    "--json",
    "--cafile",
    files.ca,
    "--servername",
    "localhost",
    `127.0.0.1:${server.port}`,
  );
  assert.equal(run.code, 0, run.stderr);
  const trace: { direction: string; contentTypeName: string; summary: string }[] =
    JSON.parse(run.stdout).trace;
  const received = trace.filter((r) =>
    r.direction === "received" && r.contentTypeName === "application_data"
  );
  const named = received.flatMap((r) => r.summary.replace(/^encrypted handshake: /, "").split(", "));
  // OpenSSL sends each message of its flight in a record of its own; the names, in order, are the flight.
  assert.deepEqual(named.slice(0, 4), [
    "EncryptedExtensions",
    "Certificate",
    "CertificateVerify",
    "Finished",
  ]);
  const sent = trace.filter((r) => r.direction === "sent" && r.contentTypeName === "application_data");
  assert.equal(sent[0].summary, "encrypted handshake: Finished");
  assert.ok(
    trace.every((r) => !/does not open|no .* secret/.test(r.summary)),
    JSON.stringify(trace, null, 1),
  );
  // In the text, the same names.
  const text = await probe(
    "--trace",
    "--cafile",
    files.ca,
    "--servername",
    "localhost",
    `127.0.0.1:${server.port}`,
  );
  assert.match(text.stdout, /← application_data +0x0303 +len +\d+ +encrypted handshake: Certificate\b/);
});

Deno.test("probe --cert/--key (TLS 1.3, openssl s_server -Verify 1): refused without one, with a clear report; accepted with one", async () => {
  const files = await pki();
  await using server = await startOpenSslServer({
    cert: files.server,
    mode: "interactive",
    extraArgs: ["-www", "-Verify", "1", "-CAfile", files.ca],
  });
  const target = `127.0.0.1:${server.port}`;
  const without = await probe("--cafile", files.ca, "--servername", "localhost", target);
  assert.equal(without.code, 1, without.stdout + without.stderr);
  assert.match(
    without.stdout,
    /Client certificate +\(the server asked for one\)\n +sent +none \(--cert FILE --key FILE send one\)\n +server +refused/,
  );
  assert.doesNotMatch(without.stdout, /✔ connected/);
  const reason = without.stderr.trimEnd().split("\n");
  assert.equal(reason.length, 1, without.stderr);
  assert.match(
    reason[0],
    /^probe: the server asked for a client certificate, none was sent, and it refused the connection \(alert certificate_required\)\. --cert FILE --key FILE send one$/,
  );

  const json = JSON.parse(
    (await probe("--json", "--cafile", files.ca, "--servername", "localhost", target)).stdout,
  );
  assert.equal(json.ok, false);
  assert.equal(json.error.stage, "client certificate");
  assert.equal(json.error.alert, "certificate_required");
  assert.deepEqual(json.clientCertificate, { sent: null, outcome: "refused" });

  const withCert = await probe(
    "--cafile",
    files.ca,
    "--cert",
    files.clientCert,
    "--key",
    files.clientKey,
    "--servername",
    "localhost",
    target,
  );
  assert.equal(withCert.code, 0, withCert.stdout + withCert.stderr);
  assert.match(withCert.stdout, /sent +CN=probe client\n +server +accepted/);
  assert.match(withCert.stdout, /✔ connected to localhost/);
});

Deno.test("probe (TLS 1.3, openssl s_server -verify 1): a server that only asks lets the probe in without a certificate, and says so", async () => {
  const files = await pki();
  await using server = await startOpenSslServer({
    cert: files.server,
    mode: "interactive",
    extraArgs: ["-www", "-verify", "1", "-CAfile", files.ca],
  });
  const run = await probe("--cafile", files.ca, "--servername", "localhost", `127.0.0.1:${server.port}`);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /sent +none \(--cert FILE --key FILE send one\)\n +server +accepted/);
});

Deno.test("probe --cert/--key (TLS 1.2, this library's server): RFC 5246 §7.4.6: refused within the handshake without one", async () => {
  const files = await pki();
  const listener = listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: files.pem.server.cert,
    key: files.pem.server.key,
    maxVersion: "TLSv1.2",
    clientAuth: "require",
    clientCaCerts: [files.pem.ca],
  });
  const serving = (async () => {
    for await (const conn of listener) conn.close();
  })();
  try {
    const target = `127.0.0.1:${listener.addr.port}`;
    const without = await probe("--cafile", files.ca, "--servername", "localhost", target);
    assert.equal(without.code, 1, without.stdout + without.stderr);
    assert.match(without.stdout, /sent +none .*\n +server +refused/);
    assert.match(
      without.stderr,
      /none was sent, and it refused the connection \(alert handshake_failure\)\. --cert FILE --key FILE send one/,
    );
    const withCert = await probe(
      "--cafile",
      files.ca,
      "--cert",
      files.clientCert,
      "--key",
      files.clientKey,
      "--servername",
      "localhost",
      target,
    );
    assert.equal(withCert.code, 0, withCert.stdout + withCert.stderr);
    assert.match(withCert.stdout, /protocol +TLSv1\.2/);
    assert.match(withCert.stdout, /sent +CN=probe client\n +server +accepted/);
  } finally {
    listener.close();
    await serving;
  }
});

Deno.test("probe trace: a handshake message header cut between records is named in the record that completes it", () => {
  const stream = new HandshakeStream();
  // A Finished (type 20) of 4 bytes whose 4-byte header is cut after 2 bytes, then an EncryptedExtensions.
  const first = stream.push(Uint8Array.of(8, 0, 0, 0, 20, 0));
  assert.deepEqual(first.names, ["EncryptedExtensions"]);
  const second = stream.push(Uint8Array.of(0, 4, 1, 2, 3, 4));
  assert.deepEqual(second.names, ["Finished"]);
  assert.deepEqual(second.messages.map((m) => [m.type, [...m.body]]), [[20, [1, 2, 3, 4]]]);
});
