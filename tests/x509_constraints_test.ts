/**
 * Name constraints (RFC 5280 §4.2.1.10) and extended key usage chaining: each rule on a generated chain that
 * fails for exactly one reason, beside the same chain fixed, which passes.
 */
import assert from "node:assert/strict";
import { contextTag, encode, sequence } from "../x509/_der.ts";
import { encodeName } from "../x509/_dn.ts";
import { ExtensionOid, parseCertificate } from "../x509/certificate.ts";
import { generateCertificate, type GeneratedCertificate } from "../x509/generate.ts";
import { assertRejects, keyPool, verifyChain, withExtension } from "./_chains.ts";

type Constraints = { permitted?: string[]; excluded?: string[] };

/** A root, and an intermediate under it carrying `constraints`. */
async function constrainedCa(
  constraints: Constraints,
): Promise<{ root: GeneratedCertificate; ca: GeneratedCertificate }> {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=NC Root", isCA: true, key: keys.ec[0] });
  const ca = await generateCertificate({
    subject: "CN=NC Constrained CA",
    isCA: true,
    key: keys.ec[1],
    issuer: root,
    nameConstraints: constraints,
  });
  return { root, ca };
}

/** Verifies a leaf for `sans` issued by `ca`, asking for the first of `sans` (or `host`). */
async function leafUnder(
  root: GeneratedCertificate,
  ca: GeneratedCertificate,
  sans: string[],
  host = sans[0].replace(/^\*/, "www"),
) {
  const keys = await keyPool();
  const leaf = await generateCertificate({
    subject: "CN=NC Leaf",
    subjectAltNames: sans,
    key: keys.ec[2],
    issuer: ca,
  });
  return verifyChain([root.cert], [leaf.der, ca.der], host);
}

Deno.test("RFC 5280 §4.2.1.10: a critical nameConstraints extension is understood, not an unknown critical one", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["example.com"] });
  const parsed = parseCertificate(ca.der);
  assert.ok(parsed.criticalExtensions.includes(ExtensionOid.nameConstraints));
  assert.equal(parsed.nameConstraints?.permitted?.[0].form, "dNSName");
  await leafUnder(root, ca, ["www.example.com"]);
});

