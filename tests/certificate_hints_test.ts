/**
 * Messages with the way out: each refused certificate says what to do — the option of `connectTls` or
 * `listenTls` that makes such a certificate acceptable, or who has to fix it — and, where the hint names an
 * option, following it makes the same handshake succeed. Checked by `code`/alert plus the presence of the
 * hint, not by whole-text matches.
 */
import assert from "node:assert/strict";
import {
  CertificateVerificationError,
  connectTls,
  type ConnectTlsOptions,
  generateCertificate,
  type GeneratedCertificate,
  listenTls,
  type ListenTlsOptions,
  TlsAlertError,
  type TlsVersion,
} from "../mod.ts";
import { openssl, tempDir } from "./_certs.ts";

const ca = generateCertificate({ subject: "CN=Hints CA", isCA: true });

async function leaf(options: { issuer?: GeneratedCertificate; expired?: boolean; client?: boolean } = {}) {
  return await generateCertificate({
    subject: options.client ? "CN=alice" : "CN=localhost",
    subjectAltNames: options.client ? [] : ["localhost"],
    issuer: options.issuer,
    extKeyUsage: [options.client ? "clientAuth" : "serverAuth"],
    ...(options.expired ? { notBefore: new Date("2020-01-01"), notAfter: new Date("2021-01-01") } : {}),
  });
}

interface Outcome {
  client?: unknown;
  server?: unknown;
}

/** One handshake against a `listenTls` server; the errors of both sides (none when it succeeded). */
async function handshake(
  server: Partial<ListenTlsOptions> & { cert: string; key: string },
  client: Partial<ConnectTlsOptions>,
  version?: TlsVersion,
): Promise<Outcome> {
  const outcome: Outcome = {};
  const versions = version ? { minVersion: version, maxVersion: version } : {};
  const listener = listenTls({
    hostname: "127.0.0.1",
    port: 0,
    ...versions,
    ...server,
    onHandshakeError: (e) => outcome.server ??= e,
  });
  const accepting = (async () => {
    for await (const conn of listener) {
      // Read until the client closes: a TLS 1.3 server refuses a client certificate after the client's
      // handshake is complete, and the client learns it on its next read.
      await conn.readable.pipeTo(new WritableStream()).catch((e) => outcome.server ??= e);
      conn.close();
    }
  })();
  try {
    const conn = await connectTls({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      serverName: "localhost",
      ...versions,
      ...client,
    });
    try {
      await conn.handshake();
      await conn.write(new Uint8Array([1]));
      await conn.closeWrite();
      await conn.readable.pipeTo(new WritableStream());
    } finally {
      await conn.close();
    }
  } catch (e) {
    outcome.client = e;
  } finally {
    listener.close();
    await accepting;
  }
  return outcome;
}

function certificateError(e: unknown, code: string | string[]): CertificateVerificationError {
  assert.ok(e instanceof CertificateVerificationError, `expected a CertificateVerificationError, got ${e}`);
  assert.ok([code].flat().includes(e.code), e.message);
  assert.ok(e.hint, `no hint in: ${e.message}`);
  assert.ok(e.message.endsWith(e.hint), "the message ends with the hint");
  return e;
}

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  Deno.test(`hints (${version}): a self-signed server certificate is unknown_issuer, "self-signed", and caCerts trusts it`, async () => {
    const self = await leaf();
    const { client } = await handshake(self, { caCerts: [(await ca).cert] }, version);
    const e = certificateError(client, "unknown_issuer");
    assert.equal(e.alert, "unknown_ca");
    assert.match(e.detail, /self-signed/);
    assert.match(e.hint!, /self-signed: to trust it, pass it \(PEM\) in caCerts/);
    // The way out works: the certificate in caCerts is trusted as itself.
    assert.deepEqual(await handshake(self, { caCerts: [self.cert] }, version), {});
  });

  Deno.test(`hints (${version}): a certificate of an unknown CA names caCerts and trustStore "system"`, async () => {
    const otherCa = await generateCertificate({ subject: "CN=Other CA", isCA: true });
    const cert = await leaf({ issuer: otherCa });
    const { client } = await handshake(cert, { caCerts: [(await ca).cert] }, version);
    const e = certificateError(client, "unknown_issuer");
    assert.equal(e.alert, "unknown_ca");
    assert.match(e.hint!, /caCerts/);
    assert.match(e.hint!, /trustStore: "system"/);
    assert.match(e.hint!, /intermediate/);
    assert.deepEqual(await handshake(cert, { caCerts: [otherCa.cert] }, version), {});
  });

  Deno.test(`hints (${version}): an expired server certificate points at the clock and at renewal`, async () => {
    const cert = await leaf({ issuer: await ca, expired: true });
    const { client } = await handshake(cert, { caCerts: [(await ca).cert] }, version);
    const e = certificateError(client, "expired");
    assert.equal(e.alert, "certificate_expired");
    assert.match(e.hint!, /clock/);
    assert.match(e.hint!, /renew/);
  });

  Deno.test(`hints (${version}): RFC 6125 §6: a name mismatch names serverName`, async () => {
    const cert = await leaf({ issuer: await ca });
    const { client } = await handshake(
      cert,
      { caCerts: [(await ca).cert], serverName: "wrong.example" },
      version,
    );
    const e = certificateError(client, "hostname_mismatch");
    assert.equal(e.alert, "certificate_unknown");
    assert.match(e.detail, /subjectAltName: localhost/, "the names it is valid for are in the detail");
    assert.match(e.hint!, /serverName/);
    assert.deepEqual(
      await handshake(cert, { caCerts: [(await ca).cert], serverName: "localhost" }, version),
      {},
    );
  });
}

