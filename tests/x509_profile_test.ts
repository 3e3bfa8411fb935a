/**
 * The certificate profile (`x509/profile.ts`): for every rule, a root → intermediate → leaf chain made with
 * `generateCertificate` that breaks that rule and nothing else is refused with the rule's code, naming the
 * certificate that broke it, while the same chain without the defect verifies. The chains go through the
 * public `verifyCertificateChain`, the function the handshake runs. A last test checks that every rule of
 * `PROFILE_RULES` has its case here.
 *
 * The room a private PKI gets is tested in `x509_private_pki_test.ts`.
 */
import assert from "node:assert/strict";
import type { CertificateErrorCode } from "../errors.ts";
import { contextTag, encode, oid, sequence } from "../x509/_der.ts";
import { encodeName } from "../x509/_dn.ts";
import { decodeCertificate, ExtensionOid, KeyPurposeOid } from "../x509/certificate.ts";
import { generateCertificate } from "../x509/generate.ts";
import { checkProfile, PROFILE_RULES } from "../x509/profile.ts";
import { verifyCertificateChain } from "../x509/verify.ts";
import { TrustAnchors } from "../x509/trust_store.ts";
import { assertRejects, keyPool, UNKNOWN_EXTENSION_OID } from "./_chains.ts";
import { type Chain, chain, ext, HOST, keyIdOf, octets, overrides, verify } from "./_profile.ts";

interface Case {
  /** The rule of PROFILE_RULES. */
  readonly rule: string;
  /** What is wrong, for the test name. */
  readonly name: string;
  readonly code: CertificateErrorCode;
  /** The subject of the certificate the failure names. */
  readonly subject: string;
  readonly make: () => Promise<Chain>;
  /** For clientAuth chains. */
  readonly usage?: "server" | "client";
}

const ROOT = "CN=Profile Root, O=subtls";
const INTER = "CN=Profile Intermediate, O=subtls";
const LEAF = "CN=Profile Leaf";

