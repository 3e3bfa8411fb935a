/**
 * Differential test of path validation and name matching (issue 3): for 260 generated chains — root →
 * intermediate (→ second intermediate) → leaf — with random combinations of defects chosen by a seeded
 * PRNG, the verdict of `createCertificateVerifier(...).verifyServer` (accept or reject) must agree with
 *
 *     openssl verify -x509_strict -auth_level 2 -purpose sslserver -verify_hostname NAME (or -verify_ip IP)
 *       -attime T -CAfile root.pem -untrusted inter.pem leaf.pem
 *
 * `-auth_level 2` (112-bit security: RSA ≥ 2048 bits, no SHA-1) is added to the command of the issue so that
 * OpenSSL refuses RSA-1024 keys as this library does (`weak_key`); without it OpenSSL accepts them.
 *
 * Intended differences, where this library is stricter on purpose. A case that has one of these features
 * must be rejected here; OpenSSL may accept it, and such a case counts as an intended difference, not as an
 * agreement (the test asserts at least 200 agreements):
 * - **CN fallback** (`cnOnly`): a leaf without subjectAltName whose subject CN is the host name. OpenSSL's
 *   `-verify_hostname` falls back to the CN when there is no DNS SAN; RFC 9525 §6.3 and the web PKI do not.
 * - **Leaf key usage** (`leafKeyEncipherment`): keyUsage keyEncipherment only. OpenSSL's `sslserver` purpose
 *   accepts digitalSignature, keyEncipherment or keyAgreement (TLS 1.2 RSA key transport); a TLS 1.3 server
 *   signs, so digitalSignature is required here (RFC 8446 §4.4.2.2).
 * - **Wildcards against excluded subtrees**: a SAN `*.example.com` under an excluded `www.example.com`. OpenSSL
 *   compares `*` as a literal label and lets it through; here (as in Chrome) a wildcard that can stand for an
 *   excluded name is excluded.
 * Not generated, as they are known differences outside this comparison: a CA with EKU anyExtendedKeyUsage
 * only (accepted here, as RFC 5280 §4.2.1.12 reads it; OpenSSL refuses it for `sslserver`), name constraints
 * of other forms than DNS and IP (refused here), partial wildcards such as `w*.example.com` (OpenSSL accepts
 * them by default; RFC 9525 §6.3 forbids them).
 *
 * Keys come from a small pool made once, and OpenSSL runs 4 processes at a time.
 */
import assert from "node:assert/strict";
import { CertificateVerificationError } from "../errors.ts";
import { generateCertificate, type GeneratedCertificate } from "../x509/generate.ts";
import { encodePem } from "../x509/pem.ts";
import {
  flipSignature,
  type KeyPool,
  keyPool,
  mapBounded,
  UNKNOWN_EXTENSION_OID,
  verifyChain,
  withExtension,
} from "./_chains.ts";
import { tempDir } from "./_certs.ts";

const CASES = 260;
const SEED = 0x5eed_2025;
const T = new Date("2025-06-01T00:00:00Z");

const DEFECTS = [
  "leafExpired",
  "leafNotYetValid",
  "interExpired",
  "interNotYetValid",
  "rootExpired",
  "wrongSan",
  "interNotCa",
  "pathLen0",
  "interNoKeyCertSign",
  "interEkuClientAuth",
  "leafClientAuthOnly",
  "leafBadSignature",
  "interBadSignature",
  "leafUnknownCritical",
  "interUnknownCritical",
  "leafRsa1024",
  "untrustedRoot",
  "leafKeyEncipherment",
  "cnOnly",
] as const;
type Defect = typeof DEFECTS[number];

/** Name constraints to put on the root or the intermediate. */
const CONSTRAINTS: readonly { permitted?: string[]; excluded?: string[] }[] = [
  { permitted: ["example.com"] },
  { permitted: ["example.org"] },
  { excluded: ["example.com"] },
  { excluded: ["www.example.com"] },
  { permitted: [".example.com"] },
  { permitted: ["192.0.2.0/24"] },
  { excluded: ["2001:db8::/32"] },
  { permitted: ["example.com", "192.0.2.0/24", "2001:db8::/32"] },
  { excluded: ["example.net", "10.0.0.0/8"] },
  { permitted: ["EXAMPLE.COM"] },
];

