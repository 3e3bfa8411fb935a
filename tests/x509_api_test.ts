/**
 * The public X.509 API, `@subtle/tls/x509` (`x509/mod.ts`): `parseCertificate` shows a certificate and its
 * extensions; `verifyCertificateChain` verifies a chain outside a handshake with the options of its
 * documentation, and is what the handshake runs — a chain refused in a handshake is refused by the API with
 * the same code and message, for server and for client certificates. The JSDoc examples run.
 */
import assert from "node:assert/strict";
import { acceptTls, startTls, type StreamPair } from "../mod.ts";
import {
  CertificateVerificationError,
  parseCertificate,
  TrustAnchors,
  verifyCertificateChain,
} from "../x509/mod.ts";
import { ExtensionOid } from "../x509/certificate.ts";
import { generateCertificate } from "../x509/generate.ts";
import { assertRejects, keyPool } from "./_chains.ts";

async function chain(leafOptions: Partial<Parameters<typeof generateCertificate>[0]> = {}) {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=API Root, O=subtls", isCA: true, key: keys.ec[0] });
  const inter = await generateCertificate({
    subject: "CN=API Intermediate, O=subtls",
    isCA: true,
    key: keys.ec[1],
    issuer: root,
    nameConstraints: { permitted: ["example.com", "192.0.2.0/24"], excluded: [".bad.example.com"] },
  });
  const leaf = await generateCertificate({
    subject: "CN=api.example.com",
    subjectAltNames: ["api.example.com", "192.0.2.7"],
    key: keys.ec[2],
    issuer: inter,
    ...leafOptions,
  });
  return { root, inter, leaf };
}