const CASES: readonly Case[] = [
  {
    rule: "critical-extensions",
    name: "a root with an unknown critical extension",
    code: "unknown_critical_extension",
    subject: ROOT,
    make: () =>
      chain({ root: ext(UNKNOWN_EXTENSION_OID, { critical: true, value: new Uint8Array([5, 0]) }) }),
  },
  {
    rule: "serial-number",
    name: "a leaf with serial number 0",
    code: "bad_serial_number",
    subject: LEAF,
    make: () => chain({ leaf: overrides({ serialNumber: new Uint8Array([0]) }) }),
  },
  {
    rule: "serial-number",
    name: "a leaf whose serial number has 21 octets",
    code: "bad_serial_number",
    subject: LEAF,
    make: () => chain({ leaf: overrides({ serialNumber: octets(21, 0x01) }) }),
  },
  {
    rule: "serial-number",
    name: "a leaf with a negative serial number",
    code: "bad_serial_number",
    subject: LEAF,
    make: () => chain({ leaf: overrides({ serialNumber: new Uint8Array([0x80, 0x01]) }) }),
  },
  {
    rule: "serial-number",
    name: "an intermediate with serial number 0",
    code: "bad_serial_number",
    subject: INTER,
    make: () => chain({ inter: overrides({ serialNumber: new Uint8Array([0]) }) }),
  },
  {
    rule: "issuer-not-empty",
    name: "a leaf with an empty issuer Name",
    code: "bad_name",
    subject: LEAF,
    make: () => chain({ leaf: overrides({ issuerName: sequence() }) }),
  },
  {
    rule: "issuer-not-empty",
    name: "a root with an empty issuer Name",
    code: "bad_name",
    subject: ROOT,
    make: () => chain({ root: overrides({ issuerName: sequence() }) }),
  },
  {
    rule: "empty-subject-critical-san",
    name: "a leaf with an empty subject and a non-critical subjectAltName",
    code: "bad_name",
    subject: "",
    make: () => chain({ leaf: { subject: "", ...ext(ExtensionOid.subjectAltName, { critical: false }) } }),
  },
  {
    rule: "empty-subject-critical-san",
    name: "a leaf with an empty subject and no subjectAltName",
    code: "bad_name",
    subject: "",
    make: () => chain({ leaf: { subject: "", subjectAltNames: [], overrides: {} } }), // generateCertificate refuses it otherwise
  },
  {
    rule: "leaf-san-not-critical",
    name: "a leaf with a subject and a critical subjectAltName",
    code: "bad_name",
    subject: LEAF,
    make: () => chain({ leaf: ext(ExtensionOid.subjectAltName, { critical: true }) }),
  },
  {
    rule: "aki-present",
    name: "a leaf without an authority key identifier",
    code: "bad_key_identifier",
    subject: LEAF,
    make: () => chain({ leaf: ext(ExtensionOid.authorityKeyIdentifier, false) }),
  },
  {
    rule: "aki-present",
    name: "an intermediate without an authority key identifier",
    code: "bad_key_identifier",
    subject: INTER,
    make: () => chain({ inter: ext(ExtensionOid.authorityKeyIdentifier, false) }),
  },
  {
    rule: "aki-not-critical",
    name: "a root with a critical authority key identifier",
    code: "bad_key_identifier",
    subject: ROOT,
    make: () => chain({ root: ext(ExtensionOid.authorityKeyIdentifier, { critical: true }) }),
  },
  {
    rule: "aki-not-critical",
    name: "a leaf with a critical authority key identifier",
    code: "bad_key_identifier",
    subject: LEAF,
    make: () => chain({ leaf: ext(ExtensionOid.authorityKeyIdentifier, { critical: true }) }),
  },
  {
    rule: "aki-key-identifier-only",
    name: "a root whose authority key identifier carries authorityCertIssuer",
    code: "bad_key_identifier",
    subject: ROOT,
    make: async () => {
      const value = sequence(
        encode(contextTag(0, false), await keyIdOf(0)),
        encode(contextTag(1, true), encode(contextTag(4, true), encodeName("CN=myCN"))),
      );
      return chain({ root: ext(ExtensionOid.authorityKeyIdentifier, { value }) });
    },
  },
  {
    rule: "aki-key-identifier-only",
    name: "a root whose authority key identifier carries authorityCertSerialNumber",
    code: "bad_key_identifier",
    subject: ROOT,
    make: async () => {
      const value = sequence(
        encode(contextTag(0, false), await keyIdOf(0)),
        encode(contextTag(2, false), new Uint8Array([0x04, 0xd2])),
      );
      return chain({ root: ext(ExtensionOid.authorityKeyIdentifier, { value }) });
    },
  },
  {
    rule: "aki-key-identifier-only",
    name: "a root whose authority key identifier has no keyIdentifier",
    code: "bad_key_identifier",
    subject: ROOT,
    make: () => chain({ root: ext(ExtensionOid.authorityKeyIdentifier, { value: sequence() }) }),
  },
  {
    rule: "root-aki-matches-ski",
    name: "a root whose authority key identifier differs from its subject key identifier",
    code: "bad_key_identifier",
    subject: ROOT,
    make: () =>
      chain({
        root: ext(ExtensionOid.authorityKeyIdentifier, {
          value: sequence(encode(contextTag(0, false), octets(20, 0x11))),
        }),
      }),
  },
  {
    rule: "ca-ski-present",
    name: "a root without a subject key identifier",
    code: "bad_key_identifier",
    subject: ROOT,
    make: () => chain({ root: ext(ExtensionOid.subjectKeyIdentifier, false) }),
  },
  {
    rule: "ca-ski-present",
    name: "an intermediate without a subject key identifier",
    code: "bad_key_identifier",
    subject: INTER,
    make: () => chain({ inter: ext(ExtensionOid.subjectKeyIdentifier, false) }),
  },
  {
    rule: "ski-not-critical",
    name: "a leaf with a critical subject key identifier",
    code: "bad_key_identifier",
    subject: LEAF,
    make: () => chain({ leaf: ext(ExtensionOid.subjectKeyIdentifier, { critical: true }) }),
  },
  {
    rule: "ca-basic-constraints",
    name: "a root without basicConstraints",
    code: "not_a_ca",
    subject: ROOT,
    make: () => chain({ root: ext(ExtensionOid.basicConstraints, false) }),
  },
  {
    rule: "ca-basic-constraints",
    name: "an intermediate whose basicConstraints does not assert cA",
    code: "not_a_ca",
    subject: INTER,
    make: () => chain({ inter: ext(ExtensionOid.basicConstraints, { value: sequence() }) }),
  },
  {
    rule: "ca-basic-constraints-critical",
    name: "a root whose basicConstraints is not critical",
    code: "bad_basic_constraints",
    subject: ROOT,
    make: () => chain({ root: ext(ExtensionOid.basicConstraints, { critical: false }) }),
  },
  {
    rule: "ca-basic-constraints-critical",
    name: "an intermediate whose basicConstraints is not critical",
    code: "bad_basic_constraints",
    subject: INTER,
    make: () => chain({ inter: ext(ExtensionOid.basicConstraints, { critical: false }) }),
  },
  {
    rule: "leaf-not-ca",
    name: "a leaf that asserts basicConstraints cA",
    code: "bad_basic_constraints",
    subject: LEAF,
    make: () => chain({ leaf: { isCA: true, keyUsage: ["digitalSignature"], extKeyUsage: ["serverAuth"] } }),
  },
  {
    rule: "key-cert-sign-needs-ca",
    name: "a leaf whose key usage asserts keyCertSign",
    code: "bad_key_usage",
    subject: LEAF,
    make: () => chain({ leaf: { keyUsage: ["digitalSignature", "keyCertSign"] } }),
  },
  {
    rule: "ca-key-usage",
    name: "an intermediate without key usage",
    code: "bad_key_usage",
    subject: INTER,
    make: () => chain({ inter: { keyUsage: [] } }),
  },
  {
    rule: "ca-key-usage",
    name: "a root whose key usage lacks keyCertSign",
    code: "bad_key_usage",
    subject: ROOT,
    make: () => chain({ root: { keyUsage: ["digitalSignature", "cRLSign"] } }),
  },
  {
    rule: "leaf-digital-signature",
    name: "a leaf whose key usage lacks digitalSignature",
    code: "bad_key_usage",
    subject: LEAF,
    make: () => chain({ leaf: { keyUsage: ["keyEncipherment"] } }),
  },
  {
    rule: "leaf-eku-present",
    name: "a leaf without extended key usage",
    code: "bad_extended_key_usage",
    subject: LEAF,
    make: () => chain({ leaf: { extKeyUsage: [] } }),
  },
  {
    rule: "leaf-eku-present",
    name: "a client leaf without extended key usage",
    code: "bad_extended_key_usage",
    subject: LEAF,
    usage: "client",
    make: () => chain({ leaf: { extKeyUsage: [] } }),
  },
  {
    rule: "leaf-eku-not-critical",
    name: "a leaf with a critical extended key usage",
    code: "bad_extended_key_usage",
    subject: LEAF,
    make: () => chain({ leaf: ext(ExtensionOid.extKeyUsage, { critical: true }) }),
  },
  {
    rule: "leaf-eku-no-any",
    name: "a leaf whose extended key usage holds anyExtendedKeyUsage",
    code: "bad_extended_key_usage",
    subject: LEAF,
    make: () =>
      chain({
        leaf: ext(ExtensionOid.extKeyUsage, {
          value: sequence(oid(KeyPurposeOid.serverAuth), oid(KeyPurposeOid.anyExtendedKeyUsage)),
        }),
      }),
  },
  {
    rule: "leaf-eku-purpose",
    name: "a leaf whose extended key usage is clientAuth only",
    code: "bad_extended_key_usage",
    subject: LEAF,
    make: () => chain({ leaf: { extKeyUsage: ["clientAuth"] } }),
  },
  {
    rule: "leaf-eku-purpose",
    name: "a client leaf whose extended key usage is serverAuth only",
    code: "bad_extended_key_usage",
    subject: LEAF,
    usage: "client",
    make: () => chain({ leaf: { extKeyUsage: ["serverAuth"] } }),
  },
  {
    rule: "root-no-eku",
    name: "a root with an extended key usage",
    code: "bad_extended_key_usage",
    subject: ROOT,
    make: () => chain({ root: { extKeyUsage: ["serverAuth"] } }),
  },
  {
    rule: "ca-eku-purpose",
    name: "an intermediate whose extended key usage lacks serverAuth",
    code: "bad_extended_key_usage",
    subject: INTER,
    make: () => chain({ inter: { extKeyUsage: ["clientAuth"] } }),
  },
  {
    rule: "name-constraints-in-ca",
    name: "a leaf with a name constraints extension",
    code: "bad_name_constraints",
    subject: LEAF,
    make: () =>
      chain({
        leaf: ext(ExtensionOid.nameConstraints, {
          critical: true,
          value: sequence(
            encode(
              contextTag(0, true),
              sequence(encode(contextTag(2, false), new TextEncoder().encode("example.com"))),
            ),
          ),
        }),
      }),
  },
  {
    rule: "name-constraints-critical",
    name: "an intermediate whose name constraints are not critical",
    code: "bad_name_constraints",
    subject: INTER,
    make: () =>
      chain({
        inter: {
          nameConstraints: { permitted: ["example.com"] },
          ...ext(ExtensionOid.nameConstraints, { critical: false }),
        },
      }),
  },
];