interface Case {
  readonly index: number;
  readonly defects: ReadonlySet<Defect>;
  readonly nameKind: "dns" | "ipv4" | "ipv6";
  readonly wildcard: "none" | "match" | "deep" | "bare";
  readonly extraIntermediate: boolean;
  /** A pathLenConstraint of the intermediate that the path respects. */
  readonly pathLength?: number;
  readonly rsaRoot: boolean;
  readonly constraints?: {
    readonly on: "root" | "inter";
    readonly permitted?: string[];
    readonly excluded?: string[];
  };
}

/** Mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeCases(): Case[] {
  const random = prng(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  return Array.from({ length: CASES }, (_, index) => {
    const defects = new Set(DEFECTS.filter(() => random() < 0.06));
    const extraIntermediate = random() < 0.3;
    // pathLenConstraint 0 is a defect only with a second intermediate below it.
    if (extraIntermediate && random() < 0.25) defects.add("pathLen0");
    else defects.delete("pathLen0");
    if (defects.has("interNotCa")) defects.delete("pathLen0"); // a pathLenConstraint needs a CA
    // A pathLenConstraint that the path respects: 1 above a second intermediate, 0 above the leaf.
    const pathLength = defects.has("interNotCa") || defects.has("pathLen0") || random() < 0.6
      ? undefined
      : extraIntermediate
      ? 1
      : 0;
    const nameKind = pick(["dns", "dns", "dns", "ipv4", "ipv6"] as const);
    const wildcard = nameKind === "dns" && random() < 0.4
      ? pick(["match", "match", "deep", "bare"] as const)
      : "none";
    const rsaRoot = random() < 0.2;
    let constraints: Case["constraints"];
    if (random() < 0.3) {
      const on = defects.has("interNotCa") || random() < 0.3 ? "root" : "inter";
      constraints = { on, ...pick(CONSTRAINTS) };
    }
    return { index, defects, nameKind, wildcard, extraIntermediate, pathLength, rsaRoot, constraints };
  });
}

/** Why this library may reject a case that OpenSSL accepts, or undefined. */
function intendedDifference(c: Case): string | undefined {
  if (c.defects.has("cnOnly")) return "CN fallback";
  if (c.defects.has("leafKeyEncipherment")) return "leaf keyUsage without digitalSignature";
  if (c.wildcard !== "none" && c.constraints?.excluded?.includes("www.example.com")) {
    return "wildcard SAN in an excluded subtree";
  }
  return undefined;
}

/** The host name or IP the case asks for, and the leaf's subjectAltName. */
function names(c: Case): { host: string; sans: string[] } {
  const wrong = c.defects.has("wrongSan");
  if (c.nameKind === "ipv4") {
    return { host: "192.0.2.10", sans: ["www.example.com", wrong ? "192.0.2.11" : "192.0.2.10"] };
  }
  if (c.nameKind === "ipv6") {
    return { host: "2001:db8::10", sans: ["www.example.com", wrong ? "2001:db8::11" : "2001:db8::10"] };
  }
  if (c.wildcard === "none") {
    return {
      host: "www.example.com",
      sans: wrong ? ["www.example.net"] : ["www.example.com", "example.com"],
    };
  }
  const host = { match: "www.example.com", deep: "a.www.example.com", bare: "example.com" }[c.wildcard];
  return { host, sans: [wrong ? "*.example.net" : "*.example.com"] };
}

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);

interface Built {
  readonly c: Case;
  readonly host: string;
  readonly trusted: string;
  readonly chain: Uint8Array[];
}

