/**
 * The TLS 1.2 state machines against OpenSSL 3 over loopback TCP, through the test endpoint of
 * `_tls12_endpoint.ts` (until the engine integration): our client against `openssl s_server -tls1_2` for
 * every suite (static RSA key transport included) with the master secret compared, resumption by ticket,
 * client certificates and refused renegotiation; our server against `openssl s_client -tls1_2` for both
 * certificate types, resumption (`-sess_out`/`-sess_in`), client certificates and TLS_FALLBACK_SCSV.
 */

import assert from "node:assert/strict";
import { toHex, utf8 } from "../bytes.ts";
import { loadCertifiedKey } from "../connection/certificates.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import type { CertifiedKey } from "../handshake/certified_key.ts";
import { TLS12_SUITES, type Tls12Suite } from "../handshake/constants.ts";
import type { Tls12ClientSession } from "../handshake/config12.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { makeChain, tempDir } from "./_certs.ts";
import { PeerProcess } from "./_peer_process.ts";
import { type CertAndKey, type CertType, testPki } from "./_pki.ts";
import {
  client12Config,
  clientConfig,
  runOverConnection,
  server12Config,
  serverConfig,
  tls12Client,
  tls12Server,
} from "./_tls12_endpoint.ts";

const suite = (name: Tls12Suite["name"]) => TLS12_SUITES.find((s) => s.name === name)!;

/** Starts `openssl s_server -tls1_2` on a port of its own and returns it with the port. */
async function startServer(args: string[]): Promise<PeerProcess> {
  const peer = PeerProcess.spawn("openssl s_server", [
    "stdbuf",
    "-o0",
    "openssl",
    "s_server",
    "-accept",
    "127.0.0.1:0",
    "-tls1_2",
    ...args,
  ]);
  try {
    peer.port = Number((await peer.waitFor("stdout", /^ACCEPT 127\.0\.0\.1:(\d+)$/m))[1]);
    return peer;
  } catch (e) {
    await peer.stop();
    throw e;
  }
}

const certArgs = (cert: CertAndKey) => ["-cert", cert.certPath, "-key", cert.keyPath];

/** One GET against an `s_server -www`; returns the status page and the client's master secret. */
async function getStatusPage(
  port: number,
  client: ReturnType<typeof tls12Client>,
): Promise<{ page: string; master: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const page = await runOverConnection(
      client,
      conn,
      utf8("GET / HTTP/1.0\r\n\r\n"),
      (r) => r.includes("</HTML>"),
    );
    return { page, master: toHex(client.secrets.get("CLIENT_RANDOM") ?? new Uint8Array(0)) };
  } finally {
    conn.close();
  }
}