const SOURCES = new Map(PROFILE_RULES.map((r) => [r.id, r.source]));

Deno.test("RFC 5280 §4 / BR §7.1: the conformant chain that every case below breaks once verifies, for both usages", async () => {
  const c = await chain();
  const { path } = await verify(c);
  assert.deepEqual(path.map((p) => p.subject), [LEAF, INTER, ROOT]);
  await verify(c, "client");
});

for (const c of CASES) {
  Deno.test(`${SOURCES.get(c.rule)}: ${c.name} is ${c.code}`, async () => {
    const e = await assertRejects(verify(await c.make(), c.usage), c.code, c.subject);
    assert.match(e.message, new RegExp(`\\(${SOURCES.get(c.rule)!.replace(/[()]/g, "\\$&")}\\)`), e.message);
  });
}

Deno.test("RFC 5280 §4.1.2.6: a CA with an empty subject is bad_name", async () => {
  const keys = await keyPool();
  // Signed by itself, but with another issuer Name, so that only the subject is wrong.
  const root = await generateCertificate({
    subject: "",
    subjectAltNames: ["ca.example"],
    isCA: true,
    key: keys.ec[0],
    overrides: { issuerName: encodeName("CN=Profile Root") },
  });
  const parsed = decodeCertificate(root.der);
  for (const role of ["anchor", "intermediate"] as const) {
    assert.throws(
      () => checkProfile(parsed, { role, purpose: "serverAuth" }),
      (e: Error) =>
        e.message.includes("it is a CA with an empty subject") && e.message.endsWith("[bad_name]"),
    );
  }
  // A chain under it fails too: the leaf's issuer Name is then empty.
  const leaf = await generateCertificate({
    subject: "CN=x",
    subjectAltNames: [HOST],
    key: keys.ec[2],
    issuer: root,
  });
  await assertRejects(
    verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.cert], hostname: HOST }),
    "bad_name",
  );
});

