/**
 * The corpus of the X.509 differential test (`x509_differential_test.ts`): root → intermediate (→ second
 * intermediate) → leaf chains, each with at most one defect from {@link DEFECTS}, over variations chosen by a
 * seeded PRNG (DNS name, wildcard, IPv4 or IPv6; a second intermediate; an RSA root; name constraints that a
 * defect-free chain may or may not satisfy). Keys come from the process's key pool.
 *
 * A defect that `openssl verify -x509_strict` is known to let through carries the reason this library
 * refuses it (`intended`); the test counts such a case as an intended difference, never as an agreement.
 *
 * @module
 */

import { contextTag, encode, oid, sequence } from "../x509/_der.ts";
import { encodeName } from "../x509/_dn.ts";
import {
  AUTHORITY_INFO_ACCESS_OID,
  decodeCertificate,
  ExtensionOid,
  KeyPurposeOid,
} from "../x509/certificate.ts";
import {
  type CertificateOverrides,
  generateCertificate,
  type GenerateCertificateOptions,
  type GeneratedCertificate,
} from "../x509/generate.ts";
import { flipSignature, type KeyPool, UNKNOWN_EXTENSION_OID } from "./_chains.ts";

type Options = Partial<GenerateCertificateOptions>;

/** What a defect changes in a chain. */
export interface ChainChange {
  readonly root?: Options;
  readonly inter?: Options;
  readonly leaf?: Options;
  /** Flip a signature byte after signing. */
  readonly flip?: "leaf" | "inter";
  /** Trust an unrelated root instead of the chain's. */
  readonly untrusted?: boolean;
}

/** What a defect's change may depend on. */
export interface DefectContext {
  readonly host: string;
  readonly sans: readonly string[];
  readonly keys: KeyPool;
  /** The subject key identifier of the root's key. */
  readonly rootKeyId: Uint8Array;
}

/** One kind of defect. */
export interface Defect {
  readonly change: (ctx: DefectContext) => ChainChange;
  /** Why this library refuses the defect where `openssl verify -x509_strict` accepts it. */
  readonly intended?: string;
  /** Needs a second intermediate below the first. */
  readonly sub?: boolean;
  /** Needs a DNS name (not an IP address). */
  readonly dns?: boolean;
}

const DAY = (iso: string) => new Date(`${iso}T00:00:00Z`);
const ext = (id: string, change: false | { critical?: boolean; value?: Uint8Array }): Options => ({
  overrides: { extensions: { [id]: change } },
});
const overrides = (o: CertificateOverrides): Options => ({ overrides: o });
const UNKNOWN = { critical: true, value: new Uint8Array([0x05, 0x00]) };
const AIA = sequence(
  sequence(
    oid("1.3.6.1.5.5.7.48.2"),
    encode(contextTag(6, false), new TextEncoder().encode("http://ca.test/i.crt")),
  ),
);
const ROOT_SERIAL = new Uint8Array([0x01, 0x23]);

