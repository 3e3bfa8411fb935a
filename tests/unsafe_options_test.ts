/**
 * The unsafe client options are visible: each prints one warning per process on stderr (as Deno's
 * `--unsafely-ignore-certificate-errors` does), and `handshake()` reports the verification error that
 * `unsafelyIgnoreCertificateErrors` let through — after a full handshake and after a resumption, in TLS 1.3
 * and TLS 1.2 — and nothing when the chain verified.
 */
import assert from "node:assert/strict";
import {
  CertificateVerificationError,
  connectTls,
  type ConnectTlsOptions,
  generateCertificate,
  listenTls,
  MemorySessionCache,
  type TlsHandshakeInfo,
} from "../mod.ts";

const CHILD = new URL("./_unsafe_options_child.ts", import.meta.url).pathname;

async function child(...options: string[]): Promise<{ stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, ...options],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const result = { stdout: decode(output.stdout), stderr: decode(output.stderr) };
  assert.equal(output.code, 0, `${result.stdout}\n${result.stderr}`);
  return result;
}

const count = (text: string, pattern: RegExp) => text.split("\n").filter((l) => pattern.test(l)).length;

Deno.test("unsafe options: unsafelyIgnoreCertificateErrors warns once per process on stderr, and the handshakes report what they ignored", async () => {
  const { stdout, stderr } = await child("unsafelyIgnoreCertificateErrors");
  assert.equal(count(stderr, /^DANGER: unsafelyIgnoreCertificateErrors is set/), 1, stderr);
  assert.match(stderr, /anyone on the path can impersonate the server/);
  assert.equal(
    count(stdout, /^unsafelyIgnoreCertificateErrors: connected, ignored hostname_mismatch$/),
    3,
    stdout,
  );
});

Deno.test("unsafe options: unsafelyDisableHostnameVerification warns once too, each option with its own warning", async () => {
  const { stdout, stderr } = await child(
    "unsafelyDisableHostnameVerification",
    "unsafelyIgnoreCertificateErrors",
    "unsafelyDisableHostnameVerification",
  );
  assert.equal(count(stderr, /^DANGER: unsafelyDisableHostnameVerification is set/), 1, stderr);
  assert.equal(count(stderr, /^DANGER: unsafelyIgnoreCertificateErrors is set/), 1, stderr);
  assert.equal(count(stderr, /^DANGER/), 2, stderr);
  // With the name unchecked the chain verifies: nothing was ignored.
  assert.equal(count(stdout, /^unsafelyDisableHostnameVerification: connected, ignored nothing$/), 6, stdout);
});

Deno.test("unsafe options: no unsafe option, no warning (and the name mismatch refuses the server)", async () => {
  const { stdout, stderr } = await child("none");
  assert.doesNotMatch(stderr, /DANGER/);
  assert.equal(count(stdout, /^none: refused, .*\[hostname_mismatch\]/), 3, stdout);
});

/** Handshakes with `client` options against a server with `cert`; the infos, first to last. */
async function handshakes(
  cert: { cert: string; key: string },
  client: Partial<ConnectTlsOptions>,
  times: number,
  version: "TLSv1.3" | "TLSv1.2",
): Promise<TlsHandshakeInfo[]> {
  const versions = { minVersion: version, maxVersion: version } as const;
  const listener = listenTls({ hostname: "127.0.0.1", port: 0, ...cert, ...versions });
  const serving = (async () => {
    for await (const conn of listener) {
      // Answer one byte, so that the client reads (and keeps) the TLS 1.3 tickets that come first.
      const buf = new Uint8Array(1);
      if (await conn.read(buf).catch(() => null)) await conn.write(buf).catch(() => {});
      conn.close();
    }
  })();
  const infos: TlsHandshakeInfo[] = [];
  try {
    for (let i = 0; i < times; i++) {
      const conn = await connectTls({
        hostname: "127.0.0.1",
        port: listener.addr.port,
        ...versions,
        ...client,
      });
      try {
        infos.push(await conn.handshake());
        await conn.write(new Uint8Array([1]));
        await conn.read(new Uint8Array(1));
      } finally {
        await conn.close();
      }
    }
  } finally {
    listener.close();
    await serving;
  }
  return infos;
}

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  Deno.test(`unsafe options (${version}): handshake() reports the ignored error, after a resumption too; nothing for a valid chain`, async () => {
    const ca = await generateCertificate({ subject: "CN=Ignore CA", isCA: true });
    const good = await generateCertificate({
      subject: "CN=localhost",
      subjectAltNames: ["localhost"],
      issuer: ca,
      extKeyUsage: ["serverAuth"],
    });
    const expired = await generateCertificate({
      subject: "CN=localhost",
      subjectAltNames: ["localhost"],
      issuer: ca,
      extKeyUsage: ["serverAuth"],
      notBefore: new Date("2020-01-01"),
      notAfter: new Date("2021-01-01"),
    });
    const options = {
      serverName: "localhost",
      caCerts: [ca.cert],
      unsafelyIgnoreCertificateErrors: true,
      sessionCache: new MemorySessionCache(),
    };
    const [first, second] = await handshakes(expired, options, 2, version);
    assert.equal(first.resumed, false);
    assert.ok(first.ignoredCertificateError instanceof CertificateVerificationError);
    assert.equal(first.ignoredCertificateError.code, "expired");
    assert.equal(first.ignoredCertificateError.subject, "CN=localhost");
    assert.equal(second.resumed, true, "the session was resumed");
    assert.equal(
      second.ignoredCertificateError?.code,
      "expired",
      "the resumed session's chain is still expired",
    );
    const valid = await handshakes(good, { ...options, sessionCache: new MemorySessionCache() }, 2, version);
    assert.deepEqual(valid.map((i) => [i.resumed, i.ignoredCertificateError]), [[false, undefined], [
      true,
      undefined,
    ]]);
  });
}