Deno.test("every rule of PROFILE_RULES has a case in this file", () => {
  const covered = new Set([...CASES.map((c) => c.rule), "ca-subject-not-empty"]);
  assert.deepEqual(PROFILE_RULES.map((r) => r.id).filter((id) => !covered.has(id)), []);
});

Deno.test("RFC 5280 §6.1.1 (d): a curated store's root is exempt from the CA-encoding rules, a caCerts root is not", async () => {
  // A root with non-critical basicConstraints, no keyUsage and an AKI carrying issuer and serial, as the
  // Go Daddy / Starfield Class 2 roots of the Mozilla store have.
  const akiWithIssuer = sequence(
    encode(contextTag(0, false), await keyIdOf(0)),
    encode(contextTag(1, true), encode(contextTag(4, true), encodeName("CN=Profile Root, O=subtls"))),
    encode(contextTag(2, false), new Uint8Array([5])),
  );
  const c = await chain({
    root: {
      overrides: {
        extensions: {
          [ExtensionOid.basicConstraints]: { critical: false },
          [ExtensionOid.keyUsage]: false,
          [ExtensionOid.authorityKeyIdentifier]: { value: akiWithIssuer },
        },
      },
    },
  });
  const input = { leaf: c.leaf.der, intermediates: [c.inter.der], hostname: HOST };
  // Given by the user, the root is held to every rule.
  await assertRejects(
    verifyCertificateChain({ ...input, trustAnchors: [c.root.cert] }),
    "bad_key_identifier",
  );
  // As a root of a curated store (TrustAnchors.fromTrustedData is how the Mozilla store is built), it ends
  // the path.
  const curated = TrustAnchors.fromTrustedData([c.root.der]);
  const { path } = await verifyCertificateChain({ ...input, trustAnchors: curated });
  assert.equal(path.length, 3);
  // The waiver covers those rules only: a curated root whose keyUsage lacks keyCertSign is still refused.
  const noCertSign = await chain({ root: { keyUsage: ["digitalSignature"] } });
  await assertRejects(
    verifyCertificateChain({
      leaf: noCertSign.leaf.der,
      intermediates: [noCertSign.inter.der],
      hostname: HOST,
      trustAnchors: TrustAnchors.fromTrustedData([noCertSign.root.der]),
    }),
    "bad_key_usage",
  );
});
