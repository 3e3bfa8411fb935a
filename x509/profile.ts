/**
 * The certificate profile that path validation enforces, one rule per entry of {@link PROFILE_RULES}: what
 * RFC 5280 §4 and the CA/Browser Forum Baseline Requirements (BR, version 2, §7.1) require of a certificate
 * in its place on a path, each rule with the section it comes from and the `CertificateVerificationError`
 * code it fails with. The same rules apply to server and client chains (with clientAuth in place of
 * serverAuth); `docs/x509.md` lists them with their tests.
 *
 * A certificate's place on a path is its {@link Role}:
 * - `leaf`: the end-entity certificate, when a CA issued it;
 * - `intermediate`: a CA certificate between the leaf and the trust anchor;
 * - `anchor`: the trust anchor that issued the certificate below it — a root, usually, or another
 *   certificate the user chose to trust;
 * - `pinned`: a leaf that is itself one of the trust anchors (a self-signed development certificate in
 *   `caCerts`), a path of one.
 *
 * Where a private PKI gets room, and why, is decided here, rule by rule:
 * - A trust anchor may lack an authority key identifier (RFC 5280 §4.2.1.1 exempts self-signed
 *   certificates), and a trust anchor's serial number may be zero — nine roots of the Mozilla store have
 *   serial number 0 (Go Daddy Root Certificate Authority - G2 among them); negative or over-long ones are
 *   still refused.
 * - A pinned leaf is trusted by configuration, not by the CA profile: the rules that BR sets for subscriber
 *   certificates (extKeyUsage present, non-critical and without anyExtendedKeyUsage, basicConstraints cA
 *   false, a non-critical subjectAltName, no name constraints) and the authority key identifier do not apply
 *   to it. A self-signed certificate made by `openssl req -x509` is a CA without extKeyUsage, and is fine as a
 *   pinned leaf. What it is used for still must fit: keyUsage and extKeyUsage, when present, must allow it,
 *   its name must match, its serial number must be in range, and the rules of RFC 5280 itself that hold for
 *   every certificate (non-critical key identifiers, keyCertSign only with cA, unknown critical
 *   extensions, names) apply.
 * - Rules about roots (no extKeyUsage; an authority key identifier equal to the subject key identifier) apply
 *   to self-issued anchors only; an intermediate CA certificate that the user trusts directly is held to the
 *   rules of intermediates instead (its extKeyUsage must allow the purpose).
 * - Every other rule applies to trust anchors as to intermediates, as `openssl verify -x509_strict` and
 *   pyca/cryptography do: a CA whose basicConstraints is not critical, or that lacks a subject key
 *   identifier, is refused even as a root when the user passes it in `caCerts`.
 * - A root from a curated store (the embedded Mozilla store, or the system's bundle) is trust anchor
 *   information that the store's maintainers vetted (RFC 5280 §6.1.1(d)); the three rules about how a CA
 *   encodes its own certificate (`aki-key-identifier-only`, `ca-ski-present`,
 *   `ca-basic-constraints-critical`) do not apply to it, nor `ca-key-usage` beyond §6.1.4 (n), as
 *   mozilla::pkix does not apply them. Eight roots of
 *   the Mozilla store break one of them (`docs/x509.md` names them); refusing them would refuse every site
 *   whose only path ends there. Every other rule, validity and signatures included, still applies.
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { type CertificateErrorCode, CertificateVerificationError } from "../errors.ts";
import { ExtensionOid, KeyPurposeOid, type ParsedCertificate } from "./certificate.ts";

/** A certificate's place on a path (see the module documentation). */
export type Role = "leaf" | "intermediate" | "anchor" | "pinned";

/** What a rule may depend on besides the certificate. */
export interface RuleContext {
  /** The certificate's place on the path. */
  readonly role: Role;
  /** The key purpose the path is validated for. */
  readonly purpose: "serverAuth" | "clientAuth";
  /**
   * For an `anchor`: whether it comes from a curated root store (the embedded Mozilla store or the
   * system's bundle) rather than from the user's `caCerts` (see the module documentation).
   */
  readonly curated?: boolean;
}

/** One rule of the profile. */
export interface ProfileRule {
  /** A short name, used by the tests to show that each rule has one. */
  readonly id: string;
  /** The section the rule comes from. */
  readonly source: string;
  /** The error code a certificate that breaks the rule is refused with. */
  readonly code: CertificateErrorCode;
  /** The roles the rule applies to. */
  readonly roles: readonly Role[];
  /** Why `cert` breaks the rule, or undefined when it keeps it. */
  readonly check: (cert: ParsedCertificate, context: RuleContext) => string | undefined;
  /**
   * A rule about how a CA encodes what it issues, which a curated root store's anchor is exempt from: the
   * store's maintainers admitted the root as trust anchor information (RFC 5280 §6.1.1(d)), and mozilla::pkix
   * does not check these fields of a trust anchor.
   */
  readonly curatedAnchorExempt?: true;
}

