/**
 * HTTP and STARTTLS over this library, with the HTTP stacks people already use, run as the examples are run
 * (`deno run examples/…`) against real peers: `examples/https_client.ts` (node:https / node:http2 over
 * `connectTls`) against `openssl s_server -www` and a Node.js HTTPS + HTTP/2 server; curl over HTTP/1.1 and
 * HTTP/2 against `examples/https_server.ts` (node:http / node:http2 fed by `listenTls`); and
 * `openssl s_client -starttls smtp` against `examples/starttls_smtp.ts --serve` (`acceptTls` on a plain TCP
 * connection after a plain-text exchange).
 */
import assert from "node:assert/strict";
import { generateCertificate } from "../mod.ts";
import { tempDir } from "./_certs.ts";
import { describeTool, PeerProcess, requireBinary, runTool } from "./_peer_process.ts";
import { startOpenSslServer } from "./_peers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const example = (file: string) => new URL(`../examples/${file}`, import.meta.url).pathname;

interface Files {
  dir: string;
  caPath: string;
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

/** A CA and a "localhost"/127.0.0.1 server certificate it issued, as files. */
async function pki(): Promise<Files> {
  const dir = await tempDir();
  const ca = await generateCertificate({ subject: "CN=HTTP Test CA", isCA: true });
  const leaf = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    issuer: ca,
    extKeyUsage: ["serverAuth"],
  });
  const files = {
    dir,
    caPath: `${dir}/ca.pem`,
    certPath: `${dir}/cert.pem`,
    keyPath: `${dir}/key.pem`,
    cert: leaf.cert,
    key: leaf.key,
  };
  await Deno.writeTextFile(files.caPath, ca.cert);
  await Deno.writeTextFile(files.certPath, leaf.cert);
  await Deno.writeTextFile(files.keyPath, leaf.key);
  return files;
}

/** Runs an example to completion (type-checked, as `examples_test.ts` does). */
async function runExample(file: string, ...args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--check", "-A", example(file), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, out: `${decode(output.stdout)}\n--- stderr ---\n${decode(output.stderr)}` };
}

/** Starts a long-running example and waits for the line that gives its port. */
async function startExample(file: string, ready: RegExp, ...args: string[]): Promise<PeerProcess> {
  const peer = PeerProcess.spawn(file, [Deno.execPath(), "run", "--check", "-A", example(file), ...args]);
  try {
    peer.port = Number((await peer.waitFor("stdout", ready, { timeoutMs: 60_000 }))[1]);
    return peer;
  } catch (e) {
    await peer.stop();
    throw e;
  }
}

/** A Node.js HTTPS server that also speaks HTTP/2 (chosen by ALPN), answering with what it saw. */
const NODE_HTTP_SERVER = `
const fs = require("node:fs");
const http2 = require("node:http2");
const o = JSON.parse(process.argv[1]);
const server = http2.createSecureServer(
  { key: fs.readFileSync(o.keyPath), cert: fs.readFileSync(o.certPath), allowHTTP1: true },
  (req, res) => {
    let n = 0;
    req.on("data", (c) => n += c.length);
    req.on("end", () => res.end("node " + process.version + " HTTP/" + req.httpVersion + " ALPN " +
      (req.socket.alpnProtocol || "none") + " " + req.method + " " + req.url + "\\n"));
  },
);
server.listen(0, "127.0.0.1", () => console.log("listening on " + server.address().port));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

async function startNodeHttpServer(files: Files): Promise<PeerProcess> {
  await requireBinary("node", "install Node.js");
  const peer = PeerProcess.spawn("node http2 server", [
    "node",
    "-e",
    NODE_HTTP_SERVER,
    JSON.stringify({ certPath: files.certPath, keyPath: files.keyPath }),
  ]);
  try {
    peer.port = Number((await peer.waitFor("stdout", /^listening on (\d+)$/m))[1]);
    return peer;
  } catch (e) {
    await peer.stop();
    throw e;
  }
}

Deno.test("HTTP: examples/https_client.ts gets openssl s_server -www's page with node:https (no ALPN: HTTP/1.x)", async () => {
  const files = await pki();
  await using server = await startOpenSslServer({
    cert: { certPath: files.certPath, keyPath: files.keyPath, cert: files.cert, key: files.key },
    mode: "interactive",
    extraArgs: ["-www"],
  });
  const run = await runExample(
    "https_client.ts",
    "--cafile",
    files.caPath,
    `https://127.0.0.1:${server.port}/`,
  );
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /^TLSv1\.3 TLS_\w+ \S+, ALPN \(none\)\nHTTP\/1\.0 200\n/);
  // s_server -www describes the connection it served: the proof that the page came over this TLS session.
  assert.match(run.out, /Ciphers supported in s_server binary/);
  assert.match(run.out, /New, TLSv1\.3, Cipher is TLS_/);
});

Deno.test("HTTP: examples/https_client.ts speaks HTTP/2 (node:http2) to a Node.js server when ALPN picks h2", async () => {
  const files = await pki();
  await using server = await startNodeHttpServer(files);
  const run = await runExample(
    "https_client.ts",
    "--cafile",
    files.caPath,
    `https://127.0.0.1:${server.port}/h2?x=1`,
  );
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /^TLSv1\.3 TLS_\w+ \S+, ALPN h2\nHTTP\/2 200\n/);
  assert.match(run.out, /node v\d+\.\S+ HTTP\/2\.0 ALPN h2 GET \/h2\?x=1/);
});

