/**
 * Interop of the TLS 1.3 server (`listenTls`) with real clients: `openssl s_client` (every suite × group it
 * has, every certificate type, HelloRetryRequest, mutual TLS accepted and refused, the key log), `gnutls-cli`
 * (suites, groups, mutual TLS), `Deno.connectTls` (rustls: every suite × group including X25519MLKEM768,
 * mutual TLS), Node `tls.connect`, `curl` (HTTPS GET of 1 MiB) and Python's `ssl`.
 *
 * Each client sends a line; the server echoes it and closes with close_notify, so the client ends on its
 * own. A missing client binary fails the test; it is never skipped.
 */
import assert from "node:assert/strict";
import type { CipherSuiteName, GroupName, TlsHandshakeInfo } from "../mod.ts";
import { CertificateVerificationError, TlsAlertError } from "../mod.ts";
import { generateCertificate } from "../x509/generate.ts";
import { CERT_TYPES, type CertAndKey, type TestPki, testPki } from "./_pki.ts";
import { describeTool as describe, runTool as runClient } from "./_peer_process.ts";
import { gnutlsPriority, type Suite } from "./_peers.ts";
import { assertBytesEqual, randomPayload, writeAll } from "./_payload.ts";
import { type LineServer, startHttpServer, startLineServer } from "./_server.ts";

const SUITES: CipherSuiteName[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];
const CLASSIC = ["X25519", "P-256", "P-384"] as const;
const OPENSSL_GROUP = { "X25519": "X25519", "P-256": "P-256", "P-384": "P-384" } as const;

/** Client certificates (clientAuth EKU) issued by the test root and by the unrelated CA, as files. */
interface ClientCerts {
  trusted: CertAndKey;
  untrusted: CertAndKey;
}

let clientCerts: Promise<ClientCerts> | undefined;

function clientCertificates(): Promise<ClientCerts> {
  clientCerts ??= (async () => {
    const pki = await testPki();
    const write = async (name: string, issuer: CertAndKey): Promise<CertAndKey> => {
      const made = await generateCertificate({
        subject: `CN=interop ${name}`,
        subjectAltNames: [],
        issuer,
        extKeyUsage: ["clientAuth"],
      });
      const certPath = `${pki.dir}/server-test-${name}.pem`;
      const keyPath = `${pki.dir}/server-test-${name}.key`;
      await Deno.writeTextFile(certPath, made.cert);
      await Deno.writeTextFile(keyPath, made.key);
      return { cert: made.cert, key: made.key, certPath, keyPath };
    };
    return { trusted: await write("client", pki.root), untrusted: await write("untrusted", pki.otherRoot) };
  })();
  return clientCerts;
}

function assertServed(server: LineServer, expected: Partial<TlsHandshakeInfo>): TlsHandshakeInfo {
  assert.equal(
    server.handshakes.length,
    1,
    `handshakes: ${server.handshakes.length}, errors: ${server.errors}`,
  );
  const [info] = server.handshakes;
  assert.equal(info.protocol, "TLSv1.3");
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(info[key as keyof TlsHandshakeInfo], value, key);
  }
  return info;
}

function leafServer(pki: TestPki, type: (typeof CERT_TYPES)[number] = "ECDSA P-256") {
  return { cert: pki.leaves[type].cert, key: pki.leaves[type].key };
}

// ---------------------------------------------------------------------------------------------------------
// openssl s_client

function sClientArgs(port: number, pki: TestPki, extra: string[] = []): string[] {
  return [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-tls1_3",
    "-CAfile",
    pki.root.certPath,
    "-verify_return_error",
    "-ign_eof",
    ...extra,
  ];
}

for (const type of CERT_TYPES) {
  for (const suite of SUITES) {
    for (const group of CLASSIC) {
      if (type !== "ECDSA P-256" && (suite !== "TLS_AES_256_GCM_SHA384" || group !== "X25519")) continue;
      Deno.test(`interop server ← openssl s_client: ${suite} / ${group} / ${type}`, async () => {
        const pki = await testPki();
        await using server = startLineServer(leafServer(pki, type));
        const r = await runClient(
          "openssl",
          sClientArgs(server.port, pki, ["-ciphersuites", suite, "-groups", OPENSSL_GROUP[group]]),
          "ping from openssl\n",
        );
        assert.match(r.stdout, new RegExp(`^New, TLSv1\\.3, Cipher is ${suite}$`, "m"), describe(r));
        assert.match(r.stdout, /^Verify return code: 0 \(ok\)$/m, describe(r));
        assert.match(r.stdout, /^ping from openssl$/m, describe(r));
        assertServed(server, { cipherSuite: suite, group, serverName: "localhost", alpnProtocol: null });
      });
    }
  }
}

