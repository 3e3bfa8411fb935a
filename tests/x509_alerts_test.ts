/**
 * Handshakes against `openssl s_server` presenting bad chains (RFC 8446 §4.4.2.4): the client refuses each
 * with its `CertificateVerificationError.code`, sends the alert of RFC 8446 §6.2 that fits, and OpenSSL
 * reports receiving exactly that alert.
 *
 * The table below is written out rather than taken from `alertForCertificateError`, so that a change of the
 * mapping fails here:
 * - `certificate_expired`: "a certificate has expired or is not currently valid";
 * - `unknown_ca`: "the CA certificate could not be located or could not be matched with a known trust anchor";
 * - `bad_certificate`: "a certificate was corrupt, contained signatures that did not verify correctly" — and a
 *   certificate that breaks the certificate profile (a missing key identifier and the like);
 * - `certificate_unknown`: "some other (unspecified) issue arose in processing the certificate, rendering it
 *   unacceptable" — a name that does not match, a certificate that is not a CA, a name constraint broken.
 */
import assert from "node:assert/strict";
import type { AlertName, CertificateErrorCode } from "../errors.ts";
import { ExtensionOid } from "../x509/certificate.ts";
import { generateCertificate, type GeneratedCertificate } from "../x509/generate.ts";
import { encodePem } from "../x509/pem.ts";
import { flipSignature, keyPool } from "./_chains.ts";
import { tempDir } from "./_certs.ts";
import { startOpenSslServer } from "./_peers.ts";
import { assertCertificateRefused, connectClient } from "./_interop.ts";

const DAY = 24 * 3600_000;

interface BadChain {
  /** Root to trust. */
  readonly root: string;
  /** Leaf PEM, its key, and the intermediates PEM the server sends after it. */
  readonly leaf: string;
  readonly key: string;
  readonly intermediates: string;
}

/** A good root → intermediate → "localhost" leaf, with `change` applied to the options of each. */
async function chain(
  change: {
    inter?: Partial<Parameters<typeof generateCertificate>[0]>;
    leaf?: Partial<Parameters<typeof generateCertificate>[0]>;
    trustOther?: boolean;
    flipLeafSignature?: boolean;
  } = {},
): Promise<BadChain> {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=Alert Root", isCA: true, key: keys.ec[0] });
  const inter: GeneratedCertificate = await generateCertificate({
    subject: "CN=Alert Intermediate",
    isCA: true,
    key: keys.ec[1],
    issuer: root,
    ...change.inter,
  });
  const leaf = await generateCertificate({
    subject: "CN=Alert Leaf",
    subjectAltNames: ["localhost"],
    key: keys.ec[2],
    issuer: inter,
    ...change.leaf,
  });
  const other = change.trustOther
    ? await generateCertificate({ subject: "CN=Alert Root", isCA: true, key: keys.ec[3] })
    : root;
  return {
    root: other.cert,
    leaf: change.flipLeafSignature ? encodePem("CERTIFICATE", flipSignature(leaf.der)) : leaf.cert,
    key: leaf.key,
    intermediates: inter.cert,
  };
}

const CASES: { name: string; code: CertificateErrorCode; alert: AlertName; make: () => Promise<BadChain> }[] =
  [
    {
      name: "an expired leaf",
      code: "expired",
      alert: "certificate_expired",
      make: () =>
        chain({
          leaf: { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 30 * DAY) },
        }),
    },
    {
      name: "a chain to an unknown CA",
      code: "unknown_issuer",
      alert: "unknown_ca",
      make: () => chain({ trustOther: true }),
    },
    {
      name: "a leaf for another name",
      code: "hostname_mismatch",
      alert: "certificate_unknown",
      make: () => chain({ leaf: { subjectAltNames: ["wrong.example"] } }),
    },
    {
      name: "an intermediate that is not a CA",
      code: "not_a_ca",
      alert: "certificate_unknown",
      make: () => chain({ inter: { isCA: false, subjectAltNames: [] } }),
    },
    {
      name: "a leaf whose signature does not verify",
      code: "bad_signature",
      alert: "bad_certificate",
      make: () => chain({ flipLeafSignature: true }),
    },
    {
      name: "a leaf without an authority key identifier",
      code: "bad_key_identifier",
      alert: "bad_certificate",
      make: () =>
        chain({ leaf: { overrides: { extensions: { [ExtensionOid.authorityKeyIdentifier]: false } } } }),
    },
    {
      name: "a leaf outside its CA's name constraints",
      code: "name_constraint_violation",
      alert: "certificate_unknown",
      make: () => chain({ inter: { nameConstraints: { permitted: ["example.com"] } } }),
    },
  ];

for (const { name, code, alert, make } of CASES) {
  Deno.test(`RFC 8446 §6.2: openssl s_server with ${name}: "${code}", alert ${alert}`, async () => {
    const bad = await make();
    const dir = await tempDir();
    const files = { certPath: `${dir}/leaf.pem`, keyPath: `${dir}/leaf.key`, cert: bad.leaf, key: bad.key };
    await Deno.writeTextFile(files.certPath, bad.leaf);
    await Deno.writeTextFile(files.keyPath, bad.key);
    await Deno.writeTextFile(`${dir}/chain.pem`, bad.intermediates);
    await using server = await startOpenSslServer({
      cert: files,
      mode: "interactive",
      extraArgs: ["-cert_chain", `${dir}/chain.pem`],
    });
    const error = await assertCertificateRefused(server.port, code, { caCerts: [bad.root] });
    assert.equal(error.alert, alert);
    await server.waitFor(
      "stdout",
      new RegExp(`^<<< TLS 1\\.3, Alert \\[length 0002\\], fatal ${alert}$`, "m"),
    );
    await server.waitFor("stdout", /^CONNECTION CLOSED$/m);
    assert.doesNotMatch(server.stdout, /^CIPHER is /m, "the server must not complete the handshake");
  });
}

Deno.test("RFC 8446 §4.4.2: the same server with a good chain completes the handshake", async () => {
  const good = await chain();
  const dir = await tempDir();
  const files = { certPath: `${dir}/leaf.pem`, keyPath: `${dir}/leaf.key`, cert: good.leaf, key: good.key };
  await Deno.writeTextFile(files.certPath, good.leaf);
  await Deno.writeTextFile(files.keyPath, good.key);
  await Deno.writeTextFile(`${dir}/chain.pem`, good.intermediates);
  await using server = await startOpenSslServer({
    cert: files,
    mode: "interactive",
    extraArgs: ["-cert_chain", `${dir}/chain.pem`],
  });
  const { conn, info } = await connectClient(server.port, { caCerts: [good.root] });
  conn.close();
  assert.equal(info.peerCertificates.length, 2);
});
