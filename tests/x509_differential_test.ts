/**
 * Differential test of path validation, the certificate profile and name matching (issues 3 and 14): a
 * corpus of generated chains — root → intermediate (→ second intermediate) → leaf, each with at most one
 * defect of `_differential.ts` (old ones: validity, signatures, CA flags, usages, weak keys, names; new ones:
 * key identifiers, extended key usage, basic constraints, key usage, names, name constraints, serial numbers,
 * authority information access) over seeded random variations — goes through this library's
 * `verifyCertificateChain` and through
 *
 *     openssl verify -x509_strict -auth_level 2 -purpose sslserver -verify_hostname NAME (or -verify_ip IP)
 *       -attime T -CAfile root.pem -untrusted inter.pem leaf.pem
 *
 * (`-auth_level 2`: 112-bit security, so that OpenSSL refuses RSA-1024 keys as this library does).
 *
 * Every defective chain must be refused here. A verdict (accept or refuse) that equals OpenSSL's is an
 * agreement. A chain refused here and accepted by OpenSSL is allowed only for the defects whose `intended`
 * reason says why this library is stricter (the profile rules OpenSSL does not check, the CN fallback, …), and
 * for a wildcard SAN under an excluded subtree that the wildcard can stand for (OpenSSL compares `*` as a
 * literal label); every such case is listed. Anything else fails the test. The counts are printed, and copied
 * into docs/x509.md and docs/security.md.
 *
 * Not generated, as they are known differences outside this comparison: a CA with EKU anyExtendedKeyUsage
 * only (accepted here, as RFC 5280 §4.2.1.12 reads it; OpenSSL refuses it for `sslserver`), name constraints
 * of forms other than DNS, IP and directoryName (refused here), partial wildcards such as `w*.example.com`
 * (OpenSSL accepts them by default; RFC 9525 §6.3 forbids them), and the room given to trust anchors and
 * pinned certificates (docs/x509.md).
 */
import assert from "node:assert/strict";
import { CertificateVerificationError } from "../errors.ts";
import { generateCertificate } from "../x509/generate.ts";
import { encodePem } from "../x509/pem.ts";
import { verifyCertificateChain } from "../x509/verify.ts";
import { keyPool, mapBounded } from "./_chains.ts";
import { tempDir } from "./_certs.ts";
import { build, type Built, type DefectName, DEFECTS, type Variation } from "./_differential.ts";

const SEED = 0x5eed_2025;
const T = new Date("2025-06-01T00:00:00Z");
/** Chains per defect, and defect-free chains (which carry the name-constraint variations). */
const PER_DEFECT = 6;
const DEFECT_FREE = 70;

/** Name constraints for defect-free chains: satisfied by some names, not by others. */
const CONSTRAINTS: readonly Omit<NonNullable<Variation["constraints"]>, "on">[] = [
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
  { directoryName: "O=subtls differential" }, // every subject below is within: the issue's false refusal
  { directoryName: "O=elsewhere" },
];

interface Case {
  readonly index: number;
  readonly defect: DefectName;
  readonly v: Variation;
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
  const defects = Object.keys(DEFECTS).flatMap((d) => Array(d === "none" ? DEFECT_FREE : PER_DEFECT).fill(d));
  return defects.map((defect, index) => {
    const spec = DEFECTS[defect];
    const nameKind = spec.dns ? "dns" : pick(["dns", "dns", "dns", "ipv4", "ipv6"] as const);
    // A wildcard that does not cover the name asked for ("deep", "bare") is a defect of its own: only in
    // otherwise defect-free chains.
    const wildcards = defect === "none" ? ["match", "match", "deep", "bare"] as const : ["match"] as const;
    const wildcard = nameKind === "dns" && random() < 0.4 ? pick(wildcards) : "none";
    const sub = spec.sub ?? random() < 0.3;
    const constraints = defect === "none" && random() < 0.7
      ? { on: random() < 0.3 ? "root" as const : "inter" as const, ...pick(CONSTRAINTS) }
      : undefined;
    return { index, defect, v: { nameKind, wildcard, sub, rsaRoot: random() < 0.2, constraints } };
  });
}

/** Why this library may refuse a case that OpenSSL accepts, or undefined. */
function intendedDifference(c: Case): string | undefined {
  if (DEFECTS[c.defect].intended) return DEFECTS[c.defect].intended;
  if (c.v.wildcard !== "none" && c.v.constraints?.excluded?.includes("www.example.com")) {
    return "wildcard SAN in an excluded subtree (OpenSSL reads * as a literal label)";
  }
}

interface Verdicts {
  readonly c: Case;
  readonly built: Built;
  readonly ours: string; // "accept" or the error code
  readonly openssl: string; // "accept" or OpenSSL's error line
}