/** The defects, old (issue 3) and new (the profile of issue 14). `none` is the defect-free chain. */
export const DEFECTS: Readonly<Record<string, Defect>> = {
  none: { change: () => ({}) },
  // Validity, path, signatures, keys, usages (RFC 5280 §6).
  leafExpired: { change: () => ({ leaf: { notBefore: DAY("2024-05-01"), notAfter: DAY("2025-05-01") } }) },
  leafNotYetValid: {
    change: () => ({ leaf: { notBefore: DAY("2025-07-01"), notAfter: DAY("2026-07-01") } }),
  },
  interExpired: { change: () => ({ inter: { notAfter: DAY("2025-01-01") } }) },
  interNotYetValid: { change: () => ({ inter: { notBefore: DAY("2025-09-01") } }) },
  rootExpired: { change: () => ({ root: { notBefore: DAY("2010-01-01"), notAfter: DAY("2020-01-01") } }) },
  wrongSan: { change: ({ sans }) => ({ leaf: { subjectAltNames: sans.map(wrong) } }) },
  interNotCa: { change: () => ({ inter: { isCA: false, subjectAltNames: [] } }) },
  pathLen0: { sub: true, change: () => ({ inter: { pathLength: 0 } }) },
  interNoKeyCertSign: { change: () => ({ inter: { keyUsage: ["digitalSignature", "cRLSign"] } }) },
  interEkuClientAuth: { change: () => ({ inter: { extKeyUsage: ["clientAuth"] } }) },
  leafClientAuthOnly: { change: () => ({ leaf: { extKeyUsage: ["clientAuth"] } }) },
  leafBadSignature: { change: () => ({ flip: "leaf" }) },
  interBadSignature: { change: () => ({ flip: "inter" }) },
  leafUnknownCritical: { change: () => ({ leaf: ext(UNKNOWN_EXTENSION_OID, UNKNOWN) }) },
  interUnknownCritical: { change: () => ({ inter: ext(UNKNOWN_EXTENSION_OID, UNKNOWN) }) },
  leafRsa1024: { change: ({ keys }) => ({ leaf: { key: keys.rsa1024 } }) },
  untrustedRoot: { change: () => ({ untrusted: true }) },
  leafKeyEncipherment: {
    intended: "RFC 8446 §4.4.2.2: a TLS 1.3 key signs, so keyUsage needs digitalSignature",
    change: () => ({ leaf: { keyUsage: ["keyEncipherment"] } }),
  },
  cnOnly: {
    intended: "RFC 9525 §6.3: no fallback to the subject CN",
    change: ({ host }) => ({ leaf: { subject: `CN=${host}`, subjectAltNames: [] } }),
  },
  // Key identifiers (RFC 5280 §4.2.1.1, §4.2.1.2; BR §7.1.2.1.3, §7.1.2.11.1).
  leafNoAki: { change: () => ({ leaf: ext(ExtensionOid.authorityKeyIdentifier, false) }) },
  interNoAki: { change: () => ({ inter: ext(ExtensionOid.authorityKeyIdentifier, false) }) },
  leafAkiCritical: { change: () => ({ leaf: ext(ExtensionOid.authorityKeyIdentifier, { critical: true }) }) },
  rootAkiCritical: { change: () => ({ root: ext(ExtensionOid.authorityKeyIdentifier, { critical: true }) }) },
  rootAkiIssuerSerial: {
    intended: "BR §7.1.2.1.3: a root's AKI MUST NOT carry authorityCertIssuer/SerialNumber",
    change: ({ rootKeyId }) => ({
      root: {
        overrides: {
          serialNumber: ROOT_SERIAL,
          extensions: {
            [ExtensionOid.authorityKeyIdentifier]: {
              value: sequence(
                encode(contextTag(0, false), rootKeyId),
                encode(contextTag(1, true), encode(contextTag(4, true), encodeName(ROOT_NAME))),
                encode(contextTag(2, false), ROOT_SERIAL),
              ),
            },
          },
        },
      },
    }),
  },
  rootAkiMismatch: {
    change: () => ({
      root: ext(ExtensionOid.authorityKeyIdentifier, {
        value: sequence(encode(contextTag(0, false), new Uint8Array(20).fill(0x11))),
      }),
    }),
  },
  rootNoSki: { change: () => ({ root: ext(ExtensionOid.subjectKeyIdentifier, false) }) },
  interNoSki: { change: () => ({ inter: ext(ExtensionOid.subjectKeyIdentifier, false) }) },
  leafSkiCritical: { change: () => ({ leaf: ext(ExtensionOid.subjectKeyIdentifier, { critical: true }) }) },
  // Extended key usage (BR §7.1.2.7.6, §7.1.2.7.10, §7.1.2.1.2).
  leafNoEku: {
    intended: "BR §7.1.2.7.10: a subscriber certificate MUST carry extKeyUsage",
    change: () => ({ leaf: { extKeyUsage: [] } }),
  },
  leafAnyEku: {
    intended: "BR §7.1.2.7.10: anyExtendedKeyUsage MUST NOT be in a subscriber certificate",
    change: () => ({
      leaf: ext(ExtensionOid.extKeyUsage, {
        value: sequence(oid(KeyPurposeOid.serverAuth), oid(KeyPurposeOid.anyExtendedKeyUsage)),
      }),
    }),
  },
  leafEkuCritical: {
    intended: "BR §7.1.2.7.6: a subscriber certificate's extKeyUsage MUST NOT be critical",
    change: () => ({ leaf: ext(ExtensionOid.extKeyUsage, { critical: true }) }),
  },
  rootEku: {
    intended: "BR §7.1.2.1.2: a root MUST NOT carry extKeyUsage",
    change: () => ({ root: { extKeyUsage: ["serverAuth"] } }),
  },
  // Basic constraints and key usage (RFC 5280 §4.2.1.3, §4.2.1.9; BR §7.1.2.7.8).
  leafIsCa: {
    intended: "BR §7.1.2.7.8: a subscriber certificate's cA MUST be FALSE",
    change: () => ({ leaf: { isCA: true, keyUsage: ["digitalSignature"], extKeyUsage: ["serverAuth"] } }),
  },
  rootNoBc: { change: () => ({ root: ext(ExtensionOid.basicConstraints, false) }) },
  rootBcNonCritical: { change: () => ({ root: ext(ExtensionOid.basicConstraints, { critical: false }) }) },
  interBcNonCritical: { change: () => ({ inter: ext(ExtensionOid.basicConstraints, { critical: false }) }) },
  leafKeyCertSign: { change: () => ({ leaf: { keyUsage: ["digitalSignature", "keyCertSign"] } }) },
  rootNoKu: { change: () => ({ root: { keyUsage: [] } }) },
  interNoKu: { change: () => ({ inter: { keyUsage: [] } }) },
  // Names (RFC 5280 §4.1.2.4, §4.1.2.6, §4.2.1.6, §4.2.1.10; BR §7.1.2.7.12).
  leafEmptySubjectSanNonCritical: {
    change: () => ({ leaf: { subject: "", ...ext(ExtensionOid.subjectAltName, { critical: false }) } }),
  },
  leafSanCriticalWithSubject: {
    intended: "BR §7.1.2.7.12: with a subject, the subjectAltName MUST NOT be critical",
    change: () => ({ leaf: ext(ExtensionOid.subjectAltName, { critical: true }) }),
  },
  rootEmptyIssuer: { change: () => ({ root: overrides({ issuerName: sequence() }) }) },
  ncNonCritical: {
    intended: "RFC 5280 §4.2.1.10: name constraints MUST be critical",
    change: () => ({
      inter: {
        nameConstraints: { permitted: ["example.com", "192.0.2.0/24", "2001:db8::/32"] },
        ...ext(ExtensionOid.nameConstraints, { critical: false }),
      },
    }),
  },
  ncInLeaf: {
    intended: "RFC 5280 §4.2.1.10: name constraints only in CA certificates",
    change: () => ({
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
  ncInvalidDnsSan: {
    dns: true,
    intended: "RFC 5280 §4.2.1.10: an invalid dNSName cannot be within a permitted subtree",
    change: ({ sans }) => ({
      inter: { nameConstraints: { permitted: ["example.com"] } },
      leaf: { subjectAltNames: [".example.com", ...sans] },
    }),
  },
  // Encoding (RFC 5280 §4.1.2.2; BR §7.1.2.7.7).
  leafSerialZero: {
    intended: "RFC 5280 §4.1.2.2: the serial number MUST be positive",
    change: () => ({ leaf: overrides({ serialNumber: new Uint8Array([0]) }) }),
  },
  leafSerialNegative: {
    intended: "RFC 5280 §4.1.2.2: the serial number MUST be positive",
    change: () => ({ leaf: overrides({ serialNumber: new Uint8Array([0x80, 0x01]) }) }),
  },
  leafSerialLong: {
    intended: "RFC 5280 §4.1.2.2: at most 20 octets",
    change: () => ({ leaf: overrides({ serialNumber: new Uint8Array(22).fill(0x5a) }) }),
  },
  interSerialZero: {
    intended: "RFC 5280 §4.1.2.2: the serial number MUST be positive",
    change: () => ({ inter: overrides({ serialNumber: new Uint8Array([0]) }) }),
  },
  leafAiaMalformed: {
    intended: "BR §7.1.2.7.7: a malformed authorityInfoAccess",
    change: () => ({
      leaf: ext(AUTHORITY_INFO_ACCESS_OID, { value: new TextEncoder().encode("malformed") }),
    }),
  },
  leafAiaEmpty: {
    intended: "BR §7.1.2.7.7: authorityInfoAccess MUST hold one or more AccessDescriptions",
    change: () => ({ leaf: ext(AUTHORITY_INFO_ACCESS_OID, { value: sequence() }) }),
  },
  leafAiaCritical: {
    intended: "RFC 5280 §4.2.2.1: authorityInfoAccess MUST be non-critical (it is not processed here)",
    change: () => ({ leaf: ext(AUTHORITY_INFO_ACCESS_OID, { value: AIA, critical: true }) }),
  },
};

/** The name of one of {@link DEFECTS}. */
export type DefectName = keyof typeof DEFECTS;

/** Another name of the same kind: `www.example.net` for `www.example.com`, the next address. */
function wrong(name: string): string {
  if (name.includes(":")) return name.replace(/10$/, "11");
  if (/^\d/.test(name)) return name.replace(/\.10$/, ".11");
  return name.replace(/example\.com$/, "example.net");
}

const ROOT_NAME = "CN=Diff Root, O=subtls differential";

const keyIds = new Map<string, Promise<Uint8Array>>();

/** The subject key identifier generateCertificate gives `key` (worked out once per key). */
function keyIdOf(key: string): Promise<Uint8Array> {
  let id = keyIds.get(key);
  if (!id) {
    id = generateCertificate({ subject: "CN=k", isCA: true, key }).then((c) =>
      decodeCertificate(c.der).subjectKeyIdentifier!
    );
    keyIds.set(key, id);
  }
  return id;
}

/** The variation of one case. */
export interface Variation {
  readonly nameKind: "dns" | "ipv4" | "ipv6";
  readonly wildcard: "none" | "match" | "deep" | "bare";
  readonly sub: boolean;
  readonly rsaRoot: boolean;
  /** Name constraints on the root or the intermediate (defect-free chains only). */
  readonly constraints?: {
    readonly on: "root" | "inter";
    readonly permitted?: readonly string[];
    readonly excluded?: readonly string[];
    /** A directoryName subtree (RFC 4514 string), permitted. */
    readonly directoryName?: string;
  };
}

/** The name asked for and the leaf's subjectAltName. */
export function names(v: Variation): { host: string; sans: string[] } {
  if (v.nameKind === "ipv4") return { host: "192.0.2.10", sans: ["www.example.com", "192.0.2.10"] };
  if (v.nameKind === "ipv6") return { host: "2001:db8::10", sans: ["www.example.com", "2001:db8::10"] };
  if (v.wildcard === "none") return { host: "www.example.com", sans: ["www.example.com", "example.com"] };
  const host = { match: "www.example.com", deep: "a.www.example.com", bare: "example.com" }[v.wildcard];
  return { host, sans: ["*.example.com"] };
}

/** A built case: the anchor to trust and the chain the peer sends (leaf first). */
export interface Built {
  readonly host: string;
  readonly trusted: string;
  readonly chain: readonly Uint8Array[];
}

/** A name constraints extension value with one permitted directoryName subtree. */
function directoryNameConstraint(name: string): Uint8Array {
  return sequence(encode(contextTag(0, true), sequence(encode(contextTag(4, true), encodeName(name)))));
}

/** Builds the chain of `defect` under variation `v`; `index` makes the subjects unique. */
export async function build(
  defect: Defect,
  v: Variation,
  index: number,
  keys: KeyPool,
  unrelatedRoot: GeneratedCertificate,
): Promise<Built> {
  const { host, sans } = names(v);
  const rootKey = v.rsaRoot ? keys.rsa2048 : keys.ec[0];
  const d = defect.change({ host, sans, keys, rootKeyId: await keyIdOf(rootKey) });
  const nc = (where: "root" | "inter"): Options => {
    const c = v.constraints;
    if (c?.on !== where) return {};
    if (c.directoryName) {
      return ext(ExtensionOid.nameConstraints, {
        critical: true,
        value: directoryNameConstraint(c.directoryName),
      });
    }
    return { nameConstraints: { permitted: c.permitted, excluded: c.excluded } };
  };
  const root = await generateCertificate({
    subject: ROOT_NAME,
    isCA: true,
    key: rootKey,
    notBefore: DAY("2020-01-01"),
    notAfter: DAY("2040-01-01"),
    ...nc("root"),
    ...d.root,
  });
  const inter = await generateCertificate({
    subject: `CN=Diff Intermediate ${index}, O=subtls differential`,
    isCA: true,
    key: keys.ec[1],
    issuer: root,
    notBefore: DAY("2021-01-01"),
    notAfter: DAY("2035-01-01"),
    ...nc("inter"),
    ...d.inter,
  });
  const sub = v.sub
    ? await generateCertificate({
      subject: `CN=Diff Sub-Intermediate ${index}, O=subtls differential`,
      isCA: true,
      key: keys.ec[2],
      issuer: inter,
      notBefore: DAY("2021-01-01"),
      notAfter: DAY("2035-01-01"),
    })
    : undefined;
  const leaf = await generateCertificate({
    subject: `CN=Diff Leaf ${index}, O=subtls differential`,
    subjectAltNames: sans,
    key: keys.ec[3],
    issuer: sub ?? inter,
    notBefore: DAY("2025-01-01"),
    notAfter: DAY("2026-01-01"),
    ...d.leaf,
  });
  const leafDer = d.flip === "leaf" ? flipSignature(leaf.der) : leaf.der;
  const interDer = d.flip === "inter" ? flipSignature(inter.der) : inter.der;
  return {
    host,
    trusted: d.untrusted ? unrelatedRoot.cert : root.cert,
    chain: [leafDer, interDer, ...(sub ? [sub.der] : [])],
  };
}
