import assert from "node:assert/strict";
import { type CertificateErrorCode, CertificateVerificationError } from "../errors.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { decodePem, encodePem, PemError } from "../x509/pem.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { formatIpAddress, matchDnsName, matchServerName, parseIpAddress } from "../x509/names.ts";
import { generateCertificate } from "../x509/generate.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import type { ServerChainRequest, VerifiedChain } from "../x509/verifier.ts";
import {
  flipLastByte,
  LEAF_NAMES,
  makeChain,
  MINIMAL_OPENSSL_CONFIG,
  openssl,
  sharedChain,
  tempDir,
} from "./_certs.ts";
import { CERT_TYPES, testPki } from "./_pki.ts";

const DAY = 24 * 3600_000;

/** Verifies `chain` for `serverName` against `caCerts` (PEM). */
function verify(
  caCerts: readonly string[],
  chain: readonly Uint8Array[],
  serverName = "localhost",
  now = new Date(),
): Promise<VerifiedChain> {
  const request: ServerChainRequest = { chain, serverName, now };
  return createCertificateVerifier({ caCerts, crypto: webCrypto }).verifyServer(request);
}

/** Asserts that `promise` fails with a CertificateVerificationError of `code`, about `subject` when given. */
async function rejectsWith(
  promise: Promise<unknown>,
  code: CertificateErrorCode,
  subject?: string,
): Promise<void> {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof CertificateVerificationError)) throw e;
    assert.equal(e.code, code, `expected ${code}, got: ${e.message}`);
    if (subject !== undefined) {
      assert.equal(e.subject, subject);
      assert.ok(e.message.includes(subject), e.message);
    }
    return;
  }
  assert.fail(`expected a ${code} failure, but verification succeeded`);
}

// --- PEM ---------------------------------------------------------------------------------------------------

Deno.test("RFC 7468 §2: PEM blocks round-trip; explanatory text around them is ignored", () => {
  const a = new Uint8Array(100).map((_, i) => i);
  const b = new Uint8Array([0x30, 0]);
  const text = `subject=CN=a\n${encodePem("CERTIFICATE", a)}some text\r\n${encodePem("CERTIFICATE", b)}`;
  const blocks = decodePem(text, "CERTIFICATE");
  assert.deepEqual(blocks.map((x) => x.der), [a, b]);
  assert.ok(encodePem("CERTIFICATE", a).split("\n").every((line) => line.length <= 64));
  assert.deepEqual(decodePem(encodePem("PRIVATE KEY", b)).map((x) => x.label), ["PRIVATE KEY"]);
});

Deno.test("RFC 7468 §3: mismatched labels, wrong labels, headers and non-canonical base64 are refused", () => {
  const good = encodePem("CERTIFICATE", new Uint8Array([1, 2, 3, 4]));
  assert.throws(() => decodePem(good.replace("END CERTIFICATE", "END X509 CRL")), PemError);
  assert.throws(() => decodePem(good, "PRIVATE KEY"), PemError);
  assert.throws(() => decodePem(good.replace("-----END CERTIFICATE-----\n", "")), PemError);
  assert.throws(() => decodePem(good.replace("AQIDBA==", "AQIDBA=")), PemError);
  assert.throws(() => decodePem(good.replace("AQIDBA==", "AQIDBB==")), PemError); // non-zero padding bits
  assert.throws(() => decodePem(good.replace("AQIDBA==", "AQ!DBA==")), PemError);
  assert.throws(() => decodePem(good.replace("AQIDBA==", "Proc-Type: 4,ENCRYPTED\nAQIDBA==")), PemError);
});

// --- Parsing -----------------------------------------------------------------------------------------------

