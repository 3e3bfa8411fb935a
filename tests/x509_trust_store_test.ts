/**
 * Trust stores (issue 3): the embedded Mozilla root store, indexed once per process and parsed root by root;
 * the system bundle on request; `caCerts` in place of both; and a client that needs only `--allow-net`.
 */
import assert from "node:assert/strict";
import { CertificateVerificationError, TlsError } from "../errors.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { MOZILLA_ROOTS, MOZILLA_ROOTS_VERSION } from "../x509/mozilla_roots.ts";
import { decodePem } from "../x509/pem.ts";
import { mozillaTrustAnchors, systemTrustAnchors, TrustAnchors } from "../x509/trust_store.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { checkProfile } from "../x509/profile.ts";
import { generateCertificate } from "../x509/generate.ts";
import { assertRejects, keyPool } from "./_chains.ts";
import { tempDir } from "./_certs.ts";
import { testPki } from "./_pki.ts";
import { startOpenSslServer } from "./_peers.ts";

Deno.test("Mozilla store: every embedded root parses; the store is made once and shared", () => {
  const store = mozillaTrustAnchors();
  assert.equal(mozillaTrustAnchors(), store, "one store per process");
  assert.ok(MOZILLA_ROOTS.length >= 100, `${MOZILLA_ROOTS.length} roots`);
  assert.equal(store.size, MOZILLA_ROOTS.length);
  const roots = store.all();
  assert.ok(roots.every((r) => r.basicConstraints?.cA !== false));
  // Lookup by subject finds the root, parsed, and `has` recognises its exact DER.
  const isrg = roots.find((r) => r.subject === "CN=ISRG Root X1, O=Internet Security Research Group, C=US");
  assert.ok(isrg, "ISRG Root X1 is in the store");
  assert.deepEqual(store.withSubject(isrg.subjectDer), [isrg]);
  assert.ok(store.has(isrg.der));
  assert.ok(!store.has(isrg.der.subarray(0, 10)));
});

Deno.test("Mozilla store: eight roots break a CA-encoding rule; as curated anchors they are exempt, in caCerts they are not (docs/x509.md)", () => {
  const refused = [];
  for (const root of mozillaTrustAnchors().all()) {
    try {
      checkProfile(root, { role: "anchor", purpose: "serverAuth" });
    } catch (e) {
      if (!(e instanceof CertificateVerificationError)) throw e;
      refused.push(`${root.subject} [${e.code}]`);
    }
  }
  // A store update that changes this list must update docs/x509.md too.
  assert.deepEqual(refused.toSorted(), [
    "CN=Certigna, O=Dhimyotis, C=FR [bad_key_identifier]",
    "CN=Hongkong Post Root CA 1, O=Hongkong Post, C=HK [bad_key_identifier]",
    "CN=QuoVadis Root CA 2, O=QuoVadis Limited, C=BM [bad_key_identifier]",
    "CN=QuoVadis Root CA 3, O=QuoVadis Limited, C=BM [bad_key_identifier]",
    "CN=TWCA Global Root CA, OU=Root CA, O=TAIWAN-CA, C=TW [bad_key_identifier]",
    "OU=Go Daddy Class 2 Certification Authority, O=The Go Daddy Group\\, Inc., C=US [bad_key_identifier]",
    "OU=Starfield Class 2 Certification Authority, O=Starfield Technologies\\, Inc., C=US [bad_key_identifier]",
    "OU=ePKI Root Certification Authority, O=Chunghwa Telecom Co.\\, Ltd., C=TW [bad_basic_constraints]",
  ]);
  // As anchors of the curated store they end paths: only the three CA-encoding rules are waived for them.
  for (const root of mozillaTrustAnchors().all()) {
    if (root.notAfter < new Date()) continue;
    checkProfile(root, { role: "anchor", purpose: "serverAuth", curated: true });
  }
  assert.ok(mozillaTrustAnchors().curated);
  assert.ok(!TrustAnchors.from([mozillaTrustAnchors().all()[0].der]).curated);
  // The nine roots with serial number 0 are not among them (a trust anchor may have serial 0).
  assert.ok(mozillaTrustAnchors().all().filter((r) => /^0+$/.test(r.serialNumber)).length >= 9);
});