async function build(c: Case, keys: KeyPool, unrelatedRoot: GeneratedCertificate): Promise<Built> {
  const d = c.defects;
  const { host, sans } = names(c);
  const nc = (where: "root" | "inter") =>
    c.constraints?.on === where
      ? { permitted: c.constraints.permitted, excluded: c.constraints.excluded }
      : undefined;
  const root = await generateCertificate({
    subject: `CN=Diff Root ${c.index}, O=subtls differential`,
    isCA: true,
    key: c.rsaRoot ? keys.rsa2048 : keys.ec[0],
    notBefore: d.has("rootExpired") ? day("2010-01-01") : day("2020-01-01"),
    notAfter: d.has("rootExpired") ? day("2020-01-01") : day("2040-01-01"),
    nameConstraints: nc("root"),
  });
  const inter = await generateCertificate({
    subject: `CN=Diff Intermediate ${c.index}, O=subtls differential`,
    isCA: !d.has("interNotCa"),
    ...(d.has("interNotCa") ? { subjectAltNames: [] } : {}),
    key: keys.ec[1],
    issuer: root,
    pathLength: d.has("pathLen0") ? 0 : c.pathLength,
    keyUsage: d.has("interNoKeyCertSign") ? ["digitalSignature", "cRLSign"] : undefined,
    extKeyUsage: d.has("interEkuClientAuth") ? ["clientAuth"] : undefined,
    notBefore: d.has("interNotYetValid") ? day("2025-09-01") : day("2021-01-01"),
    notAfter: d.has("interExpired") ? day("2025-01-01") : day("2035-01-01"),
    nameConstraints: nc("inter"),
  });
  const sub = c.extraIntermediate
    ? await generateCertificate({
      subject: `CN=Diff Sub-Intermediate ${c.index}, O=subtls differential`,
      isCA: true,
      key: keys.ec[2],
      issuer: inter,
      notBefore: day("2021-01-01"),
      notAfter: day("2035-01-01"),
    })
    : undefined;
  const issuer = sub ?? inter;
  const leaf = await generateCertificate({
    subject: d.has("cnOnly") ? `CN=${host}` : `CN=Diff Leaf ${c.index}`,
    subjectAltNames: d.has("cnOnly") ? [] : sans,
    key: d.has("leafRsa1024") ? keys.rsa1024 : keys.ec[3],
    issuer,
    keyUsage: d.has("leafKeyEncipherment") ? ["keyEncipherment"] : undefined,
    extKeyUsage: d.has("leafClientAuthOnly") ? ["clientAuth"] : undefined,
    notBefore: d.has("leafNotYetValid")
      ? day("2025-07-01")
      : d.has("leafExpired")
      ? day("2024-05-01")
      : day("2025-01-01"),
    notAfter: d.has("leafNotYetValid")
      ? day("2026-07-01")
      : d.has("leafExpired")
      ? day("2025-05-01")
      : day("2026-01-01"),
  });
  const unknown = { oid: UNKNOWN_EXTENSION_OID, critical: true, value: new Uint8Array([0x05, 0x00]) };
  let leafDer = d.has("leafUnknownCritical") ? await withExtension(leaf.der, issuer.key, unknown) : leaf.der;
  let interDer = d.has("interUnknownCritical")
    ? await withExtension(inter.der, root.key, unknown)
    : inter.der;
  if (d.has("leafBadSignature")) leafDer = flipSignature(leafDer);
  if (d.has("interBadSignature")) interDer = flipSignature(interDer);
  // The peer's order: leaf first, then the intermediates, the sub-intermediate (when any) last.
  const chain = [leafDer, interDer, ...(sub ? [sub.der] : [])];
  return { c, host, trusted: d.has("untrustedRoot") ? unrelatedRoot.cert : root.cert, chain };
}

interface Verdicts {
  readonly built: Built;
  readonly ours: string; // "accept" or the error code
  readonly openssl: string; // "accept" or OpenSSL's error line
}