Deno.test("HTTP: examples/https_client.ts --http1.1 uses node:https against the same Node.js server", async () => {
  const files = await pki();
  await using server = await startNodeHttpServer(files);
  const run = await runExample(
    "https_client.ts",
    "--cafile",
    files.caPath,
    "--http1.1",
    `https://127.0.0.1:${server.port}/one`,
  );
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /^TLSv1\.3 TLS_\w+ \S+, ALPN http\/1\.1\nHTTP\/1\.1 200\n/);
  assert.match(run.out, /node v\d+\.\S+ HTTP\/1\.1 ALPN http\/1\.1 GET \/one/);
});

Deno.test("HTTP: examples/https_client.ts refuses an unknown flag with its usage (exit 2)", async () => {
  const run = await runExample("https_client.ts", "--insecure", "https://127.0.0.1:1/");
  assert.equal(run.code, 2, run.out);
  assert.match(run.out, /usage: deno run -A examples\/https_client\.ts/);
});

Deno.test("HTTP: curl gets pages from examples/https_server.ts over HTTP/1.1 and HTTP/2 (listenTls → node:http, node:http2)", async () => {
  const curl = await requireBinary("curl", "apt-get install -y curl");
  const files = await pki();
  await using server = await startExample(
    "https_server.ts",
    /^listening on https:\/\/localhost:(\d+)\/$/m,
    "--port",
    "0",
    "--cert",
    files.certPath,
    "--key",
    files.keyPath,
  );
  const url = `https://localhost:${server.port}`;
  const body = `${files.dir}/body.bin`;
  await Deno.writeFile(body, new Uint8Array(100_000).fill(0x61));
  const ask = (...args: string[]) =>
    runTool(curl, [
      "--silent",
      "--show-error",
      "--fail",
      "--cacert",
      files.caPath,
      "--resolve",
      `localhost:${server.port}:127.0.0.1`,
      "--write-out",
      "[%{http_version}]",
      ...args,
    ]);
  for (const [flag, version] of [["--http1.1", "1.1"], ["--http2", "2"]] as const) {
    const get = await ask(flag, `${url}/hello?a=b`);
    assert.equal(get.code, 0, describeTool(get));
    const answer = version === "2" ? "2.0" : "1.1";
    assert.equal(
      get.stdout,
      `hello over HTTP/${answer}: GET /hello?a=b, 0 bytes of body received\n[${version}]`,
    );
    const post = await ask(flag, "--data-binary", `@${body}`, `${url}/upload`);
    assert.equal(post.code, 0, describeTool(post));
    assert.equal(
      post.stdout,
      `hello over HTTP/${answer}: POST /upload, 100000 bytes of body received\n[${version}]`,
    );
  }
  // Two requests on one connection (HTTP/1.1 keep-alive; curl reuses it and says so).
  const twice = await ask("--http1.1", "--verbose", `${url}/first`, `${url}/second`);
  assert.equal(twice.code, 0, describeTool(twice));
  assert.match(twice.stdout, /GET \/first[\s\S]*GET \/second/);
  assert.match(twice.stderr, /Re-using existing connection/);
});

Deno.test("STARTTLS: openssl s_client -starttls smtp upgrades a session of examples/starttls_smtp.ts (acceptTls)", async () => {
  await requireBinary("openssl", "apt-get install -y openssl");
  const files = await pki();
  await using server = await startExample(
    "starttls_smtp.ts",
    /^listening on 127\.0\.0\.1:(\d+)$/m,
    "--serve",
    "--port",
    "0",
    "--cert",
    files.certPath,
    "--key",
    files.keyPath,
  );
  const run = await runTool("openssl", [
    "s_client",
    "-starttls",
    "smtp",
    "-connect",
    `127.0.0.1:${server.port}`,
    "-servername",
    "localhost",
    "-CAfile",
    files.caPath,
    "-verify_return_error",
    "-crlf",
    "-brief",
  ], "EHLO openssl.example\nQUIT\n");
  assert.equal(run.code, 0, describeTool(run));
  assert.match(run.stderr, /Verification: OK/);
  assert.match(run.stderr, /Protocol version: TLSv1\.3/);
  // The EHLO and QUIT went over TLS: the answers say so.
  assert.match(run.stdout, /250-localhost greets openssl\.example over TLSv1\.3\r?\n250 AUTH PLAIN/);
  assert.match(run.stdout, /221 2\.0\.0 bye/);
});

Deno.test("STARTTLS (RFC 3207 §4): examples/starttls_smtp.ts refuses a command pipelined after STARTTLS", async () => {
  const files = await pki();
  await using server = await startExample(
    "starttls_smtp.ts",
    /^listening on 127\.0\.0\.1:(\d+)$/m,
    "--serve",
    "--port",
    "0",
    "--cert",
    files.certPath,
    "--key",
    files.keyPath,
  );
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await tcp.write(new TextEncoder().encode("EHLO x\r\nSTARTTLS\r\nEHLO injected\r\n"));
  const answer = await new Response(tcp.readable).text(); // the server closes after its answer
  assert.match(answer, /^220 .*\r\n250-localhost greets x\r\n250 STARTTLS\r\n501 /);
  assert.doesNotMatch(answer, /injected/);
});
