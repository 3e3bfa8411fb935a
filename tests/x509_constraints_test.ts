/**
 * Name constraints (RFC 5280 §4.2.1.10) and extended key usage chaining: each rule on a generated chain that
 * fails for exactly one reason, beside the same chain fixed, which passes.
 */
import assert from "node:assert/strict";
import { contextTag, encode, oid, sequence, Tag } from "../x509/_der.ts";
import { encodeName } from "../x509/_dn.ts";
import { decodeCertificate, ExtensionOid } from "../x509/certificate.ts";
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
  const parsed = decodeCertificate(ca.der);
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
  // permittedSubtrees: one rfc822Name (example.com): a leaf with an emailAddress in its subject has such a name.
  const rfc822 = encode(
    contextTag(0, true),
    sequence(encode(contextTag(1, false), new TextEncoder().encode("example.com"))),
  );
  const { root, plain, der } = await caWithRawConstraints(sequence(rfc822));
  const leaf = await generateCertificate({
    subject: "CN=NC Leaf, emailAddress=ops@example.com",
    subjectAltNames: ["www.example.com"],
    key: keys.ec[2],
    issuer: plain,
  });
  const e = await assertRejects(
    verifyChain([root.cert], [leaf.der, der], "www.example.com"),
    "name_constraint_violation",
  );
  assert.match(e.message, /rfc822Name/);
  // Fixed: the same chain without the constraints; and a leaf without an e-mail address under them.
  await verifyChain([root.cert], [leaf.der, plain.der], "www.example.com");
  const noEmail = await generateCertificate({
    subject: "CN=NC Leaf",
    subjectAltNames: ["www.example.com"],
    key: keys.ec[2],
    issuer: plain,
  });
  await verifyChain([root.cert], [noEmail.der, der], "www.example.com");

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
  assert.deepEqual(decodeCertificate(withUri).otherSubjectAltNameForms, ["uniformResourceIdentifier"]);
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
      () => decodeCertificate(der),
      (e: Error) =>
        /nameConstraints|permittedSubtrees|excludedSubtrees/.test(e.message) &&
        e.message.includes("[malformed]"),
    );
  }
  // Fixed: a prefix mask parses.
  const { der } = await caWithRawConstraints(
    sequence(encode(contextTag(1, true), ip([10, 0, 0, 0, 255, 0, 0, 0]))),
  );
  assert.equal(decodeCertificate(der).nameConstraints?.excluded.length, 1);
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

/** A name constraints value with directoryName subtrees. */
function directoryNameConstraints(permitted: string[], excluded: string[] = []): Uint8Array {
  const subtrees = (names: string[]) =>
    names.map((n) => sequence(encode(contextTag(4, true), encodeName(n))));
  return sequence(
    ...(permitted.length ? [encode(contextTag(0, true), ...subtrees(permitted))] : []),
    ...(excluded.length ? [encode(contextTag(1, true), ...subtrees(excluded))] : []),
  );
}

/** A leaf under `issuer` with `subject`, and `directoryNames` added to its subjectAltName. */
async function leafWithDirectoryNames(
  issuer: GeneratedCertificate,
  subject: string,
  directoryNames: Uint8Array[] = [],
): Promise<Uint8Array> {
  const keys = await keyPool();
  const san = sequence(
    encode(contextTag(2, false), new TextEncoder().encode("www.example.com")),
    ...directoryNames.map((name) => encode(contextTag(4, true), name)),
  );
  const leaf = await generateCertificate({
    subject,
    key: keys.ec[2],
    issuer,
    overrides: { extensions: { [ExtensionOid.subjectAltName]: { value: san } } },
  });
  return leaf.der;
}

Deno.test("RFC 5280 §4.2.1.10: a subject within a permitted directoryName subtree is accepted", async () => {
  // The issue's false refusal: the leaf's subject satisfies the constraint, yet it was refused as having "a
  // directoryName name" under a form that was not processed.
  const { root, plain, der } = await caWithRawConstraints(directoryNameConstraints(["O=Example, C=NZ"]));
  const leaf = await leafWithDirectoryNames(plain, "CN=www, O=Example, C=NZ");
  const parsed = decodeCertificate(der);
  assert.equal(parsed.nameConstraints?.permitted?.[0].form, "directoryName");
  await verifyChain([root.cert], [leaf, der], "www.example.com");
  // Outside the subtree: another organization, or a shorter name than the base.
  const e = await assertRejects(
    verifyChain(
      [root.cert],
      [await leafWithDirectoryNames(plain, "CN=www, O=Other, C=NZ"), der],
      "www.example.com",
    ),
    "name_constraint_violation",
    "CN=www, O=Other, C=NZ",
  );
  assert.match(e.message, /directoryName "CN=www, O=Other, C=NZ" lies outside the permitted subtrees/);
  await assertRejects(
    verifyChain([root.cert], [await leafWithDirectoryNames(plain, "C=NZ"), der], "www.example.com"),
    "name_constraint_violation",
  );
});