for (const group of ["P-521", "X448"] as const) {
  Deno.test(`interop server ← openssl s_client: RFC 8446 §4.2.7 -groups ${group} (default server groups)`, async () => {
    const pki = await testPki();
    await using server = startLineServer(leafServer(pki));
    const r = await runClient(
      "openssl",
      sClientArgs(server.port, pki, ["-groups", group]),
      "ping from openssl\n",
    );
    assert.match(r.stdout, /^Verify return code: 0 \(ok\)$/m, describe(r));
    assert.match(r.stdout, /^ping from openssl$/m, describe(r));
    assert.equal(server.handshakes[0]?.group, group, describe(r));
  });
}

Deno.test("interop server ← openssl s_client: RFC 8446 §4.1.4 HelloRetryRequest (-groups P-384:X25519, server X25519)", async () => {
  const pki = await testPki();
  await using server = startLineServer({ ...leafServer(pki), groups: ["X25519"] });
  const r = await runClient(
    "openssl",
    sClientArgs(server.port, pki, ["-groups", "P-384:X25519", "-msg"]),
    "hrr\n",
  );
  // s_client sent a share for P-384 only, so the server asked for X25519: two ClientHellos.
  const hellos = r.stdout.match(/^>>> TLS 1\.3, Handshake \[length [0-9a-f]+\], ClientHello$/gm) ?? [];
  assert.equal(hellos.length, 2, describe(r));
  assert.match(r.stdout, /^hrr$/m, describe(r));
  assertServed(server, { group: "X25519" });
});

Deno.test("interop server ← openssl s_client: RFC 7301 ALPN by server preference", async () => {
  const pki = await testPki();
  await using server = startLineServer({ ...leafServer(pki), alpnProtocols: ["h2", "http/1.1"] });
  const r = await runClient("openssl", sClientArgs(server.port, pki, ["-alpn", "http/1.1,h2"]), "alpn\n");
  assert.match(r.stdout, /^ALPN protocol: h2$/m, describe(r));
  assertServed(server, { alpnProtocol: "h2" });
});

Deno.test("interop server ← openssl s_client: RFC 8446 §4.4.2 mutual TLS with -cert/-key", async () => {
  const pki = await testPki();
  const { trusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki, "RSA-2048"),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const r = await runClient(
    "openssl",
    sClientArgs(server.port, pki, ["-cert", trusted.certPath, "-key", trusted.keyPath]),
    "mtls\n",
  );
  assert.match(r.stdout, /^mtls$/m, describe(r));
  const info = assertServed(server, {});
  assert.equal(info.peerCertificates[0].subject, "CN=interop client");
});