Deno.test("hints: openssl req -x509's self-signed certificate (a CA used as its own leaf) names caCerts, which trusts it", async () => {
  const dir = await tempDir();
  // What `openssl req -x509` makes: self-signed, basicConstraints cA (a CA certificate), no extKeyUsage.
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "key.pem",
    "-out",
    "cert.pem",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
  ], dir);
  const self = {
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
  };
  const { client } = await handshake(self, { caCerts: [(await ca).cert] });
  // It breaks the profile of a leaf (RFC 5280 §4.2.1.9, BR §7.1.2.7.8) before any issuer is looked for.
  const e = certificateError(client, "bad_basic_constraints");
  assert.match(e.hint!, /self-signed: to trust it, pass it \(PEM\) in caCerts/);
  assert.deepEqual(await handshake(self, { caCerts: [self.cert] }), {});
});

for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
  Deno.test(`hints (${version}): RFC 8446 §4.4.2.4: a missing client certificate names cert/key on the client, clientAuth on the server`, async () => {
    const server = await leaf({ issuer: await ca });
    const { client, server: serverError } = await handshake(
      { ...server, clientAuth: "require", clientCaCerts: [(await ca).cert] },
      { caCerts: [(await ca).cert] },
      version,
    );
    assert.ok(serverError instanceof TlsAlertError, String(serverError));
    assert.equal(serverError.source, "local");
    assert.match(serverError.message, /clientAuth "request"/);
    assert.ok(client instanceof TlsAlertError, String(client));
    assert.equal(client.source, "remote");
    if (version === "TLSv1.3") {
      assert.equal(client.alert, "certificate_required");
      assert.match(client.message, /requires a client certificate: pass one with the cert and key options/);
    } else {
      // RFC 5246 §7.4.6 has no certificate_required: the server's reason is handshake_failure.
      assert.equal(client.alert, "handshake_failure");
    }
  });

  Deno.test(`hints (${version}): a client certificate of an unknown CA, or self-signed, names clientCaCerts`, async () => {
    const server = await leaf({ issuer: await ca });
    // The client sends a certificate only when its issuer is among the CA names the server lists (RFC 8446
    // §4.2.4): these two carry the name of the server's client CA, without being issued by it.
    const impostorCa = await generateCertificate({ subject: "CN=Hints CA", isCA: true });
    const alice = await leaf({ issuer: impostorCa, client: true });
    const selfSigned = await generateCertificate({ subject: "CN=Hints CA", extKeyUsage: ["clientAuth"] });
    const options = { ...server, clientAuth: "require" as const, clientCaCerts: [(await ca).cert] };
    const unknown = await handshake(options, { caCerts: [(await ca).cert], ...alice }, version);
    const e = certificateError(unknown.server, "unknown_issuer");
    assert.match(e.hint!, /clientCaCerts must hold the CA that issued the client's certificate/);
    const self = await handshake(options, { caCerts: [(await ca).cert], ...selfSigned }, version);
    const s = certificateError(self.server, "unknown_issuer");
    assert.match(s.hint!, /self-signed: to trust it, pass it \(PEM\) in clientCaCerts/);
    for (const [client, trusted] of [[alice, impostorCa], [selfSigned, selfSigned]]) {
      const accepted = await handshake(
        { ...options, clientCaCerts: [trusted.cert] },
        { caCerts: [(await ca).cert], ...client },
        version,
      );
      assert.deepEqual(accepted, {});
    }
  });
}

Deno.test("hints: the x509 API keeps its own messages (its options are not connectTls's): no hint there", async () => {
  const { verifyCertificateChain } = await import("../x509/mod.ts");
  const self = await leaf();
  const e = await verifyCertificateChain({ leaf: self.cert, trustAnchors: [(await ca).cert] }).catch((e) =>
    e
  );
  assert.ok(e instanceof CertificateVerificationError);
  assert.equal(e.code, "unknown_issuer");
  assert.match(e.detail, /self-signed/);
  assert.equal(e.hint, undefined);
});