Deno.test("RFC 5280 §4.1: a generated leaf parses to v3 with its serial, names, validity and extensions", async () => {
  const { inter, leaf } = await sharedChain();
  const cert = decodeCertificate(leaf.der);
  const issuer = decodeCertificate(inter.der);
  assert.equal(cert.version, 3);
  assert.equal(cert.serialNumber.length, 32, "16-byte serial");
  assert.ok(parseInt(cert.serialNumber.slice(0, 2), 16) < 0x80, "positive serial");
  assert.equal(cert.subject, "CN=localhost");
  assert.equal(cert.issuer, "CN=Test Intermediate CA, O=subtls tests");
  assert.deepEqual(cert.issuerDer, issuer.subjectDer);
  assert.deepEqual(cert.subjectAltNames.map((n) => `${n.type}:${n.value}`), [
    "dns:localhost",
    "dns:www.example.com",
    "ip:127.0.0.1",
    "ip:::1",
  ]);
  assert.deepEqual(cert.basicConstraints, { cA: false, pathLenConstraint: undefined });
  assert.deepEqual([...cert.keyUsage!], ["digitalSignature"]);
  assert.deepEqual(cert.extKeyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  assert.deepEqual(cert.criticalExtensions, ["2.5.29.19", "2.5.29.15"]);
  assert.deepEqual(cert.authorityKeyIdentifier, issuer.subjectKeyIdentifier);
  assert.equal(cert.publicKey?.keyType, "EC");
  assert.equal(cert.publicKey?.curve, "P-256");
  assert.deepEqual(cert.signatureAlgorithm, { kind: "ecdsa", hash: "SHA-256" });
  assert.ok(cert.notBefore < new Date() && new Date() < cert.notAfter);
  assert.deepEqual(issuer.basicConstraints, { cA: true, pathLenConstraint: undefined });
  assert.deepEqual([...issuer.keyUsage!], ["digitalSignature", "keyCertSign", "cRLSign"]);
});

Deno.test("RFC 5280 §4.1.2.5: UTCTime through 2049 and GeneralizedTime from 2050 round-trip", async () => {
  const notBefore = new Date("2049-12-31T23:59:59Z");
  const notAfter = new Date("2050-01-01T00:00:00Z");
  const cert = await generateCertificate({ subject: "time.example", notBefore, notAfter });
  const parsed = decodeCertificate(cert.der);
  assert.equal(parsed.notBefore.toISOString(), notBefore.toISOString());
  assert.equal(parsed.notAfter.toISOString(), notAfter.toISOString());
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/time.pem`, cert.cert);
  const dates = await openssl(["x509", "-in", "time.pem", "-noout", "-dates"], dir);
  assert.match(dates, /notBefore=Dec 31 23:59:59 2049 GMT/);
  assert.match(dates, /notAfter=Jan {2}1 00:00:00 2050 GMT/);
});

Deno.test("RFC 5280 §4.1: trailing data after the certificate is malformed", async () => {
  const { leaf } = await sharedChain();
  const der = new Uint8Array([...leaf.der, 0]);
  assert.throws(
    () => decodeCertificate(der),
    (e) => e instanceof CertificateVerificationError && e.code === "malformed",
  );
  const { root, inter } = await sharedChain();
  await rejectsWith(verify([root.cert], [der, inter.der]), "malformed");
});

Deno.test("RFC 5280 §4.1.1.2: a signatureAlgorithm that differs from the TBS signature field is malformed", async () => {
  const { root, inter, leaf } = await sharedChain();
  // The outer AlgorithmIdentifier (ecdsa-with-SHA256, 06 08 2a 86 48 ce 3d 04 03 02) follows the TBS: make it
  // ecdsa-with-SHA384.
  const der = leaf.der.slice();
  const tbsEnd = decodeCertificate(der).tbs.length + 4; // Certificate header is 4 bytes (30 82 xx xx)
  assert.equal(der[tbsEnd + 11], 0x02);
  der[tbsEnd + 11] = 0x03;
  assert.throws(() => decodeCertificate(der), /signatureAlgorithm differs/);
  await rejectsWith(verify([root.cert], [der, inter.der]), "malformed");
});

Deno.test("RFC 5280 §4.1.2.1: a v1 certificate with extensions, or an unknown version, is malformed", async () => {
  const { leaf } = await sharedChain();
  // TBS starts at offset 4 with its own 4-byte header; then [0] { INTEGER 2 } = a0 03 02 01 02.
  const versionOffset = 8 + 4;
  assert.deepEqual([...leaf.der.subarray(8, 13)], [0xa0, 0x03, 0x02, 0x01, 0x02]);
  for (const version of [0, 3]) {
    const der = leaf.der.slice();
    der[versionOffset] = version;
    assert.throws(
      () => decodeCertificate(der),
      (e) => e instanceof CertificateVerificationError && e.code === "malformed",
    );
  }
});

Deno.test("RFC 5952 §4: IP addresses are shown in canonical form; RFC 4291 §2.2 text forms are all read", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["[::1]", "::1"],
    ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::", "::"],
    ["1::", "1::"],
  ];
  for (const [text, canonical] of cases) {
    const bytes = parseIpAddress(text);
    assert.ok(bytes, text);
    assert.equal(formatIpAddress(bytes), canonical, text);
  }
  for (
    const bad of [
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "::g",
      "1:2:3:4:5:6:7::8",
    ]
  ) {
    assert.equal(parseIpAddress(bad), undefined, bad);
  }
});

// --- Path validation ---------------------------------------------------------------------------------------

Deno.test("RFC 5280 §6.1: a root → intermediate → leaf chain verifies and yields the leaf's key", async () => {
  const { root, inter, leaf } = await sharedChain();
  const result = await verify([root.cert], [leaf.der, inter.der]);
  assert.deepEqual(result.path, [leaf.der, inter.der, root.der]);
  assert.equal(result.publicKey.keyType, "EC");
  assert.deepEqual(result.publicKey.spki, decodeCertificate(leaf.der).spki);
  const verifier = createCertificateVerifier({ caCerts: [root.der], crypto: webCrypto });
  await verifier.verifyServer({ chain: [leaf.der, inter.der], serverName: "localhost", now: new Date() });
});

Deno.test("RFC 8446 §4.4.2: intermediates out of order and extra certificates still verify", async () => {
  const { root, inter } = await sharedChain();
  const other = await makeChain();
  const inter2 = await generateCertificate({ subject: "CN=Second Intermediate", isCA: true, issuer: inter });
  const leaf2 = await generateCertificate({ subject: "localhost", issuer: inter2 });
  const result = await verify(
    [other.root.cert, root.cert],
    [leaf2.der, other.inter.der, inter.der, other.leaf.der, root.der, inter2.der],
  );
  assert.deepEqual(result.path, [leaf2.der, inter2.der, inter.der, root.der]);
});

Deno.test("RFC 5280 §6.1: several candidate issuers of the same name are tried until one fits", async () => {
  const { root } = await sharedChain();
  const real = await generateCertificate({ subject: "CN=Same Name CA", isCA: true, issuer: root });
  // The same CA's earlier, expired certificate (same name and key), and another CA of the same name.
  const old = await generateCertificate({
    subject: "CN=Same Name CA",
    isCA: true,
    issuer: root,
    key: real.key,
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const impostor = await generateCertificate({ subject: "CN=Same Name CA", isCA: true, issuer: root });
  const leaf = await generateCertificate({ subject: "localhost", issuer: real });
  const result = await verify([root.cert], [leaf.der, impostor.der, old.der, real.der]);
  assert.deepEqual(result.path, [leaf.der, real.der, root.der]);
  // Without the current certificate, the expired one is the reason for failure.
  await rejectsWith(verify([root.cert], [leaf.der, impostor.der, old.der]), "expired", "CN=Same Name CA");
});

Deno.test("RFC 5280 §6.1: a self-signed leaf that is itself a trust anchor verifies as a path of one", async () => {
  const pinned = await generateCertificate({ subject: "localhost", keyAlgorithm: "Ed25519" });
  const result = await verify([pinned.cert], [pinned.der]);
  assert.deepEqual(result.path, [pinned.der]);
  assert.equal(result.publicKey.keyType, "Ed25519");
  await rejectsWith(verify([pinned.cert], [pinned.der], "other.example"), "hostname_mismatch");
});

Deno.test("RFC 5280 §6.1.3(a)(2): an expired leaf is expired", async () => {
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({
    subject: "CN=expired.example",
    subjectAltNames: ["localhost"],
    issuer: inter,
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "expired", "CN=expired.example");
});

Deno.test("RFC 5280 §6.1.3(a)(2): a leaf not yet valid is not_yet_valid", async () => {
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({
    subject: "CN=future.example",
    subjectAltNames: ["localhost"],
    issuer: inter,
    notBefore: new Date(Date.now() + DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
  });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "not_yet_valid", "CN=future.example");
});

Deno.test("RFC 5280 §6.1.3(a)(2): an expired intermediate is expired, naming the intermediate", async () => {
  const { root } = await sharedChain();
  const inter = await generateCertificate({
    subject: "CN=Expired Intermediate",
    isCA: true,
    issuer: root,
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  const leaf = await generateCertificate({ subject: "localhost", issuer: inter });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "expired", "CN=Expired Intermediate");
});

Deno.test("RFC 5280 §6.1: the trust anchor's own validity is checked", async () => {
  const { root, inter, leaf } = await sharedChain();
  const later = new Date(decodeCertificate(root.der).notAfter.getTime() + DAY);
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "localhost", later), "expired");
});

Deno.test("RFC 5280 §6.1: a chain to an untrusted root, or missing its intermediate, is unknown_issuer", async () => {
  const { inter, leaf } = await sharedChain();
  const other = await makeChain();
  await rejectsWith(
    verify([other.root.cert], [leaf.der, inter.der]),
    "unknown_issuer",
    "CN=Test Intermediate CA, O=subtls tests",
  );
  const { root } = await sharedChain();
  await rejectsWith(verify([root.cert], [leaf.der]), "unknown_issuer", "CN=localhost");
});

Deno.test("RFC 5280 §6.1.3(a)(1): a certificate with a flipped signature byte is bad_signature", async () => {
  const { root, inter, leaf } = await sharedChain();
  await rejectsWith(
    verify([root.cert], [flipLastByte(leaf.der), inter.der]),
    "bad_signature",
    "CN=localhost",
  );
  await rejectsWith(
    verify([root.cert], [leaf.der, flipLastByte(inter.der)]),
    "bad_signature",
    "CN=Test Intermediate CA, O=subtls tests",
  );
});

Deno.test("RFC 5280 §6.1: issuers that sign each other in a loop end in unknown_issuer", async () => {
  const a = await generateCertificate({ subject: "CN=Loop A", isCA: true });
  const b = await generateCertificate({ subject: "CN=Loop B", isCA: true });
  const aByB = await generateCertificate({ subject: "CN=Loop A", isCA: true, key: a.key, issuer: b });
  const bByA = await generateCertificate({ subject: "CN=Loop B", isCA: true, key: b.key, issuer: a });
  const leaf = await generateCertificate({ subject: "localhost", issuer: a });
  const { root } = await sharedChain();
  await rejectsWith(verify([root.cert], [leaf.der, aByB.der, bByA.der]), "unknown_issuer");
});

Deno.test("RFC 5280 §4.2.1.9: an intermediate without basicConstraints cA is not_a_ca", async () => {
  const { root } = await sharedChain();
  const notCa = await generateCertificate({ subject: "CN=Not A CA", issuer: root, subjectAltNames: [] });
  const leaf = await generateCertificate({ subject: "localhost", issuer: notCa });
  await rejectsWith(verify([root.cert], [leaf.der, notCa.der]), "not_a_ca", "CN=Not A CA");
});

Deno.test("RFC 5280 §4.2.1.9: pathLenConstraint 0 with an intermediate below is path_length_exceeded", async () => {
  const { root } = await sharedChain();
  const upper = await generateCertificate({
    subject: "CN=Upper CA",
    isCA: true,
    pathLength: 0,
    issuer: root,
  });
  const lower = await generateCertificate({ subject: "CN=Lower CA", isCA: true, issuer: upper });
  const leaf = await generateCertificate({ subject: "localhost", issuer: lower });
  await rejectsWith(
    verify([root.cert], [leaf.der, lower.der, upper.der]),
    "path_length_exceeded",
    "CN=Upper CA",
  );
  // With pathLenConstraint 1 the same shape is fine.
  const upper1 = await generateCertificate({
    subject: "CN=Upper CA 1",
    isCA: true,
    pathLength: 1,
    issuer: root,
  });
  const lower1 = await generateCertificate({ subject: "CN=Lower CA 1", isCA: true, issuer: upper1 });
  const leaf1 = await generateCertificate({ subject: "localhost", issuer: lower1 });
  await verify([root.cert], [leaf1.der, lower1.der, upper1.der]);
});

Deno.test("RFC 5280 §6.1: a path longer than 8 certificates is path_length_exceeded", async () => {
  const { root } = await sharedChain();
  let issuer = root;
  const intermediates = [];
  for (let i = 0; i < 7; i++) {
    issuer = await generateCertificate({ subject: `CN=Deep CA ${i}`, isCA: true, issuer });
    intermediates.push(issuer);
  }
  const leaf = await generateCertificate({ subject: "localhost", issuer });
  await rejectsWith(
    verify([root.cert], [leaf.der, ...intermediates.map((c) => c.der)]),
    "path_length_exceeded",
  );
  // Six intermediates make a path of exactly eight.
  const leaf6 = await generateCertificate({ subject: "localhost", issuer: intermediates[5] });
  await verify([root.cert], [leaf6.der, ...intermediates.slice(0, 6).map((c) => c.der)]);
});

Deno.test("RFC 5280 §4.2.1.3: an intermediate whose key usage lacks keyCertSign is bad_key_usage", async () => {
  const { root } = await sharedChain();
  const inter = await generateCertificate({
    subject: "CN=No CertSign",
    isCA: true,
    keyUsage: ["cRLSign"],
    issuer: root,
  });
  const leaf = await generateCertificate({ subject: "localhost", issuer: inter });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "bad_key_usage", "CN=No CertSign");
});

Deno.test("RFC 8446 §4.4.2.2: a leaf whose key usage lacks digitalSignature is bad_key_usage", async () => {
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({ subject: "localhost", keyUsage: ["keyAgreement"], issuer: inter });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "bad_key_usage", "CN=localhost");
});

Deno.test("RFC 5280 §4.2.1.12: a leaf whose extended key usage is only clientAuth is bad_extended_key_usage", async () => {
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({
    subject: "localhost",
    extKeyUsage: ["clientAuth"],
    issuer: inter,
  });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "bad_extended_key_usage", "CN=localhost");
});

Deno.test("NIST SP 800-131A: a leaf with a 1024-bit RSA key is weak_key", async () => {
  const { root, inter } = await sharedChain();
  const dir = await tempDir();
  await openssl(
    ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "weak.key"],
    dir,
  );
  const key = await Deno.readTextFile(`${dir}/weak.key`);
  const leaf = await generateCertificate({ subject: "localhost", key, issuer: inter });
  assert.equal(decodeCertificate(leaf.der).modulusBits, 1024);
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "weak_key", "CN=localhost");
});

Deno.test("RFC 9155 §2 / RFC 5280 §4.1.1.2: a certificate signed with SHA-1 is unsupported_algorithm", async () => {
  const { root, inter } = await sharedChain();
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/req.cnf`, MINIMAL_OPENSSL_CONFIG);
  await Deno.writeTextFile(`${dir}/inter.pem`, inter.cert);
  await Deno.writeTextFile(`${dir}/inter.key`, inter.key);
  await openssl(
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "leaf.key"],
    dir,
  );
  await openssl([
    ..."req -x509 -sha1 -config req.cnf -key leaf.key -CA inter.pem -CAkey inter.key -days 30".split(" "),
    ..."-subj /CN=sha1.example -addext subjectAltName=DNS:localhost -addext extendedKeyUsage=serverAuth"
      .split(" "),
    ..."-out leaf.pem".split(" "),
  ], dir);
  const leaf = decodePem(await Deno.readTextFile(`${dir}/leaf.pem`), "CERTIFICATE")[0].der;
  const parsed = decodeCertificate(leaf);
  assert.equal(parsed.signatureAlgorithm, undefined);
  assert.equal(parsed.signatureAlgorithmName, "ecdsa-with-SHA1");
  await rejectsWith(verify([root.cert], [leaf, inter.der]), "unsupported_algorithm", "CN=sha1.example");
});