Deno.test("interop server ← openssl s_client: no client certificate under clientAuth require is certificate_required", async () => {
  const pki = await testPki();
  await using server = startLineServer({
    ...leafServer(pki),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const r = await runClient("openssl", sClientArgs(server.port, pki), "no cert\n");
  assert.match(r.stdout + r.stderr, /alert certificate required/, describe(r));
  const [error] = await server.waitForErrors(1);
  assert.ok(error instanceof TlsAlertError && error.alert === "certificate_required", String(error));
  assert.equal(server.handshakes.length, 0);
});

Deno.test("interop server ← openssl s_client: an untrusted client certificate is unknown_ca", async () => {
  const pki = await testPki();
  const { untrusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const r = await runClient(
    "openssl",
    sClientArgs(server.port, pki, ["-cert", untrusted.certPath, "-key", untrusted.keyPath]),
    "untrusted\n",
  );
  assert.match(r.stdout + r.stderr, /alert unknown ca/, describe(r));
  const [error] = await server.waitForErrors(1);
  assert.ok(error instanceof CertificateVerificationError, String(error));
  assert.equal(error.code, "unknown_issuer");
  assert.equal(error.alert, "unknown_ca");
});

Deno.test("interop server ← openssl s_client: the server's key log equals the client's (-keylogfile)", async () => {
  const pki = await testPki();
  const lines: string[] = [];
  await using server = startLineServer({ ...leafServer(pki), keyLog: (line) => lines.push(line) });
  const keylog = `${pki.dir}/server-test-keylog-${crypto.randomUUID()}.txt`;
  const r = await runClient("openssl", sClientArgs(server.port, pki, ["-keylogfile", keylog]), "keys\n");
  assert.match(r.stdout, /^keys$/m, describe(r));
  const theirs = (await Deno.readTextFile(keylog)).split("\n").filter((l) => l && !l.startsWith("#"));
  assert.deepEqual([...lines].sort(), [...theirs].sort());
  assert.equal(lines.length, 5, "handshake and application secrets, and the exporter secret");
});

for (const format of ["PKCS #1 RSA", "SEC 1 EC"] as const) {
  Deno.test(`interop server ← openssl s_client: a ${format} private key (traditional PEM) is accepted`, async () => {
    const pki = await testPki();
    const leaf = pki.leaves[format === "SEC 1 EC" ? "ECDSA P-384" : "RSA-2048"];
    const converted = await new Deno.Command("openssl", {
      args: ["pkey", "-in", leaf.keyPath, "-traditional"],
      stdout: "piped",
    })
      .output();
    const key = new TextDecoder().decode(converted.stdout);
    assert.match(key, format === "SEC 1 EC" ? /BEGIN EC PRIVATE KEY/ : /BEGIN RSA PRIVATE KEY/);
    await using server = startLineServer({ cert: leaf.cert, key });
    const r = await runClient("openssl", sClientArgs(server.port, pki), "traditional\n");
    assert.match(r.stdout, /^traditional$/m, describe(r));
    assertServed(server, {});
  });
}

// ---------------------------------------------------------------------------------------------------------
// gnutls-cli

function gnutlsArgs(port: number, pki: TestPki, priority: string, extra: string[] = []): string[] {
  return [
    `--x509cafile=${pki.root.certPath}`,
    `--priority=${priority}`,
    "-p",
    String(port),
    "--sni-hostname=localhost",
    "--verify-hostname=localhost",
    ...extra,
    "127.0.0.1",
  ];
}

for (const suite of SUITES) {
  for (const group of CLASSIC) {
    Deno.test(`interop server ← gnutls-cli: ${suite} / ${group}`, async () => {
      const pki = await testPki();
      await using server = startLineServer(leafServer(pki, group === "P-384" ? "ECDSA P-384" : "Ed25519"));
      const r = await runClient(
        "gnutls-cli",
        gnutlsArgs(server.port, pki, gnutlsPriority([suite as Suite], [group])),
        "ping from gnutls\n",
      );
      assert.match(r.stdout, /^- Status: The certificate is trusted\. $/m, describe(r));
      assert.match(r.stdout, /^ping from gnutls$/m, describe(r));
      assertServed(server, { cipherSuite: suite, group, serverName: "localhost" });
    });
  }
}

Deno.test("interop server ← gnutls-cli: mutual TLS with --x509certfile/--x509keyfile", async () => {
  const pki = await testPki();
  const { trusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const r = await runClient(
    "gnutls-cli",
    gnutlsArgs(server.port, pki, gnutlsPriority(), [
      `--x509certfile=${trusted.certPath}`,
      `--x509keyfile=${trusted.keyPath}`,
    ]),
    "gnutls mtls\n",
  );
  assert.match(r.stdout, /^- Successfully sent 1 certificate\(s\) to server\.$/m, describe(r));
  assert.match(r.stdout, /^gnutls mtls$/m, describe(r));
  assert.equal(assertServed(server, {}).peerCertificates[0].subject, "CN=interop client");
});

Deno.test("interop server ← gnutls-cli: refused without a certificate (certificate_required) and with an untrusted one", async () => {
  const pki = await testPki();
  const { untrusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const without = await runClient("gnutls-cli", gnutlsArgs(server.port, pki, gnutlsPriority()), "x\n");
  assert.match(without.stdout + without.stderr, /Received alert \[116\]/, describe(without));
  const other = await runClient(
    "gnutls-cli",
    gnutlsArgs(server.port, pki, gnutlsPriority(), [
      `--x509certfile=${untrusted.certPath}`,
      `--x509keyfile=${untrusted.keyPath}`,
    ]),
    "x\n",
  );
  assert.match(other.stdout + other.stderr, /Received alert \[48\]: CA is unknown/, describe(other));
  const [missing, unknown] = await server.waitForErrors(2);
  assert.ok(missing instanceof TlsAlertError && missing.alert === "certificate_required", String(missing));
  assert.ok(
    unknown instanceof CertificateVerificationError && unknown.alert === "unknown_ca",
    String(unknown),
  );
  assert.equal(server.handshakes.length, 0);
});

// ---------------------------------------------------------------------------------------------------------
// Deno.connectTls (rustls)

for (const suite of SUITES) {
  for (const group of ["X25519MLKEM768", ...CLASSIC] as GroupName[]) {
    Deno.test(`interop server ← Deno.connectTls: ${suite} / ${group}`, async () => {
      const pki = await testPki();
      await using server = startLineServer({ ...leafServer(pki), cipherSuites: [suite], groups: [group] });
      using conn = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: server.port,
        caCerts: [pki.root.cert],
      });
      const payload = new TextEncoder().encode(randomPayload(100_000).toHex() + "\n");
      const [, echoed] = await Promise.all([writeAll(conn, payload), readAll(conn)]);
      assertBytesEqual(echoed, payload, "echo");
      // No SNI for an IP address.
      assertServed(server, { cipherSuite: suite, group, serverName: null });
    });
  }
}

Deno.test("interop server ← Deno.connectTls: default client options, server asking for X25519MLKEM768 and ChaCha20", async () => {
  const pki = await testPki();
  // rustls shares X25519 first and lists X25519MLKEM768 among its groups: a HelloRetryRequest asks for it.
  await using server = startLineServer({
    ...leafServer(pki, "ECDSA P-384"),
    cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"],
    groups: ["X25519MLKEM768"],
  });
  using conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [pki.root.cert],
    alpnProtocols: ["x"],
  });
  const info = await conn.handshake();
  assert.equal(info.alpnProtocol, null);
  await conn.write(new TextEncoder().encode("rustls\n"));
  assert.equal(new TextDecoder().decode(await readAll(conn)), "rustls\n");
  assertServed(server, { cipherSuite: "TLS_CHACHA20_POLY1305_SHA256", group: "X25519MLKEM768" });
});

Deno.test("interop server ← Deno.connectTls: mutual TLS with cert/key", async () => {
  const pki = await testPki();
  const { trusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  using conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: server.port,
    caCerts: [pki.root.cert],
    cert: trusted.cert,
    key: trusted.key,
  });
  await conn.write(new TextEncoder().encode("rustls mtls\n"));
  assert.equal(new TextDecoder().decode(await readAll(conn)), "rustls mtls\n");
  assert.equal(assertServed(server, {}).peerCertificates[0].subject, "CN=interop client");
});

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Node tls.connect