Deno.test("RFC 5280 §4.2.1.10: a dNSName outside the permitted subtrees is name_constraint_violation", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["example.com", "example.net"] });
  await leafUnder(root, ca, ["example.com"]);
  await leafUnder(root, ca, ["www.example.net"]);
  await leafUnder(root, ca, ["a.b.example.com"]);
  const e = await assertRejects(
    leafUnder(root, ca, ["www.example.org"]),
    "name_constraint_violation",
    "CN=NC Leaf",
  );
  assert.match(e.message, /dNSName "www\.example\.org" lies outside the permitted subtrees/);
  assert.match(e.message, /"CN=NC Constrained CA"/);
  // Every dNSName must fit, not only the one asked for; whole labels only.
  await assertRejects(leafUnder(root, ca, ["www.example.com", "evil.test"]), "name_constraint_violation");
  await assertRejects(leafUnder(root, ca, ["badexample.com"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: DNS constraints ignore ASCII case and a trailing dot", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["EXAMPLE.Com"] });
  await leafUnder(root, ca, ["WWW.example.COM"]);
  await leafUnder(root, ca, ["www.example.com."]);
  await assertRejects(leafUnder(root, ca, ["www.example.co"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: a leading-dot constraint permits the names below it only", async () => {
  const { root, ca } = await constrainedCa({ permitted: [".example.com"] });
  await leafUnder(root, ca, ["www.example.com"]);
  await assertRejects(leafUnder(root, ca, ["example.com"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: a dNSName in an excluded subtree is name_constraint_violation", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["example.com"], excluded: ["secret.example.com"] });
  await leafUnder(root, ca, ["public.example.com"]);
  await leafUnder(root, ca, ["notsecret.example.com"]);
  const e = await assertRejects(leafUnder(root, ca, ["secret.example.com"]), "name_constraint_violation");
  assert.match(e.message, /lies in the excluded subtree "secret\.example\.com"/);
  await assertRejects(leafUnder(root, ca, ["a.secret.example.com"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: a wildcard must fit the permitted subtrees and meet no excluded one", async () => {
  const permitted = await constrainedCa({ permitted: ["example.com"] });
  await leafUnder(permitted.root, permitted.ca, ["*.example.com"]);
  // *.example.com stands for names outside www.example.com's subtree.
  const narrow = await constrainedCa({ permitted: ["www.example.com"] });
  await leafUnder(narrow.root, narrow.ca, ["*.www.example.com"]);
  await assertRejects(leafUnder(narrow.root, narrow.ca, ["*.example.com"]), "name_constraint_violation");
  // …and it can stand for www.example.com, which is excluded (Chrome's reading; OpenSSL lets it through).
  const excluded = await constrainedCa({ excluded: ["www.example.com"] });
  await leafUnder(excluded.root, excluded.ca, ["*.www2.example.com"]);
  await assertRejects(leafUnder(excluded.root, excluded.ca, ["*.example.com"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: an iPAddress outside the permitted ranges is name_constraint_violation", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["192.0.2.0/24", "2001:db8:1::/48"] });
  await leafUnder(root, ca, ["192.0.2.77"]);
  await leafUnder(root, ca, ["2001:db8:1::5"]);
  // DNS names are not restricted by IP constraints.
  await leafUnder(root, ca, ["anything.test"]);
  const e = await assertRejects(leafUnder(root, ca, ["198.51.100.1"]), "name_constraint_violation");
  assert.match(
    e.message,
    /iPAddress 198\.51\.100\.1 lies outside the permitted subtrees \(192\.0\.2\.0\/24, 2001:db8:1::\/48\)/,
  );
  await assertRejects(leafUnder(root, ca, ["2001:db8:2::5"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: IPv4 and IPv6 are one form: IPv6 under IPv4-only ranges is a violation", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["10.0.0.0/8"] });
  await leafUnder(root, ca, ["10.1.2.3"]);
  await assertRejects(leafUnder(root, ca, ["::ffff:10.1.2.3"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §4.2.1.10: an iPAddress in an excluded range is name_constraint_violation", async () => {
  const { root, ca } = await constrainedCa({ excluded: ["10.0.0.0/8", "fd00::/8"] });
  await leafUnder(root, ca, ["192.0.2.1"]);
  await leafUnder(root, ca, ["2001:db8::1"]);
  await assertRejects(leafUnder(root, ca, ["10.200.0.1"]), "name_constraint_violation");
  await assertRejects(leafUnder(root, ca, ["fd12::1"]), "name_constraint_violation");
});

Deno.test("RFC 5280 §6.1.4(g): a trust anchor's constraints apply below its intermediates too", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({
    subject: "CN=NC Constrained Root",
    isCA: true,
    key: keys.ec[0],
    nameConstraints: { permitted: ["example.com"] },
  });
  const inter = await generateCertificate({
    subject: "CN=NC Inter",
    isCA: true,
    key: keys.ec[1],
    issuer: root,
  });
  const ok = await generateCertificate({
    subject: "CN=NC Leaf",
    subjectAltNames: ["a.example.com"],
    key: keys.ec[2],
    issuer: inter,
  });
  await verifyChain([root.cert], [ok.der, inter.der], "a.example.com");
  const bad = await generateCertificate({
    subject: "CN=NC Leaf",
    subjectAltNames: ["a.example.org"],
    key: keys.ec[2],
    issuer: inter,
  });
  await assertRejects(
    verifyChain([root.cert], [bad.der, inter.der], "a.example.org"),
    "name_constraint_violation",
    "CN=NC Leaf",
  );
});

Deno.test("RFC 5280 §6.1.3(b): an intermediate's own SAN below a constrained CA is checked too", async () => {
  const keys = await keyPool();
  const { root, ca } = await constrainedCa({ permitted: ["example.com"] });
  const make = (san: string) =>
    generateCertificate({
      subject: "CN=NC Sub CA",
      isCA: true,
      subjectAltNames: [san],
      key: keys.ec[3],
      issuer: ca,
    });
  for (const [san, good] of [["sub.example.com", true], ["sub.example.org", false]] as const) {
    const sub = await make(san);
    const leaf = await generateCertificate({
      subject: "CN=NC Leaf",
      subjectAltNames: ["www.example.com"],
      key: keys.ec[2],
      issuer: sub,
    });
    const result = verifyChain([root.cert], [leaf.der, sub.der, ca.der], "www.example.com");
    if (good) await result;
    else await assertRejects(result, "name_constraint_violation", "CN=NC Sub CA");
  }
});

/** A CA whose name constraints extension is `value` (DER), made by re-signing a plain one. */
async function caWithRawConstraints(value: Uint8Array) {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=NC Root", isCA: true, key: keys.ec[0] });
  const plain = await generateCertificate({
    subject: "CN=NC Raw CA",
    isCA: true,
    key: keys.ec[1],
    issuer: root,
  });
  const der = await withExtension(plain.der, root.key, {
    oid: ExtensionOid.nameConstraints,
    critical: true,
    value,
  });
  return { root, plain, der };
}

Deno.test("RFC 5280 §4.2.1.10: constraints on unsupported forms refuse the certificates that have such names", async () => {
  const keys = await keyPool();
  // permittedSubtrees: one directoryName (O=Example): every certificate with a subject presents one.
  const dirName = encode(contextTag(0, true), sequence(encode(contextTag(4, true), encodeName("O=Example"))));
  const { root, plain, der } = await caWithRawConstraints(sequence(dirName));
  const leaf = await generateCertificate({
    subject: "CN=NC Leaf, O=Example",
    subjectAltNames: ["www.example.com"],
    key: keys.ec[2],
    issuer: plain,
  });
  const e = await assertRejects(
    verifyChain([root.cert], [leaf.der, der], "www.example.com"),
    "name_constraint_violation",
  );
  assert.match(e.message, /directoryName/);
  // Fixed: the same chain without the constraints.
  await verifyChain([root.cert], [leaf.der, plain.der], "www.example.com");

  // excludedSubtrees: one URI: only a certificate with a URI in its SAN is refused.
  const uri = encode(
    contextTag(1, true),
    sequence(encode(contextTag(6, false), new TextEncoder().encode(".example.com"))),
  );
  const uriCa = await caWithRawConstraints(sequence(uri));
  await verifyChain([uriCa.root.cert], [leaf.der, uriCa.der], "www.example.com");
  const bare = await generateCertificate({
    subject: "CN=NC URI Leaf",
    subjectAltNames: [],
    key: keys.ec[2],
    issuer: uriCa.plain,
  });
  const sans = sequence(
    encode(contextTag(2, false), new TextEncoder().encode("www.example.com")),
    encode(contextTag(6, false), new TextEncoder().encode("https://www.example.com/")),
  );
  const withUri = await withExtension(bare.der, uriCa.plain.key, {
    oid: ExtensionOid.subjectAltName,
    critical: false,
    value: sans,
  });
  assert.deepEqual(parseCertificate(withUri).otherSubjectAltNameForms, ["uniformResourceIdentifier"]);
  await assertRejects(
    verifyChain([uriCa.root.cert], [withUri, uriCa.der], "www.example.com"),
    "name_constraint_violation",
  );
});

Deno.test("RFC 5280 §4.2.1.10: empty constraints, minimum/maximum, and non-prefix masks are malformed", async () => {
  const ip = (bytes: number[]) => sequence(encode(contextTag(7, false), new Uint8Array(bytes)));
  const bad = [
    sequence(),
    sequence(encode(contextTag(0, true))),
    sequence(
      encode(
        contextTag(0, true),
        sequence(
          encode(contextTag(2, false), new TextEncoder().encode("a.test")),
          encode(contextTag(0, false), new Uint8Array([1])),
        ),
      ),
    ),
    sequence(encode(contextTag(1, true), ip([10, 0, 0, 0, 255, 0, 255, 0]))),
    sequence(encode(contextTag(1, true), ip([10, 0, 0, 0, 255, 0, 0]))),
    sequence(
      encode(contextTag(0, true), sequence(encode(contextTag(2, false), new Uint8Array([0x62, 0xc3, 0xbc])))),
    ),
  ];
  for (const value of bad) {
    const { der } = await caWithRawConstraints(value);
    assert.throws(
      () => parseCertificate(der),
      (e: Error) =>
        /nameConstraints|permittedSubtrees|excludedSubtrees/.test(e.message) &&
        e.message.includes("[malformed]"),
    );
  }
  // Fixed: a prefix mask parses.
  const { der } = await caWithRawConstraints(
    sequence(encode(contextTag(1, true), ip([10, 0, 0, 0, 255, 0, 0, 0]))),
  );
  assert.equal(parseCertificate(der).nameConstraints?.excluded.length, 1);
});

Deno.test("RFC 5280 §4.2.1.12: an intermediate whose extended key usage lacks serverAuth is bad_extended_key_usage", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=EKU Root", isCA: true, key: keys.ec[0] });
  for (const [eku, good] of [[["serverAuth"], true], [["clientAuth"], false]] as const) {
    const inter = await generateCertificate({
      subject: "CN=EKU Inter",
      isCA: true,
      extKeyUsage: eku,
      key: keys.ec[1],
      issuer: root,
    });
    const leaf = await generateCertificate({
      subject: "CN=EKU Leaf",
      subjectAltNames: ["www.example.com"],
      key: keys.ec[2],
      issuer: inter,
    });
    const result = verifyChain([root.cert], [leaf.der, inter.der], "www.example.com");
    if (good) await result;
    else await assertRejects(result, "bad_extended_key_usage", "CN=EKU Inter");
  }
});