Deno.test("RFC 5280 §4.2: a critical extension that is not understood is unknown_critical_extension", async () => {
  const { root, inter } = await sharedChain();
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/req.cnf`, MINIMAL_OPENSSL_CONFIG);
  await Deno.writeTextFile(`${dir}/inter.pem`, inter.cert);
  await Deno.writeTextFile(`${dir}/inter.key`, inter.key);
  await openssl(
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "leaf.key"],
    dir,
  );
  await openssl([
    ..."req -x509 -config req.cnf -key leaf.key -CA inter.pem -CAkey inter.key -days 30 -subj /CN=odd.example"
      .split(" "),
    ..."-addext subjectAltName=DNS:localhost -addext extendedKeyUsage=serverAuth".split(" "),
    ..."-addext 1.3.6.1.4.1.55555.1=critical,DER:0500 -out leaf.pem".split(" "),
  ], dir);
  const leaf = decodePem(await Deno.readTextFile(`${dir}/leaf.pem`), "CERTIFICATE")[0].der;
  assert.ok(decodeCertificate(leaf).criticalExtensions.includes("1.3.6.1.4.1.55555.1"));
  await rejectsWith(verify([root.cert], [leaf, inter.der]), "unknown_critical_extension", "CN=odd.example");
});

// --- Server identity ---------------------------------------------------------------------------------------

Deno.test("RFC 6125 §6.4.1: DNS names match case-insensitively, ignoring a trailing dot; others mismatch", async () => {
  const { root, inter, leaf } = await sharedChain();
  await verify([root.cert], [leaf.der, inter.der], "WWW.Example.COM.");
  await rejectsWith(
    verify([root.cert], [leaf.der, inter.der], "example.com"),
    "hostname_mismatch",
    "CN=localhost",
  );
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "localhost.example"), "hostname_mismatch");
});

Deno.test("RFC 6125 §6.4.4: the subject common name is not a fallback for a missing subjectAltName", async () => {
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({ subject: "CN=localhost", subjectAltNames: [], issuer: inter });
  assert.deepEqual(decodeCertificate(leaf.der).subjectAltNames, []);
  await rejectsWith(verify([root.cert], [leaf.der, inter.der]), "hostname_mismatch", "CN=localhost");
});

Deno.test("RFC 6125 §6.4.3: a wildcard is the whole leftmost label of a name of three labels or more", async () => {
  const cases: [string, string, boolean][] = [
    ["*.example.com", "a.example.com", true],
    ["*.example.com", "A.EXAMPLE.com.", true],
    ["*.example.com", "a.b.example.com", false],
    ["*.example.com", "example.com", false],
    ["*.example.com", ".example.com", false],
    ["*.com", "example.com", false],
    ["*", "localhost", false],
    ["f*.example.com", "foo.example.com", false],
    ["*oo.example.com", "foo.example.com", false],
    ["a.*.example.com", "a.b.example.com", false],
    ["*.example.com", "*.example.com", false],
    ["xn--bcher-kva.example", "XN--BCHER-KVA.example", true],
  ];
  for (const [presented, reference, expected] of cases) {
    assert.equal(matchDnsName(presented, reference), expected, `${presented} vs ${reference}`);
  }
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({
    subject: "CN=*.example.com",
    subjectAltNames: ["*.example.com"],
    issuer: inter,
  });
  await verify([root.cert], [leaf.der, inter.der], "api.example.com");
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "a.api.example.com"), "hostname_mismatch");
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "example.com"), "hostname_mismatch");
});

Deno.test("RFC 6125 §6.2.1: IP literals in any text form match only iPAddress entries, never dNSName", async () => {
  const { root, inter, leaf } = await sharedChain();
  for (const name of ["127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "0000::0001", "[::1]"]) {
    await verify([root.cert], [leaf.der, inter.der], name);
  }
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "127.0.0.2"), "hostname_mismatch");
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "::2"), "hostname_mismatch");
  // An IP written as a dNSName does not count.
  const dnsOnly = await generateCertificate({
    subject: "CN=ip-as-dns",
    subjectAltNames: ["localhost"],
    issuer: inter,
  });
  const sans = decodeCertificate(dnsOnly.der).subjectAltNames;
  assert.equal(matchServerName([{ type: "dns", value: "127.0.0.1" }], "127.0.0.1"), false);
  assert.equal(matchServerName(sans, "localhost"), true);
  // And a DNS reference never matches an iPAddress entry.
  assert.equal(
    matchServerName([{ type: "ip", value: "127.0.0.1", bytes: new Uint8Array([127, 0, 0, 1]) }], "localhost"),
    false,
  );
});

Deno.test("RFC 5280 §6.1 before RFC 6125 §6: an expired leaf with a wrong name reports expired", async () => {
  const { root, inter } = await sharedChain();
  const leaf = await generateCertificate({
    subject: "CN=old.example",
    issuer: inter,
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() - DAY),
  });
  await rejectsWith(verify([root.cert], [leaf.der, inter.der], "not-this-name.example"), "expired");
});

// --- The verifier's other duties ---------------------------------------------------------------------------

Deno.test("RFC 5280 §4.2.1.6: describe() shows subject, issuer, validity and the SAN in text form", async () => {
  const { root, leaf } = await sharedChain();
  const verifier = createCertificateVerifier({ caCerts: [root.cert], crypto: webCrypto });
  const info = verifier.describe(leaf.der);
  assert.equal(info.subject, "CN=localhost");
  assert.equal(info.issuer, "CN=Test Intermediate CA, O=subtls tests");
  assert.deepEqual(info.subjectAltNames, [...LEAF_NAMES]);
  assert.deepEqual(info.der, leaf.der);
  assert.equal(verifier.publicKeyOf(leaf.der).curve, "P-256");
  assert.throws(() => verifier.publicKeyOf(leaf.der.subarray(0, 50)), CertificateVerificationError);
});

Deno.test("RFC 4514 §2.4: subjects list RDNs last-first and escape special characters", async () => {
  const cert = await generateCertificate({ subject: 'CN=a\\,b, OU=x+O=Ex "q", C=NZ', subjectAltNames: [] });
  assert.equal(decodeCertificate(cert.der).subject, 'CN=a\\,b, OU=x+O=Ex \\"q\\", C=NZ');
});

// --- Interoperability with OpenSSL -------------------------------------------------------------------------

for (const keyAlgorithm of ["ECDSA-P256", "ECDSA-P384", "Ed25519", "RSA-2048", "RSA-PSS-2048"] as const) {
  Deno.test(`RFC 5280 §6: openssl verify accepts a generated ${keyAlgorithm} chain and shows its SANs`, async () => {
    const { root, inter, leaf } = await makeChain(keyAlgorithm);
    await verify([root.cert], [leaf.der, inter.der]);
    const dir = await tempDir();
    await Deno.writeTextFile(`${dir}/root.pem`, root.cert);
    await Deno.writeTextFile(`${dir}/inter.pem`, inter.cert);
    await Deno.writeTextFile(`${dir}/leaf.pem`, leaf.cert);
    const result = await openssl(
      ["verify", "-CAfile", "root.pem", "-untrusted", "inter.pem", "leaf.pem"],
      dir,
    );
    assert.equal(result.trim(), "leaf.pem: OK");
    const text = await openssl(["x509", "-in", "leaf.pem", "-noout", "-text"], dir);
    assert.match(
      text,
      /DNS:localhost, DNS:www\.example\.com, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/,
    );
    assert.match(text, /Version: 3 \(0x2\)/);
  });
}

Deno.test("RFC 5280 §6: openssl-made ECDSA P-384, RSA and Ed25519 certificates parse and verify", async () => {
  const pki = await testPki();
  for (const type of CERT_TYPES) {
    const [der] = decodePem(pki.leaves[type].cert, "CERTIFICATE").map((b) => b.der);
    const cert = decodeCertificate(der);
    assert.equal(cert.subject, "CN=localhost", type);
    assert.deepEqual(cert.subjectAltNames.map((n) => n.value), ["localhost", "127.0.0.1"], type);
    const result = await verify([pki.root.cert], [der], "127.0.0.1");
    assert.equal(result.path.length, 2);
  }
  assert.equal(decodeCertificate(decodePem(pki.leaves["ECDSA P-384"].cert)[0].der).publicKey?.curve, "P-384");
  assert.equal(decodeCertificate(decodePem(pki.leaves["RSA-2048"].cert)[0].der).modulusBits, 2048);
  assert.equal(decodeCertificate(decodePem(pki.leaves.Ed25519.cert)[0].der).publicKey?.keyType, "Ed25519");
  await rejectsWith(verify([pki.root.cert], [decodePem(pki.expired.cert)[0].der]), "expired");
  await rejectsWith(verify([pki.root.cert], [decodePem(pki.untrusted.cert)[0].der]), "unknown_issuer");
});

Deno.test("RFC 5280 §4.2.1.1: an openssl-made leaf without authority key identifier is refused, as by openssl -x509_strict", async () => {
  const pki = await testPki();
  const der = decodePem(pki.nonConformant.cert)[0].der;
  assert.equal(decodeCertificate(der).authorityKeyIdentifier, undefined);
  assert.equal(decodeCertificate(der).extKeyUsage, undefined);
  await rejectsWith(verify([pki.root.cert], [der]), "bad_key_identifier", "CN=localhost");
  const strict = await new Deno.Command("openssl", {
    args: [
      "verify",
      "-x509_strict",
      "-purpose",
      "sslserver",
      "-CAfile",
      pki.root.certPath,
      pki.nonConformant.certPath,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(strict.success, false);
  assert.match(
    new TextDecoder().decode(strict.stdout) + new TextDecoder().decode(strict.stderr),
    /Missing Authority Key Identifier/i,
  );
  // Without -x509_strict OpenSSL accepts it: the profile is what makes the difference.
  const lax = await openssl([
    "verify",
    "-purpose",
    "sslserver",
    "-CAfile",
    pki.root.certPath,
    pki.nonConformant.certPath,
  ], pki.dir);
  assert.match(lax, /: OK$/m);
});

const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const haveBundle = (() => {
  try {
    return Deno.statSync(SYSTEM_BUNDLE).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "RFC 5280 §4.1: every certificate of the system CA bundle parses and loads as a trust anchor",
  ignore: !haveBundle,
  fn: async () => {
    const bundle = await Deno.readTextFile(SYSTEM_BUNDLE);
    const certs = decodePem(bundle, "CERTIFICATE");
    assert.ok(certs.length > 50);
    for (const { der } of certs) decodeCertificate(der);
    createCertificateVerifier({ caCerts: [bundle], crypto: webCrypto });
  },
});