const NODE_CLIENT = `
const fs = require("node:fs");
const tls = require("node:tls");
const crypto = require("node:crypto");
const o = JSON.parse(process.argv[1]);
const line = Buffer.from(crypto.randomBytes(o.size / 2).toString("hex") + "\\n");
const chunks = [];
const socket = tls.connect({
  host: "127.0.0.1", port: o.port, servername: "localhost", ca: fs.readFileSync(o.ca),
  minVersion: "TLSv1.3", maxVersion: "TLSv1.3",
  ...(o.ciphers ? { ciphers: o.ciphers } : {}), ...(o.curve ? { ecdhCurve: o.curve } : {}),
  ...(o.cert ? { cert: fs.readFileSync(o.cert), key: fs.readFileSync(o.key) } : {}),
}, () => socket.write(line));
socket.on("data", (d) => chunks.push(d));
socket.on("end", () => {
  const back = Buffer.concat(chunks);
  const cipher = socket.getCipher();
  console.log(JSON.stringify({ protocol: socket.getProtocol(), cipher: cipher.standardName || cipher.name,
    authorized: socket.authorized, same: back.equals(line), length: back.length }));
});
socket.on("error", (e) => { console.log(JSON.stringify({ error: e.code || null, message: e.message })); });
`;

async function nodeClient(options: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await runClient("node", ["-e", NODE_CLIENT, JSON.stringify({ size: 1 << 20, ...options })]);
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, describe(r));
  return JSON.parse(line);
}