async function judge(c: Case, built: Built, dir: string): Promise<Verdicts> {
  let ours = "accept";
  try {
    await verifyCertificateChain({
      leaf: built.chain[0],
      intermediates: built.chain.slice(1),
      trustAnchors: [built.trusted],
      hostname: built.host,
      time: T,
    });
  } catch (e) {
    if (!(e instanceof CertificateVerificationError)) throw e;
    ours = e.code;
  }
  const base = `${dir}/c${c.index}`;
  await Deno.writeTextFile(`${base}-root.pem`, built.trusted);
  await Deno.writeTextFile(
    `${base}-inter.pem`,
    built.chain.slice(1).map((der) => encodePem("CERTIFICATE", der)).join(""),
  );
  await Deno.writeTextFile(`${base}-leaf.pem`, encodePem("CERTIFICATE", built.chain[0]));
  const output = await new Deno.Command("openssl", {
    args: [
      ..."verify -x509_strict -auth_level 2 -purpose sslserver".split(" "),
      c.v.nameKind === "dns" ? "-verify_hostname" : "-verify_ip",
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
  return { c, built, ours, openssl };
}

function describe(v: Verdicts): string {
  const { c } = v;
  return `case ${c.index} [${c.defect}; ${c.v.nameKind}/${c.v.wildcard}${
    c.v.sub ? "; 2 intermediates" : ""
  }` +
    `${c.v.rsaRoot ? "; RSA root" : ""}${
      c.v.constraints ? `; constraints ${JSON.stringify(c.v.constraints)}` : ""
    }] ` +
    `host ${v.built.host}: ours ${v.ours}, openssl ${v.openssl}`;
}

Deno.test("RFC 5280 §4, §6 / BR §7.1 / RFC 9525 §6: verdicts agree with openssl verify -x509_strict on a corpus of one-defect chains", async () => {
  const started = performance.now();
  const keys = await keyPool();
  const unrelatedRoot = await generateCertificate({
    subject: "CN=Diff Unrelated Root",
    isCA: true,
    key: keys.ec[4],
  });
  const cases = makeCases();
  const built = await mapBounded(
    cases,
    8,
    (c) => build(DEFECTS[c.defect], c.v, c.index, keys, unrelatedRoot),
  );
  const generated = performance.now();
  const dir = await tempDir();
  const verdicts = await mapBounded(cases, 2, (c, i) => judge(c, built[i], dir));

  const agreements: Verdicts[] = [];
  const intended = new Map<string, Verdicts[]>();
  const problems: string[] = [];
  for (const v of verdicts) {
    const reason = intendedDifference(v.c);
    if (v.c.defect !== "none" && v.ours === "accept") problems.push(`${describe(v)} — must be refused`);
    else if ((v.ours === "accept") === (v.openssl === "accept")) agreements.push(v);
    else if (reason && v.openssl === "accept") intended.set(reason, [...(intended.get(reason) ?? []), v]);
    else problems.push(describe(v));
  }
  const differences = [...intended.values()].flat().length;
  const lines = [
    `${verdicts.length} chains (${Object.keys(DEFECTS).length - 1} defects × ${PER_DEFECT}, ${DEFECT_FREE} ` +
    `without a defect): ${agreements.length} agreements (${
      agreements.filter((v) => v.ours === "accept").length
    } ` +
    `accepted by both), ${differences} intended differences, ${problems.length} disagreements`,
    ...[...intended].map(([reason, vs]) =>
      `  intended (${vs.length}): ${reason} — ${[...new Set(vs.map((v) => v.c.defect))].join(", ")}`
    ),
    `  generation ${Math.round(generated - started)} ms, verification ${
      Math.round(performance.now() - generated)
    } ms`,
  ];
  console.log(lines.join("\n"));
  assert.deepEqual(problems, [], "verdicts that differ from openssl's without an intended reason");
  // The corpus covers both verdicts, every name kind, and name constraints.
  assert.ok(agreements.filter((v) => v.ours === "accept").length >= 30, "too few valid chains");
  assert.ok(cases.filter((c) => c.v.constraints).length >= 30, "too few name-constrained chains");
  for (const kind of ["dns", "ipv4", "ipv6"]) assert.ok(cases.some((c) => c.v.nameKind === kind), kind);
  // A directoryName constraint that every subject satisfies is accepted by both (issue 14's false refusal).
  const dn = verdicts.filter((v) => v.c.v.constraints?.directoryName === "O=subtls differential");
  assert.ok(dn.some((v) => v.ours === "accept" && v.openssl === "accept"), dn.map(describe).join("\n"));
});