const CLIENT_CASES: [CertType, string, Tls12Suite["name"]][] = [
  ["ECDSA P-256", "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
  ["ECDSA P-384", "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
  ["Ed25519", "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
  ["RSA-2048", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
  ["RSA-2048", "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
  ["RSA-2048", "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"],
  ["RSA-2048", "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"],
  ["RSA-2048", "AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384"],
];

for (const [type, opensslName, name] of CLIENT_CASES) {
  Deno.test(`openssl s_server -tls1_2 (${type}): our client negotiates ${name} with the same master secret`, async () => {
    const pki = await testPki();
    await using peer = await startServer(["-www", ...certArgs(pki.leaves[type]), "-cipher", opensslName]);
    const verifier = createCertificateVerifier({ caCerts: [pki.root.cert], crypto: webCrypto });
    const client = tls12Client(clientConfig(verifier), client12Config({ suites: [suite(name)] }));
    const { page, master } = await getStatusPage(peer.port, client);
    assert.match(page, new RegExp(`New, TLSv1\\.2, Cipher is ${opensslName}`));
    assert.match(page, /Extended master secret: yes/);
    assert.equal(/Master-Key: ([0-9A-F]+)/.exec(page)?.[1].toLowerCase(), master);
    assert.equal(client.info?.cipherSuite, name);
  });
}

Deno.test("openssl s_server -tls1_2: our client resumes with the ticket OpenSSL issued (RFC 5077)", async () => {
  const pki = await testPki();
  await using peer = await startServer(["-www", ...certArgs(pki.leaves["ECDSA P-256"])]);
  const verifier = createCertificateVerifier({ caCerts: [pki.root.cert], crypto: webCrypto });
  const sessions: Tls12ClientSession[] = [];
  const first = tls12Client(
    clientConfig(verifier),
    client12Config({ storeSession: (s) => sessions.push(s) }),
  );
  const full = await getStatusPage(peer.port, first);
  assert.match(full.page, /New, TLSv1\.2/);
  assert.equal(sessions.length, 1);
  const second = tls12Client(clientConfig(verifier), client12Config({ session: sessions[0] }));
  const resumed = await getStatusPage(peer.port, second);
  assert.match(resumed.page, /Reused, TLSv1\.2/);
  assert.equal(second.info?.resumed, true);
  assert.equal(resumed.master, full.master);
});

Deno.test("openssl s_server -tls1_2 -Verify: our client authenticates with its certificate", async () => {
  const pki = await testPki();
  const chain = await makeChain();
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/client-ca.pem`, chain.root.cert);
  await using peer = await startServer([
    "-www",
    ...certArgs(pki.leaves["RSA-2048"]),
    "-Verify",
    "2",
    "-CAfile",
    `${dir}/client-ca.pem`,
  ]);
  const verifier = createCertificateVerifier({ caCerts: [pki.root.cert], crypto: webCrypto });
  const clientCertificate = await loadCertifiedKey(
    webCrypto,
    chain.leaf.cert + chain.inter.cert,
    chain.leaf.key,
    "client",
  );
  const client = tls12Client(clientConfig(verifier, { clientCertificate }), client12Config());
  const { page } = await getStatusPage(peer.port, client);
  assert.match(page, /Client certificate/);
  assert.match(page, /CN ?= ?localhost/);
});

Deno.test("openssl s_server -tls1_2: a renegotiation request (HelloRequest) is refused with no_renegotiation", async () => {
  const pki = await testPki();
  await using peer = await startServer(["-msg", ...certArgs(pki.leaves["ECDSA P-256"])]);
  const verifier = createCertificateVerifier({ caCerts: [pki.root.cert], crypto: webCrypto });
  const client = tls12Client(clientConfig(verifier), client12Config());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: peer.port });
  try {
    await runOverConnection(client, conn, undefined, () => client.info !== undefined);
    await peer.waitFor("stdout", /CIPHER is|Secure Renegotiation/);
    await peer.send("R\n");
    await assert.rejects(
      runOverConnection(client, conn, undefined),
      (e: unknown) => e instanceof TlsAlertError && e.alert === "no_renegotiation",
    );
    await peer.waitFor("stdout", /no renegotiation|NO_RENEGOTIATION|Alert/i);
  } finally {
    conn.close();
  }
});

/** Runs `openssl s_client -tls1_2` against our server once; returns s_client's output and our endpoint. */
async function sClient(
  certified: CertifiedKey,
  args: string[],
  options: { server12?: Parameters<typeof server12Config>[0]; server?: Parameters<typeof serverConfig>[1] } =
    {},
) {
  const pki = await testPki();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-tls1_2",
      "-CAfile",
      pki.root.certPath,
      "-servername",
      "localhost",
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = tls12Server(serverConfig([certified], options.server), server12Config(options.server12));
  const conn = await listener.accept();
  let error: unknown;
  try {
    const stdin = child.stdin.getWriter();
    const run = runOverConnection(server, conn, utf8("hello from subtls\n"), (r) => r.includes("ping"));
    await stdin.write(utf8("ping\n"));
    await run.catch((e) => (error = e));
    await stdin.close();
  } finally {
    conn.close();
  }
  const output = await child.output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  return { text, server, error };
}

for (const type of ["ECDSA P-256", "RSA-2048"] as const) {
  Deno.test(`openssl s_client -tls1_2 (${type}): our server completes, with EMS, and resumes by ticket`, async () => {
    const pki = await testPki();
    const certified = await loadCertifiedKey(
      webCrypto,
      pki.leaves[type].cert,
      pki.leaves[type].key,
      "server",
    );
    const dir = await tempDir();
    const ticketKey = webCrypto.randomBytes(32);
    const first = await sClient(certified, ["-sess_out", `${dir}/sess.pem`], { server12: { ticketKey } });
    assert.equal(first.error, undefined, first.text);
    assert.match(first.text, /hello from subtls/);
    assert.match(first.text, /New, TLSv1\.2, Cipher is ECDHE-(ECDSA|RSA)-AES128-GCM-SHA256/);
    assert.match(first.text, /Extended master secret: yes/);
    assert.match(first.text, /Verify return code: 0 \(ok\)/);
    const second = await sClient(certified, ["-sess_in", `${dir}/sess.pem`], { server12: { ticketKey } });
    assert.equal(second.error, undefined, second.text);
    assert.match(second.text, /Reused, TLSv1\.2/);
    assert.equal(second.server.info?.resumed, true);
  });
}

Deno.test("openssl s_client -tls1_2 -cert: our server verifies the client certificate", async () => {
  const pki = await testPki();
  const certified = await loadCertifiedKey(
    webCrypto,
    pki.leaves["ECDSA P-256"].cert,
    pki.leaves["ECDSA P-256"].key,
    "server",
  );
  const chain = await makeChain("RSA-2048");
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/client.pem`, chain.leaf.cert);
  await Deno.writeTextFile(`${dir}/client-chain.pem`, chain.inter.cert);
  await Deno.writeTextFile(`${dir}/client.key`, chain.leaf.key);
  const clientVerifier = createCertificateVerifier({ caCerts: [chain.root.cert], crypto: webCrypto });
  const { text, server, error } = await sClient(certified, [
    "-cert",
    `${dir}/client.pem`,
    "-cert_chain",
    `${dir}/client-chain.pem`,
    "-key",
    `${dir}/client.key`,
  ], {
    server: { clientAuth: "require", clientVerifier },
  });
  assert.equal(error, undefined, text);
  assert.equal(server.info?.peerCertificates.length, 2);
});

Deno.test("openssl s_client -fallback_scsv: a TLS 1.3-capable server answers inappropriate_fallback (RFC 7507)", async () => {
  const pki = await testPki();
  const certified = await loadCertifiedKey(
    webCrypto,
    pki.leaves["ECDSA P-256"].cert,
    pki.leaves["ECDSA P-256"].key,
    "server",
  );
  const { text, error } = await sClient(certified, ["-fallback_scsv"], { server12: { supportsTls13: true } });
  assert.ok(error instanceof TlsAlertError && error.alert === "inappropriate_fallback", String(error));
  assert.match(text, /inappropriate fallback/i);
});

Deno.test("openssl s_client -tls1_2: our server refuses a client-initiated renegotiation", async () => {
  const pki = await testPki();
  const certified = await loadCertifiedKey(
    webCrypto,
    pki.leaves["ECDSA P-256"].cert,
    pki.leaves["ECDSA P-256"].key,
    "server",
  );
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-tls1_2",
      "-CAfile",
      pki.root.certPath,
      "-servername",
      "localhost",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = tls12Server(serverConfig([certified]), server12Config());
  const conn = await listener.accept();
  const stdin = child.stdin.getWriter();
  try {
    await runOverConnection(server, conn, undefined, () => server.info !== undefined);
    await stdin.write(utf8("R\n"));
    await assert.rejects(
      runOverConnection(server, conn, undefined),
      (e: unknown) => e instanceof TlsAlertError && e.alert === "no_renegotiation",
    );
  } finally {
    conn.close();
    await stdin.close().catch(() => {});
  }
  const output = await child.output();
  assert.match(
    new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr),
    /no renegotiation/i,
  );
});