for (
  const [suite, curve] of [["TLS_AES_128_GCM_SHA256", "P-256"], ["TLS_CHACHA20_POLY1305_SHA256", "X25519"], [
    "TLS_AES_256_GCM_SHA384",
    "P-384",
  ]] as const
) {
  Deno.test(`interop server ← node tls.connect: ${suite} / ${curve}, 1 MiB echoed`, async () => {
    const pki = await testPki();
    await using server = startLineServer(leafServer(pki, "RSA-2048"));
    const result = await nodeClient({ port: server.port, ca: pki.root.certPath, ciphers: suite, curve });
    // 1 MiB of hex and the newline.
    assert.deepEqual(result, {
      protocol: "TLSv1.3",
      cipher: suite,
      authorized: true,
      same: true,
      length: (1 << 20) + 1,
    });
    assertServed(server, { cipherSuite: suite, group: curve });
  });
}

Deno.test("interop server ← node tls.connect: mutual TLS", async () => {
  const pki = await testPki();
  const { trusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki, "Ed25519"),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const result = await nodeClient({
    port: server.port,
    ca: pki.root.certPath,
    cert: trusted.certPath,
    key: trusted.keyPath,
  });
  assert.equal(result.same, true, JSON.stringify(result));
  assert.equal(assertServed(server, {}).peerCertificates[0].subject, "CN=interop client");
});

// ---------------------------------------------------------------------------------------------------------
// curl

Deno.test("interop server ← curl: HTTPS GET of 1 MiB from a responder over TlsConn, ALPN http/1.1", async () => {
  const pki = await testPki();
  const body = randomPayload(1 << 20);
  await using server = startHttpServer(
    { ...leafServer(pki, "ECDSA P-384"), alpnProtocols: ["http/1.1"] },
    body,
  );
  const out = `${pki.dir}/server-test-curl-${crypto.randomUUID()}.bin`;
  const r = await runClient("curl", [
    "--silent",
    "--show-error",
    "--verbose",
    "--tlsv1.3",
    "--cacert",
    pki.root.certPath,
    "--resolve",
    `localhost:${server.port}:127.0.0.1`,
    "--output",
    out,
    "--write-out",
    "%{http_code}",
    `https://localhost:${server.port}/`,
  ]);
  assert.equal(r.stdout, "200", describe(r));
  assert.match(r.stderr, /SSL connection using TLSv1\.3 \/ TLS_AES_128_GCM_SHA256/, describe(r));
  assert.match(r.stderr, /ALPN: server accepted http\/1\.1/, describe(r));
  assertBytesEqual(await Deno.readFile(out), body, "downloaded body");
  assertServed(server, { alpnProtocol: "http/1.1", serverName: "localhost" });
});

// ---------------------------------------------------------------------------------------------------------
// Python ssl

const PYTHON_CLIENT = `
import json, socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
if len(sys.argv) > 3:
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
with socket.create_connection(("127.0.0.1", port)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        line = b"python " * 1000 + b"\\n"
        s.sendall(line)
        back = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            back += chunk
        print(json.dumps({"version": s.version(), "cipher": s.cipher()[0], "same": back == line}))
`;

Deno.test("interop server ← python ssl: verified handshake, echo, close_notify", async () => {
  const pki = await testPki();
  await using server = startLineServer(leafServer(pki, "RSA-2048"));
  const r = await runClient("/usr/bin/python3", [
    "-c",
    PYTHON_CLIENT,
    String(server.port),
    pki.root.certPath,
  ]);
  assert.equal(r.code, 0, describe(r));
  const result = JSON.parse(r.stdout);
  assert.equal(result.version, "TLSv1.3");
  assert.equal(result.same, true);
  assertServed(server, { cipherSuite: result.cipher, serverName: "localhost" });
});

Deno.test("interop server ← python ssl: mutual TLS with load_cert_chain", async () => {
  const pki = await testPki();
  const { trusted } = await clientCertificates();
  await using server = startLineServer({
    ...leafServer(pki),
    clientAuth: "require",
    clientCaCerts: [pki.root.cert],
  });
  const r = await runClient("/usr/bin/python3", [
    "-c",
    PYTHON_CLIENT,
    String(server.port),
    pki.root.certPath,
    trusted.certPath,
    trusted.keyPath,
  ]);
  assert.equal(r.code, 0, describe(r));
  assert.equal(JSON.parse(r.stdout).same, true);
  assert.equal(assertServed(server, {}).peerCertificates[0].subject, "CN=interop client");
});