Deno.test({
  name: "Mozilla store: it is the installed ca-certificates package's Mozilla set when the versions agree",
  ignore: (() => {
    try {
      return !Deno.statSync("/usr/share/ca-certificates/mozilla").isDirectory;
    } catch {
      return true;
    }
  })(),
  fn: async () => {
    const out = await new Deno.Command("dpkg-query", { args: ["-W", "-f=${Version}", "ca-certificates"] })
      .output();
    const installed = new TextDecoder().decode(out.stdout).trim();
    if (installed !== MOZILLA_ROOTS_VERSION) {
      console.log(`installed ca-certificates ${installed}, embedded ${MOZILLA_ROOTS_VERSION}: not compared`);
      return;
    }
    const packaged = new Set<string>();
    for await (const entry of Deno.readDir("/usr/share/ca-certificates/mozilla")) {
      const pem = await Deno.readTextFile(`/usr/share/ca-certificates/mozilla/${entry.name}`);
      for (const { der } of decodePem(pem)) packaged.add(der.toBase64());
    }
    assert.deepEqual(new Set(MOZILLA_ROOTS), packaged);
  },
});

Deno.test("Mozilla store: a chain to a private root is unknown_issuer; caCerts replaces the store", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=Private Root", isCA: true, key: keys.ec[0] });
  const leaf = await generateCertificate({
    subject: "CN=Private Leaf",
    subjectAltNames: ["localhost"],
    key: keys.ec[1],
    issuer: root,
  });
  const request = { chain: [leaf.der], serverName: "localhost", now: new Date() };
  const mozilla = createCertificateVerifier({ caCerts: mozillaTrustAnchors(), crypto: webCrypto });
  await assertRejects(mozilla.verifyServer(request), "unknown_issuer", "CN=Private Leaf");
  const own = createCertificateVerifier({ caCerts: TrustAnchors.from([root.cert]), crypto: webCrypto });
  await own.verifyServer(request);
});

Deno.test("system store: read once from the first readable file; an unreadable one is a TlsError naming it", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=System Root", isCA: true, key: keys.ec[0] });
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir}/bundle.crt`, `# comment\n${root.cert}`);
  const files = [`${dir}/missing.crt`, `${dir}/bundle.crt`];
  const anchors = await systemTrustAnchors(files);
  assert.equal(anchors.size, 1);
  assert.equal(await systemTrustAnchors(files), anchors, "read once");
  await assert.rejects(
    systemTrustAnchors([`${dir}/missing.crt`]),
    (e: Error) => e instanceof TlsError && e.message.includes(`${dir}/missing.crt: NotFound`),
  );
});

Deno.test("client options: trustStore chooses the store, caCerts excludes it, other values are refused", async () => {
  await resolveClientConfig({ serverName: "example.com" });
  await resolveClientConfig({ serverName: "example.com", trustStore: "mozilla" });
  if (await Deno.stat("/etc/ssl/certs/ca-certificates.crt").then(() => true, () => false)) {
    await resolveClientConfig({ serverName: "example.com", trustStore: "system" });
  }
  await assert.rejects(resolveClientConfig({ caCerts: [], trustStore: "system" }), /not both/);
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    resolveClientConfig({ trustStore: "windows" as any }),
    /trustStore must be "mozilla" or "system"/,
  );
});

/** Runs `_trust_store_child.ts` with `--allow-net` only against `port`. */
async function child(
  port: number,
  trustStore?: "system",
): Promise<{ result: string; kind?: string; message?: string }> {
  const script = new URL("./_trust_store_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--no-prompt",
      script,
      String(port),
      ...(trustStore ? [trustStore] : []),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("connectTls with only --allow-net: the default store needs no file; the system store names the permission", async () => {
  const pki = await testPki();
  await using server = await startOpenSslServer({ cert: pki.leaves["ECDSA P-256"], mode: "interactive" });
  // The test root is not a Mozilla root: the handshake runs and the chain is refused — no permission error.
  assert.deepEqual((await child(server.port)).kind, "unknown_issuer");
  const system = await child(server.port, "system");
  assert.equal(system.kind, "TlsError");
  assert.match(system.message!, /trustStore "system": cannot read a CA bundle .*--allow-read=/);
});