Deno.test("RFC 5280 §7.1: directoryName constraints compare attribute values ignoring case and insignificant spaces", async () => {
  const { root, plain, der } = await caWithRawConstraints(directoryNameConstraints(["O=Example  Ltd, C=NZ"]));
  // encodeName writes O as UTF8String; the constraint's C is a PrintableString like the leaf's.
  for (
    const subject of [
      "CN=a, O=example ltd, C=NZ",
      "CN=a, O=\\20EXAMPLE LTD, C=nz",
      "CN=a, O=Example Ltd, C=NZ",
    ]
  ) {
    await verifyChain([root.cert], [await leafWithDirectoryNames(plain, subject), der], "www.example.com");
  }
  await assertRejects(
    verifyChain(
      [root.cert],
      [await leafWithDirectoryNames(plain, "CN=a, O=Example Ltd2, C=NZ"), der],
      "www.example.com",
    ),
    "name_constraint_violation",
  );
  // A PrintableString in the constraint against the UTF8String of the subject: the same characters.
  const printable = sequence(
    encode(Tag.SET, sequence(oid("2.5.4.6"), encode(Tag.PRINTABLE_STRING, new TextEncoder().encode("NZ")))),
    encode(
      Tag.SET,
      sequence(oid("2.5.4.10"), encode(Tag.PRINTABLE_STRING, new TextEncoder().encode("EXAMPLE LTD"))),
    ),
  );
  const constraint = sequence(encode(contextTag(0, true), sequence(encode(contextTag(4, true), printable))));
  const typed = await caWithRawConstraints(constraint);
  await verifyChain(
    [typed.root.cert],
    [await leafWithDirectoryNames(typed.plain, "CN=a, O=Example Ltd, C=NZ"), typed.der],
    "www.example.com",
  );
});

Deno.test("RFC 5280 §4.2.1.10: directoryName constraints apply to directoryName SAN entries and exclude subtrees", async () => {
  const permitted = await caWithRawConstraints(directoryNameConstraints(["O=Example"]));
  // The subject is within, but a directoryName in the subjectAltName is not.
  const outside = await leafWithDirectoryNames(permitted.plain, "CN=a, O=Example", [
    encodeName("CN=b, O=Other"),
  ]);
  assert.equal(decodeCertificate(outside).directoryNames.length, 1);
  await assertRejects(
    verifyChain([permitted.root.cert], [outside, permitted.der], "www.example.com"),
    "name_constraint_violation",
  );
  const inside = await leafWithDirectoryNames(permitted.plain, "CN=a, O=Example", [
    encodeName("CN=b, O=Example"),
  ]);
  await verifyChain([permitted.root.cert], [inside, permitted.der], "www.example.com");

  const excluded = await caWithRawConstraints(directoryNameConstraints([], ["O=Evil"]));
  await verifyChain([excluded.root.cert], [inside, excluded.der], "www.example.com");
  await assertRejects(
    verifyChain(
      [excluded.root.cert],
      [await leafWithDirectoryNames(excluded.plain, "CN=a, O=evil"), excluded.der],
      "www.example.com",
    ),
    "name_constraint_violation",
  );
});

Deno.test("RFC 5280 §4.2.1.10: a syntactically invalid dNSName is refused under a DNS constraint it would match by suffix", async () => {
  const { root, ca } = await constrainedCa({ permitted: ["example.com"] });
  // ".example.com" ends with "example.com" but is no DNS name; nor are the others.
  for (const bad of [".example.com", "a..example.com", "-a.example.com", "a.*.example.com"]) {
    const e = await assertRejects(
      leafUnder(root, ca, [bad, "www.example.com"], "www.example.com"),
      "name_constraint_violation",
    );
    assert.match(e.message, /is not a valid DNS name/);
  }
  // Without name constraints such a SAN entry is only a name that matches nothing.
  const keys = await keyPool();
  const plainRoot = await generateCertificate({ subject: "CN=Plain Root", isCA: true, key: keys.ec[0] });
  const leaf = await generateCertificate({
    subject: "CN=Plain Leaf",
    subjectAltNames: [".example.com", "www.example.com"],
    key: keys.ec[2],
    issuer: plainRoot,
  });
  await verifyChain([plainRoot.cert], [leaf.der], "www.example.com");
  await leafUnder(root, ca, ["*.example.com"], "www.example.com");
});