Deno.test("x509 API: parseCertificate reads PEM and DER into the peer-certificate shape plus extensions", async () => {
  const { inter, leaf } = await chain();
  const fromPem = parseCertificate(leaf.cert);
  assert.deepEqual(parseCertificate(leaf.der), fromPem);
  assert.equal(fromPem.subject, "CN=api.example.com");
  assert.equal(fromPem.issuer, "CN=API Intermediate, O=subtls");
  assert.deepEqual(fromPem.subjectAltNames, ["api.example.com", "192.0.2.7"]);
  assert.deepEqual(fromPem.der, leaf.der);
  assert.equal(fromPem.version, 3);
  assert.match(fromPem.serialNumber, /^[0-7][0-9a-f]{31}$/);
  assert.equal(fromPem.signatureAlgorithm, "ecdsa-with-SHA256");
  assert.equal(fromPem.publicKey.name, "EC P-256");
  assert.equal(fromPem.publicKey.keyType, "EC");
  assert.equal(fromPem.publicKey.curve, "P-256");
  assert.deepEqual(fromPem.basicConstraints, { cA: false, pathLenConstraint: undefined });
  assert.deepEqual(fromPem.keyUsage, ["digitalSignature"]);
  assert.deepEqual(fromPem.extKeyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  const ca = parseCertificate(inter.cert);
  assert.equal(fromPem.authorityKeyIdentifier?.keyIdentifier, ca.subjectKeyIdentifier);
  assert.match(ca.subjectKeyIdentifier!, /^[0-9a-f]{40}$/);
  assert.deepEqual(ca.nameConstraints, {
    permitted: [{ form: "dNSName", value: "example.com" }, { form: "iPAddress", value: "192.0.2.0/24" }],
    excluded: [{ form: "dNSName", value: ".bad.example.com" }],
  });
  assert.deepEqual(
    fromPem.extensions.map((e) => `${e.oid}${e.critical ? "!" : ""}`),
    ["2.5.29.19!", "2.5.29.15!", "2.5.29.37", "2.5.29.17", "2.5.29.14", "2.5.29.35"],
  );
  for (const bad of [leaf.der.subarray(1), "not a certificate", leaf.cert + inter.cert, new Uint8Array()]) {
    assert.throws(
      () => parseCertificate(bad),
      (e) => e instanceof CertificateVerificationError && e.code === "malformed",
    );
  }
});

Deno.test("x509 API: verifyCertificateChain returns the path, leaf first, from DER, PEM or parsed inputs", async () => {
  const { root, inter, leaf } = await chain();
  for (
    const [leafInput, intermediates] of [
      [leaf.der, [inter.der]],
      [leaf.cert, [inter.cert]],
      [parseCertificate(leaf.der), [parseCertificate(inter.der)]],
      [leaf.cert, [inter.cert + root.cert]], // one PEM string, two certificates; the extra one is ignored
    ] as const
  ) {
    const { path } = await verifyCertificateChain({
      leaf: leafInput,
      intermediates,
      trustAnchors: [root.cert],
      hostname: "api.example.com",
    });
    assert.deepEqual(path.map((c) => c.subject), [
      "CN=api.example.com",
      "CN=API Intermediate, O=subtls",
      "CN=API Root, O=subtls",
    ]);
    assert.deepEqual(path[2].der, root.der);
  }
});

Deno.test("x509 API: hostname or ip is matched (RFC 9525 §6); without either no name is checked", async () => {
  const { root, inter, leaf } = await chain();
  const base = { leaf: leaf.der, intermediates: [inter.der], trustAnchors: [root.cert] };
  await verifyCertificateChain({ ...base, ip: "192.0.2.7" });
  await verifyCertificateChain({ ...base, hostname: "192.0.2.7" });
  await verifyCertificateChain({ ...base, hostname: "API.example.com." });
  await verifyCertificateChain(base);
  await assertRejects(verifyCertificateChain({ ...base, ip: "192.0.2.8" }), "hostname_mismatch");
  await assertRejects(verifyCertificateChain({ ...base, hostname: "www.example.com" }), "hostname_mismatch");
  await assert.rejects(verifyCertificateChain({ ...base, ip: "api.example.com" }), TypeError);
  await assert.rejects(verifyCertificateChain({ ...base, ip: "192.0.2.7", hostname: "a" }), TypeError);
  await assert.rejects(verifyCertificateChain({ ...base, hostname: "" }), TypeError);
});

Deno.test("x509 API: usage client checks clientAuth (RFC 5280 §4.2.1.12); usage server serverAuth", async () => {
  const serverOnly = await chain({ extKeyUsage: ["serverAuth"] });
  const clientOnly = await chain({ extKeyUsage: ["clientAuth"] });
  const run = (c: typeof serverOnly, usage: "server" | "client") =>
    verifyCertificateChain({
      leaf: c.leaf.der,
      intermediates: [c.inter.der],
      trustAnchors: [c.root.cert],
      usage,
    });
  await run(serverOnly, "server");
  await run(clientOnly, "client");
  await assertRejects(run(serverOnly, "client"), "bad_extended_key_usage", "CN=api.example.com");
  await assertRejects(run(clientOnly, "server"), "bad_extended_key_usage", "CN=api.example.com");
  // deno-lint-ignore no-explicit-any
  await assert.rejects(run(serverOnly, "peer" as any), TypeError);
});

Deno.test("x509 API: trust anchors, trust stores and time", async () => {
  const { root, inter, leaf } = await chain();
  const base = { leaf: leaf.der, intermediates: [inter.der] };
  // The default store is Mozilla's, which does not hold this private root.
  await assertRejects(verifyCertificateChain(base), "unknown_issuer");
  await assertRejects(verifyCertificateChain({ ...base, trustStore: "mozilla" }), "unknown_issuer");
  const anchors = TrustAnchors.from([root.der]);
  for (let i = 0; i < 3; i++) await verifyCertificateChain({ ...base, trustAnchors: anchors });
  await assert.rejects(
    verifyCertificateChain({ ...base, trustAnchors: anchors, trustStore: "mozilla" }),
    TypeError,
  );
  // deno-lint-ignore no-explicit-any
  await assert.rejects(verifyCertificateChain({ ...base, trustStore: "nss" as any }), TypeError);
  const before = new Date(parseCertificate(leaf.der).notBefore.getTime() - 1000);
  await assertRejects(
    verifyCertificateChain({ ...base, trustAnchors: anchors, time: before }),
    "not_yet_valid",
  );
  await assert.rejects(
    verifyCertificateChain({ ...base, trustAnchors: anchors, time: new Date(NaN) }),
    TypeError,
  );
});

/** Two stream pairs joined back to back. */
function memoryPipe(): [StreamPair, StreamPair] {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: toClient.readable, writable: toServer.writable },
    { readable: toServer.readable, writable: toClient.writable },
  ];
}

/** The error `promise` settles with. */
async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail("expected a failure");
}