const ALL: readonly Role[] = ["leaf", "intermediate", "anchor", "pinned"];
const ISSUED: readonly Role[] = ["leaf", "intermediate", "anchor"];
const CA: readonly Role[] = ["intermediate", "anchor"];
const END_ENTITY: readonly Role[] = ["leaf", "pinned"];

/** The extensions whose content path validation processes; any other critical extension is refused. */
const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(ExtensionOid));

const EMPTY_NAME_LENGTH = 2; // the DER of an empty Name: 30 00

function isCritical(cert: ParsedCertificate, oid: string): boolean {
  return cert.criticalExtensions.includes(oid);
}

function has(cert: ParsedCertificate, oid: string): boolean {
  return cert.extensions.some((e) => e.oid === oid);
}

/** Whether the certificate's issuer and subject Names are the same (RFC 5280 §3.4.61, "self-issued"). */
export function isSelfIssued(cert: ParsedCertificate): boolean {
  return equal(cert.issuerDer, cert.subjectDer);
}

/** The rules, in the order they are checked: the first one broken is reported. */
export const PROFILE_RULES: readonly ProfileRule[] = [
  {
    id: "critical-extensions",
    source: "RFC 5280 §4.2",
    code: "unknown_critical_extension",
    roles: ALL,
    check: (cert) => {
      // A certificate with a critical extension that is not processed MUST be rejected.
      const unknown = cert.criticalExtensions.find((oid) => !UNDERSTOOD_EXTENSIONS.has(oid));
      return unknown && `it has an unknown critical extension ${unknown}`;
    },
  },
  {
    id: "serial-number",
    source: "RFC 5280 §4.1.2.2",
    code: "bad_serial_number",
    roles: ALL,
    check: (cert, { role }) => {
      // The serial number MUST be a positive integer of at most 20 octets. A 21-octet encoding whose first
      // octet is 0 holds a 20-octet value (as pyca/cryptography reads it). A trust anchor may have serial 0.
      const bytes = Uint8Array.fromHex(cert.serialNumber);
      if (bytes[0] & 0x80) return `its serial number ${cert.serialNumber} is negative`;
      if (bytes.length === 1 && bytes[0] === 0 && role !== "anchor") return "its serial number is 0";
      const magnitude = bytes[0] === 0 ? bytes.length - 1 : bytes.length;
      if (magnitude > 20) return `its serial number is ${magnitude} octets long; at most 20 are allowed`;
    },
  },
  {
    id: "issuer-not-empty",
    source: "RFC 5280 §4.1.2.4",
    code: "bad_name",
    roles: ALL,
    check: (cert) => cert.issuerDer.length === EMPTY_NAME_LENGTH ? "its issuer Name is empty" : undefined,
  },
  {
    id: "ca-subject-not-empty",
    source: "RFC 5280 §4.1.2.6",
    code: "bad_name",
    roles: CA,
    check: (cert) =>
      cert.subjectDer.length === EMPTY_NAME_LENGTH ? "it is a CA with an empty subject" : undefined,
  },
  {
    id: "empty-subject-critical-san",
    source: "RFC 5280 §4.1.2.6, §4.2.1.6",
    code: "bad_name",
    roles: ALL,
    check: (cert) => {
      // An empty subject MUST come with a subjectAltName, marked critical.
      if (cert.subjectDer.length !== EMPTY_NAME_LENGTH) return undefined;
      if (!has(cert, ExtensionOid.subjectAltName)) return "its subject is empty and it has no subjectAltName";
      if (!isCritical(cert, ExtensionOid.subjectAltName)) {
        return "its subject is empty but its subjectAltName is not critical";
      }
    },
  },
  {
    id: "leaf-san-not-critical",
    source: "BR §7.1.2.7.12",
    code: "bad_name",
    roles: ["leaf"],
    check: (cert) =>
      // With a non-empty subject, a subscriber certificate's subjectAltName MUST NOT be critical.
      cert.subjectDer.length !== EMPTY_NAME_LENGTH && isCritical(cert, ExtensionOid.subjectAltName)
        ? "its subject is not empty but its subjectAltName is critical"
        : undefined,
  },
  {
    id: "aki-present",
    source: "RFC 5280 §4.2.1.1",
    code: "bad_key_identifier",
    roles: ["leaf", "intermediate"],
    check: (cert) =>
      // The keyIdentifier MUST be included in all certificates a CA issues; only a self-signed trust anchor
      // may omit it.
      cert.authorityKeyIdentifier ? undefined : "it has no authority key identifier (keyIdentifier)",
  },
  {
    id: "aki-not-critical",
    source: "RFC 5280 §4.2.1.1",
    code: "bad_key_identifier",
    roles: ALL,
    check: (cert) =>
      isCritical(cert, ExtensionOid.authorityKeyIdentifier)
        ? "its authority key identifier is marked critical"
        : undefined,
  },
  {
    id: "aki-key-identifier-only",
    source: "BR §7.1.2.11.1, §7.1.2.1.3",
    code: "bad_key_identifier",
    roles: ISSUED,
    curatedAnchorExempt: true,
    check: (cert) => {
      // keyIdentifier MUST be present; authorityCertIssuer and authorityCertSerialNumber MUST NOT.
      const aki = cert.authorityKey;
      if (!aki) return undefined;
      if (!aki.keyIdentifier) return "its authority key identifier has no keyIdentifier";
      if (aki.authorityCertIssuer || aki.authorityCertSerialNumber !== undefined) {
        return "its authority key identifier carries authorityCertIssuer or authorityCertSerialNumber";
      }
    },
  },
  {
    id: "root-aki-matches-ski",
    source: "BR §7.1.2.1.3",
    code: "bad_key_identifier",
    roles: ["anchor"],
    check: (cert) =>
      // A root's keyIdentifier, when present, MUST be identical to its subjectKeyIdentifier.
      isSelfIssued(cert) && cert.authorityKeyIdentifier && cert.subjectKeyIdentifier &&
        !equal(cert.authorityKeyIdentifier, cert.subjectKeyIdentifier)
        ? "it is a root whose authority key identifier differs from its subject key identifier"
        : undefined,
  },
  {
    id: "ca-ski-present",
    source: "RFC 5280 §4.2.1.2",
    code: "bad_key_identifier",
    roles: CA,
    curatedAnchorExempt: true,
    check: (cert) =>
      // The subject key identifier MUST appear in all CA certificates.
      cert.subjectKeyIdentifier ? undefined : "it is a CA without a subject key identifier",
  },
  {
    id: "ski-not-critical",
    source: "RFC 5280 §4.2.1.2",
    code: "bad_key_identifier",
    roles: ALL,
    check: (cert) =>
      isCritical(cert, ExtensionOid.subjectKeyIdentifier)
        ? "its subject key identifier is marked critical"
        : undefined,
  },
  {
    id: "ca-basic-constraints",
    source: "RFC 5280 §4.2.1.9, §6.1.4 (k)",
    code: "not_a_ca",
    roles: CA,
    check: (cert) =>
      // An issuer must assert cA; a v1 or v2 certificate, without extensions, is no CA either.
      cert.basicConstraints?.cA ? undefined : "it is not a CA (basicConstraints cA)",
  },
  {
    id: "ca-basic-constraints-critical",
    source: "RFC 5280 §4.2.1.9",
    code: "bad_basic_constraints",
    roles: CA,
    curatedAnchorExempt: true,
    check: (cert) =>
      // CAs MUST mark basicConstraints critical.
      isCritical(cert, ExtensionOid.basicConstraints)
        ? undefined
        : "it is a CA whose basicConstraints is not critical",
  },
  {
    id: "leaf-not-ca",
    source: "BR §7.1.2.7.8",
    code: "bad_basic_constraints",
    roles: ["leaf"],
    check: (cert) =>
      // A subscriber certificate's cA MUST be FALSE; a CA's key is not for a TLS peer.
      cert.basicConstraints?.cA
        ? "it is an end-entity certificate that asserts basicConstraints cA"
        : undefined,
  },
  {
    id: "key-cert-sign-needs-ca",
    source: "RFC 5280 §4.2.1.3, §4.2.1.9",
    code: "bad_key_usage",
    roles: ALL,
    check: (cert) =>
      // If keyCertSign is asserted, cA MUST be asserted too.
      cert.keyUsage?.has("keyCertSign") && !cert.basicConstraints?.cA
        ? "its key usage asserts keyCertSign but it is not a CA"
        : undefined,
  },
  {
    id: "ca-key-usage",
    source: "RFC 5280 §4.2.1.3, §6.1.4 (n)",
    code: "bad_key_usage",
    roles: CA,
    check: (cert, { role, curated }) => {
      // CAs MUST include keyUsage, and a key that signs certificates needs keyCertSign. A curated store's
      // root is held to §6.1.4 (n) only: keyCertSign when keyUsage is present (see curatedAnchorExempt).
      if (!cert.keyUsage) {
        return role === "anchor" && curated ? undefined : "it is a CA without a key usage extension";
      }
      if (!cert.keyUsage.has("keyCertSign")) return "its key usage does not allow keyCertSign";
    },
  },
  {
    id: "leaf-digital-signature",
    source: "RFC 8446 §4.4.2.2, RFC 5280 §4.2.1.3",
    code: "bad_key_usage",
    roles: END_ENTITY,
    check: (cert) =>
      // A TLS peer's key signs the handshake (CertificateVerify), so keyUsage, when present, must allow it.
      cert.keyUsage && !cert.keyUsage.has("digitalSignature")
        ? "its key usage does not allow digitalSignature"
        : undefined,
  },
  {
    id: "leaf-eku-present",
    source: "BR §7.1.2.7.6, §7.1.2.7.10",
    code: "bad_extended_key_usage",
    roles: ["leaf"],
    check: (cert) => cert.extKeyUsage ? undefined : "it has no extended key usage extension",
  },
  {
    id: "leaf-eku-not-critical",
    source: "BR §7.1.2.7.6",
    code: "bad_extended_key_usage",
    roles: ["leaf"],
    check: (cert) =>
      isCritical(cert, ExtensionOid.extKeyUsage) ? "its extended key usage is marked critical" : undefined,
  },
  {
    id: "leaf-eku-no-any",
    source: "BR §7.1.2.7.10",
    code: "bad_extended_key_usage",
    roles: ["leaf"],
    check: (cert) =>
      cert.extKeyUsage?.includes(KeyPurposeOid.anyExtendedKeyUsage)
        ? "its extended key usage holds anyExtendedKeyUsage"
        : undefined,
  },
  {
    id: "leaf-eku-purpose",
    source: "RFC 5280 §4.2.1.12",
    code: "bad_extended_key_usage",
    roles: END_ENTITY,
    check: (cert, { purpose }) =>
      // When present, the key may only be used for the purposes listed.
      cert.extKeyUsage && !cert.extKeyUsage.includes(KeyPurposeOid[purpose])
        ? `its extended key usage does not include ${purpose}`
        : undefined,
  },
  {
    id: "root-no-eku",
    source: "BR §7.1.2.1.2",
    code: "bad_extended_key_usage",
    roles: ["anchor"],
    check: (cert) =>
      // A root CA certificate MUST NOT carry extKeyUsage.
      isSelfIssued(cert) && cert.extKeyUsage
        ? "it is a root with an extended key usage extension"
        : undefined,
  },
  {
    id: "ca-eku-purpose",
    source: "RFC 5280 §4.2.1.12; BR §7.1.2.10.6",
    code: "bad_extended_key_usage",
    roles: CA,
    check: (cert, { role, purpose }) => {
      // A CA whose extended key usage is present must allow the purpose too, as NSS, Chrome, Go and OpenSSL
      // require ("EKU chaining"; RFC 5280 leaves it open): a CA restricted to e-mail cannot vouch for a server.
      const eku = cert.extKeyUsage;
      if (!eku || (role === "anchor" && isSelfIssued(cert))) return undefined; // a root fails root-no-eku
      return eku.includes(KeyPurposeOid[purpose]) || eku.includes(KeyPurposeOid.anyExtendedKeyUsage)
        ? undefined
        : `its extended key usage does not include ${purpose}`;
    },
  },
  {
    id: "name-constraints-in-ca",
    source: "RFC 5280 §4.2.1.10",
    code: "bad_name_constraints",
    roles: ["leaf"],
    check: (cert) =>
      // The name constraints extension MUST be used only in a CA certificate.
      has(cert, ExtensionOid.nameConstraints)
        ? "it is an end-entity certificate with a name constraints extension"
        : undefined,
  },
  {
    id: "name-constraints-critical",
    source: "RFC 5280 §4.2.1.10",
    code: "bad_name_constraints",
    roles: CA,
    check: (cert) =>
      // Conforming CAs MUST mark this extension as critical (BR §7.1.2.5.2 allows non-critical; see
      // docs/x509.md for why the RFC wins here).
      has(cert, ExtensionOid.nameConstraints) && !isCritical(cert, ExtensionOid.nameConstraints)
        ? "its name constraints extension is not critical"
        : undefined,
  },
];

const ROLE_NAMES: Record<Role, string> = {
  leaf: "the end-entity certificate",
  intermediate: "the intermediate CA certificate",
  anchor: "the trust anchor",
  pinned: "the pinned certificate",
};

/**
 * Checks `cert` against every rule of {@link PROFILE_RULES} for its role; throws
 * {@link CertificateVerificationError} with the code of the first rule it breaks.
 *
 * @example
 * ```ts ignore
 * checkProfile(leaf, { role: "leaf", purpose: "serverAuth" });
 * ```
 */
export function checkProfile(cert: ParsedCertificate, context: RuleContext): void {
  for (const rule of PROFILE_RULES) {
    if (!rule.roles.includes(context.role)) continue;
    if (rule.curatedAnchorExempt && context.role === "anchor" && context.curated) continue;
    const problem = rule.check(cert, context);
    if (problem) {
      throw new CertificateVerificationError(
        rule.code,
        `${ROLE_NAMES[context.role]}: ${problem} (${rule.source})`,
        cert.subject,
      );
    }
  }
}