async function judge(built: Built, dir: string): Promise<Verdicts> {
  let ours = "accept";
  try {
    await verifyChain([built.trusted], built.chain, built.host, T);
  } catch (e) {
    if (!(e instanceof CertificateVerificationError)) throw e;
    ours = e.code;
  }
  const base = `${dir}/c${built.c.index}`;
  await Deno.writeTextFile(`${base}-root.pem`, built.trusted);
  await Deno.writeTextFile(
    `${base}-inter.pem`,
    built.chain.slice(1).map((der) => encodePem("CERTIFICATE", der)).join(""),
  );
  await Deno.writeTextFile(`${base}-leaf.pem`, encodePem("CERTIFICATE", built.chain[0]));
  const output = await new Deno.Command("openssl", {
    args: [
      ..."verify -x509_strict -auth_level 2 -purpose sslserver".split(" "),
      built.c.nameKind === "dns" ? "-verify_hostname" : "-verify_ip",
      built.host,
      "-attime",
      String(T.getTime() / 1000),
      ...["-CAfile", `${base}-root.pem`, "-untrusted", `${base}-inter.pem`, `${base}-leaf.pem`],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  const accepted = output.success && text.trim() === `${base}-leaf.pem: OK`;
  const openssl = accepted ? "accept" : /^error \d+ at \d+ depth lookup: .*$/m.exec(text)?.[0] ?? text.trim();
  return { built, ours, openssl };
}

function describe(v: Verdicts): string {
  const c = v.built.c;
  return `case ${c.index} [${[...c.defects].join(", ") || "no defect"}; ${c.nameKind}/${c.wildcard}` +
    `${c.extraIntermediate ? "; 2 intermediates" : ""}${
      c.pathLength !== undefined ? `; pathLen ${c.pathLength}` : ""
    }` +
    `${c.rsaRoot ? "; RSA root" : ""}` +
    `${c.constraints ? `; constraints on ${c.constraints.on}: ${JSON.stringify(c.constraints)}` : ""}] ` +
    `host ${v.built.host}: ours ${v.ours}, openssl ${v.openssl}`;
}

Deno.test("RFC 5280 §6 / RFC 9525 §6: verdicts agree with openssl verify -x509_strict on 260 random chains", async () => {
  const started = performance.now();
  const keys = await keyPool();
  const unrelatedRoot = await generateCertificate({
    subject: "CN=Diff Unrelated Root",
    isCA: true,
    key: keys.ec[4],
  });
  const cases = makeCases();
  const built = await mapBounded(cases, 8, (c) => build(c, keys, unrelatedRoot));
  const generated = performance.now();
  const dir = await tempDir();
  const verdicts = await mapBounded(built, 4, (b) => judge(b, dir));

  const agreements: Verdicts[] = [];
  const intended: Verdicts[] = [];
  const disagreements: string[] = [];
  for (const v of verdicts) {
    const reason = intendedDifference(v.built.c);
    const same = (v.ours === "accept") === (v.openssl === "accept");
    if (reason && v.ours === "accept") disagreements.push(`${describe(v)} — must be rejected (${reason})`);
    else if (same) agreements.push(v);
    else if (reason && v.openssl === "accept") intended.push(v);
    else disagreements.push(describe(v));
  }
  const codes = new Map<string, number>();
  for (const v of verdicts) codes.set(v.ours, (codes.get(v.ours) ?? 0) + 1);
  console.log(
    `${agreements.length} agreements (${
      agreements.filter((v) => v.ours === "accept").length
    } accepted by both), ` +
      `${intended.length} intended differences, ${disagreements.length} disagreements; ` +
      `our verdicts: ${JSON.stringify(Object.fromEntries([...codes].sort()))}; ` +
      `generation ${Math.round(generated - started)} ms, openssl ${
        Math.round(performance.now() - generated)
      } ms`,
  );
  assert.deepEqual(disagreements, [], "verdicts that differ from openssl's");
  assert.ok(agreements.length >= 200, `only ${agreements.length} agreements`);
  // The random choice covers every defect, both verdicts, and every name kind.
  for (const defect of DEFECTS) {
    assert.ok(cases.filter((c) => c.defects.has(defect)).length >= 5, `defect ${defect} is too rare`);
  }
  assert.ok(agreements.filter((v) => v.ours === "accept").length >= 50, "too few valid chains");
  assert.ok(cases.filter((c) => c.constraints).length >= 40, "too few name-constrained chains");
});