Deno.test("x509 API: a server chain the handshake refuses is refused by verifyCertificateChain with the same error", async () => {
  // A leaf without an authority key identifier (RFC 5280 §4.2.1.1): a profile rule, so the handshake must be
  // running the same rules as the API.
  const { root, inter, leaf } = await chain({
    overrides: { extensions: { [ExtensionOid.authorityKeyIdentifier]: false } },
  });
  const [clientSide, serverSide] = memoryPipe();
  const [clientError] = await Promise.all([
    // startTls resolves before the handshake (as Deno's); its outcome comes from handshake().
    errorOf(
      startTls(clientSide, { serverName: "api.example.com", caCerts: [root.cert] }).then((c) =>
        c.handshake()
      ),
    ),
    errorOf(acceptTls(serverSide, { cert: leaf.cert + inter.cert, key: leaf.key })),
  ]);
  const apiError = await errorOf(
    verifyCertificateChain({
      leaf: leaf.der,
      intermediates: [inter.der],
      trustAnchors: [root.cert],
      hostname: "api.example.com",
    }),
  );
  assert.ok(clientError instanceof CertificateVerificationError, String(clientError));
  assert.ok(apiError instanceof CertificateVerificationError);
  assert.equal(clientError.code, "bad_key_identifier");
  assert.equal(clientError.alert, "bad_certificate");
  assert.equal(clientError.message, apiError.message);
  assert.equal(clientError.subject, apiError.subject);
});

Deno.test("x509 API: a client chain the server refuses is refused by verifyCertificateChain (usage client) alike", async () => {
  const keys = await keyPool();
  const server = await generateCertificate({ subject: "CN=localhost", key: keys.ec[3] });
  // A client certificate without extended key usage (BR §7.1.2.7.10), under a client CA.
  const { root, inter, leaf } = await chain({ subject: "CN=alice", subjectAltNames: [], extKeyUsage: [] });
  const [clientSide, serverSide] = memoryPipe();
  const [, serverError] = await Promise.all([
    errorOf(
      startTls(clientSide, {
        serverName: "localhost",
        caCerts: [server.cert],
        cert: leaf.cert + inter.cert,
        key: leaf.key,
      }).then((conn) => conn.read(new Uint8Array(1))),
    ),
    errorOf(
      acceptTls(serverSide, {
        cert: server.cert,
        key: server.key,
        clientAuth: "require",
        clientCaCerts: [root.cert],
      }),
    ),
  ]);
  const apiError = await errorOf(
    verifyCertificateChain({
      leaf: leaf.der,
      intermediates: [inter.der],
      trustAnchors: [root.cert],
      usage: "client",
    }),
  );
  assert.ok(serverError instanceof CertificateVerificationError, String(serverError));
  assert.ok(apiError instanceof CertificateVerificationError);
  assert.equal(serverError.code, "bad_extended_key_usage");
  assert.equal(serverError.message, apiError.message);
});

Deno.test("x509 API: the JSDoc examples of x509/ run", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const files = ["x509/mod.ts", "x509/verify.ts", "x509/x509_certificate.ts", "x509/trust_store.ts"];
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "-A", ...files],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text);
  assert.match(text, /ok \| [4-9] passed \| 0 failed/);
  assert.match(text, /hostname_mismatch/);
});

Deno.test("x509 API: RFC 6125 §6.4: verifyCertificateChain reports the time it compared and the subjectAltName entry that matched", async () => {
  const root = await generateCertificate({ subject: "CN=Result Root", isCA: true });
  const leaf = await generateCertificate({
    subject: "CN=www.example.com",
    subjectAltNames: ["*.example.com", "192.0.2.7"],
    issuer: root,
    extKeyUsage: ["serverAuth"],
  });
  const time = new Date(Date.now() + 60_000);
  const byName = await verifyCertificateChain({
    leaf: leaf.cert,
    trustAnchors: [root.cert],
    hostname: "WWW.example.com",
    time,
  });
  assert.equal(byName.time, time);
  assert.equal(byName.matchedName, "*.example.com");
  assert.deepEqual(byName.path.map((c) => c.subject), ["CN=www.example.com", "CN=Result Root"]);
  const byIp = await verifyCertificateChain({ leaf: leaf.cert, trustAnchors: [root.cert], ip: "192.0.2.7" });
  assert.equal(byIp.matchedName, "192.0.2.7");
  assert.ok(Math.abs(byIp.time.getTime() - Date.now()) < 60_000, "the time of the call by default");
  const unnamed = await verifyCertificateChain({ leaf: leaf.cert, trustAnchors: [root.cert] });
  assert.equal(unnamed.matchedName, undefined);
});
