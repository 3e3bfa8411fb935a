/**
 * The name constraints extension (RFC 5280 §4.2.1.10) and its check during path validation (§6.1.3 (b),
 * (c); §6.1.4 (g)).
 *
 * A CA certificate — an intermediate or a trust anchor — may restrict the names that the certificates below
 * it on a path may carry: each presented name must lie within one of the permitted subtrees of its form, when
 * there are any of that form, and within none of the excluded subtrees. What is checked:
 *
 * - **Which names.** The dNSName, iPAddress and directoryName entries of each certificate's subjectAltName,
 *   and its subject as a directoryName when it is not empty. The subject common name is not checked as a
 *   DNS name: it is never used to match a server name (`names.ts` matches the subjectAltName only), so a
 *   name constraint has nothing to guard there (as in Chrome, Go and rustls' webpki). OpenSSL does check a
 *   host-like CN of a leaf without DNS SANs; such a leaf fails here anyway.
 * - **Which certificates.** Every certificate below the constraining CA, leaf included; a self-issued
 *   intermediate is skipped, as §6.1.3 (b) says. The constraints of trust anchors apply too (as in OpenSSL,
 *   Go and webpki), though RFC 5280 leaves that to the implementation.
 * - **dNSName** (§4.2.1.10): `example.com` covers `example.com` and every name made by adding labels on the
 *   left (`www.example.com`), not `badexample.com`; a constraint with a leading dot (`.example.com`, a common
 *   extension also read by OpenSSL and Go) covers only the names below it; the empty constraint covers
 *   every name. Comparison ignores ASCII case and a trailing dot. A presented dNSName that is not a
 *   syntactically valid name (`.example.com`, `a..example.com`) cannot be placed in or out of a subtree: under
 *   any dNSName constraint it is a violation, whatever its suffix.
 * - **Wildcards.** A presented `*.example.com` is permitted by a subtree that holds all the names the wildcard
 *   can stand for (`example.com`, not `www.example.com`), and is excluded by a subtree that holds any of them
 *   (`www.example.com` excludes it, as in Chrome). OpenSSL reads `*` as a literal label and lets the second
 *   case through; here the stricter reading wins.
 * - **iPAddress** (§4.2.1.10): an address and a mask of 8 octets (IPv4) or 32 (IPv6); an address is covered
 *   when it has the same length and agrees with the address on every bit of the mask. A mask that is not a
 *   contiguous prefix is malformed.
 * - **directoryName** (§4.2.1.10, §7.1): a Name lies within a subtree when the subtree's RDNs are its first
 *   RDNs, compared attribute by attribute with the LDAP StringPrep rules (case and insignificant spaces
 *   ignored; see `nameWithin` in `_dn.ts`). It applies to the subject and to directoryName SAN entries.
 * - **Other forms** (rfc822Name, URI, otherName, …) are not implemented. §4.2.1.10 says that an application
 *   that meets a constraint on a name form it does not process, together with a name of that form below it,
 *   MUST reject the certificate; that is done: `name_constraint_violation`. An rfc822Name constraint refuses
 *   a certificate with an email address in its subjectAltName or an emailAddress in its subject.
 *
 * The extension itself must be critical and sit in a CA certificate; that is checked by `profile.ts`.
 *
 * @module
 */

import { asn1Schema, asn1X509 } from "../deps.ts";
import { equal } from "../bytes.ts";
import { CertificateVerificationError } from "../errors.ts";
import { childrenOf, contextTag, DerError, DerReader, Tag } from "./_der.ts";
import { formatName, nameWithin } from "./_dn.ts";
import type { ParsedCertificate } from "./certificate.ts";
import { formatIpAddress, isValidDnsName } from "./names.ts";

/** The forms of GeneralName (RFC 5280 §4.2.1.6), indexed by their context tag number. */
export const GENERAL_NAME_FORMS = [
  "otherName",
  "rfc822Name",
  "dNSName",
  "x400Address",
  "directoryName",
  "ediPartyName",
  "uniformResourceIdentifier",
  "iPAddress",
  "registeredID",
] as const;

/** One form of GeneralName, such as `"dNSName"`. */
export type GeneralNameForm = typeof GENERAL_NAME_FORMS[number];

/**
 * The form of a GeneralName (RFC 5280 §4.2.1.6) by its tag, which must be context-specific [0]..[8], constructed
 * for the forms that are structures; throws `DerError` naming `what` otherwise.
 */
export function generalNameForm(tag: number, what: string): GeneralNameForm {
  const form = GENERAL_NAME_FORMS[tag & 0x1f];
  // otherName, x400Address, directoryName and ediPartyName are constructed; the others primitive.
  const constructed = tag & 0x20 ? true : false;
  const shouldBe = form === "otherName" || form === "x400Address" || form === "directoryName" ||
    form === "ediPartyName";
  if ((tag & 0xc0) !== 0x80 || form === undefined || constructed !== shouldBe) {
    throw new DerError(`${what} is not a GeneralName`);
  }
  return form;
}

/** The forms of GeneralName whose constraints are not processed (all but dNSName, iPAddress, directoryName). */
export type OtherNameForm = Exclude<GeneralNameForm, "dNSName" | "iPAddress" | "directoryName">;

/** The base of one GeneralSubtree: a DNS name, an IP range, a DER Name, or a form that is not processed. */
export type NameConstraintBase =
  | { readonly form: "dNSName"; readonly name: string }
  | { readonly form: "iPAddress"; readonly address: Uint8Array; readonly mask: Uint8Array }
  | { readonly form: "directoryName"; readonly name: Uint8Array }
  | { readonly form: OtherNameForm };

/** The decoded name constraints extension. */
export interface NameConstraints {
  /** The permitted subtrees; undefined when the field is absent (no restriction). */
  readonly permitted?: readonly NameConstraintBase[];
  /** The excluded subtrees; empty when the field is absent. */
  readonly excluded: readonly NameConstraintBase[];
}

const EMAIL_ADDRESS = "1.2.840.113549.1.9.1";

/** The number of leading one bits of `mask`, or -1 when its ones are not a contiguous prefix. */
function prefixLength(mask: Uint8Array): number {
  let bits = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      if (byte & (1 << bit)) {
        if (ended) return -1;
        bits++;
      } else {
        ended = true;
      }
    }
  }
  return bits;
}

/** GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree, read from an IMPLICIT [0] or [1]. */
function decodeSubtrees(reader: DerReader, what: string): NameConstraintBase[] {
  if (reader.done) throw new DerError(`${what} is empty`);
  const out: NameConstraintBase[] = [];
  while (!reader.done) {
    const subtree = childrenOf(reader.read(Tag.SEQUENCE, `${what} GeneralSubtree`));
    const base = subtree.readAny(`${what} base`);
    // minimum is DEFAULT 0 and maximum MUST be absent (§4.2.1.10): in DER, neither field appears.
    if (!subtree.done) throw new DerError(`${what}: minimum and maximum must be absent`);
    const form = generalNameForm(base.tag, `${what} base`);
    if (form === "dNSName") {
      if (!/^[\x21-\x7e]*$/.test(String.fromCharCode(...base.value))) {
        throw new DerError(`${what}: dNSName constraint is not a printable ASCII name`);
      }
      out.push({ form: "dNSName", name: String.fromCharCode(...base.value) });
    } else if (form === "iPAddress") {
      const half = base.value.length / 2;
      if (half !== 4 && half !== 16) {
        throw new DerError(`${what}: iPAddress constraint of ${half * 2} octets`);
      }
      const mask = base.value.slice(half);
      if (prefixLength(mask) < 0) throw new DerError(`${what}: iPAddress mask is not a prefix`);
      out.push({ form: "iPAddress", address: base.value.slice(0, half), mask });
    } else if (form === "directoryName") {
      // [4] EXPLICIT Name.
      const inner = new DerReader(base.value);
      const name = inner.read(Tag.SEQUENCE, `${what}: directoryName`).bytes.slice();
      inner.expectEnd(`${what}: directoryName`);
      formatName(name); // throws unless it is a Name
      out.push({ form: "directoryName", name });
    } else {
      out.push({ form });
    }
  }
  return out;
}

/**
 * Decodes the value of a name constraints extension (RFC 5280 §4.2.1.10). Throws on malformed DER, on an
 * empty extension or empty list, on minimum/maximum fields, and on bad dNSName or iPAddress bases.
 */
export function decodeNameConstraints(value: Uint8Array): NameConstraints {
  const outer = new DerReader(value);
  const seq = childrenOf(outer.read(Tag.SEQUENCE, "nameConstraints"));
  outer.expectEnd("nameConstraints");
  const permitted = seq.readOptional(contextTag(0, true), "permittedSubtrees");
  const excluded = seq.readOptional(contextTag(1, true), "excludedSubtrees");
  seq.expectEnd("nameConstraints");
  if (!permitted && !excluded) throw new DerError("nameConstraints is empty");
  return {
    permitted: permitted ? decodeSubtrees(childrenOf(permitted), "permittedSubtrees") : undefined,
    excluded: excluded ? decodeSubtrees(childrenOf(excluded), "excludedSubtrees") : [],
  };
}

/** A name as presented by a certificate and compared with constraints. */
type PresentedName =
  | { readonly form: "dNSName"; readonly name: string }
  | { readonly form: "iPAddress"; readonly bytes: Uint8Array }
  | { readonly form: "directoryName"; readonly name: Uint8Array }
  | { readonly form: OtherNameForm };

function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function withoutTrailingDot(s: string): string {
  return s.endsWith(".") ? s.slice(0, -1) : s;
}

/** Whether every name `name` stands for lies in the subtree `constraint` (`name` may be `*.` + labels). */
function dnsWithin(name: string, constraint: string): boolean {
  if (constraint === "") return true;
  if (constraint.startsWith(".")) return name.endsWith(constraint);
  return name === constraint || name.endsWith(`.${constraint}`);
}

/** Whether some name that `name` stands for lies in the subtree `constraint`. */
function dnsMeets(name: string, constraint: string): boolean {
  if (dnsWithin(name, constraint)) return true;
  // `*.example.com` stands for `x.example.com`, which the subtree `www.example.com` holds.
  if (!name.startsWith("*.") || constraint.startsWith(".")) return false;
  const rest = name.slice(2);
  return constraint.endsWith(`.${rest}`) && !constraint.slice(0, -rest.length - 1).includes(".");
}

function ipWithin(bytes: Uint8Array, base: { address: Uint8Array; mask: Uint8Array }): boolean {
  return bytes.length === base.address.length &&
    bytes.every((b, i) => (b & base.mask[i]) === (base.address[i] & base.mask[i]));
}

/** Whether `name` lies in the subtree `base` — for an excluded subtree, whether it meets it at all. */
function covers(base: NameConstraintBase, name: PresentedName, excluded: boolean): boolean {
  if (base.form === "dNSName" && name.form === "dNSName") {
    const constraint = withoutTrailingDot(asciiLower(base.name));
    return excluded ? dnsMeets(name.name, constraint) : dnsWithin(name.name, constraint);
  }
  if (base.form === "iPAddress" && name.form === "iPAddress") return ipWithin(name.bytes, base);
  if (base.form === "directoryName" && name.form === "directoryName") return nameWithin(name.name, base.name);
  return false;
}

function describeName(name: PresentedName): string {
  if (name.form === "dNSName") return `dNSName "${name.name}"`;
  if (name.form === "iPAddress") return `iPAddress ${formatIpAddress(name.bytes)}`;
  if (name.form === "directoryName") return `directoryName "${formatName(name.name)}"`;
  return name.form;
}

function describeBase(base: NameConstraintBase): string {
  if (base.form === "dNSName") return `"${base.name}"`;
  if (base.form === "iPAddress") {
    return `${formatIpAddress(base.address)}/${prefixLength(base.mask)}`;
  }
  if (base.form === "directoryName") return `"${formatName(base.name)}"`;
  return base.form;
}

/** The names of `cert` that constraints apply to; `forms` limits the unprocessed forms to those constrained. */
function presentedNames(cert: ParsedCertificate, forms: ReadonlySet<GeneralNameForm>): PresentedName[] {
  const names: PresentedName[] = cert.subjectAltNames.map((san) =>
    san.type === "dns"
      ? { form: "dNSName", name: withoutTrailingDot(asciiLower(san.value)) }
      : { form: "iPAddress", bytes: san.bytes }
  );
  for (const form of cert.otherSubjectAltNameForms) names.push({ form });
  if (forms.has("directoryName")) {
    // The subject is a directoryName when it is not empty (an empty Name is the two octets 30 00).
    if (cert.subjectDer.length > 2) names.push({ form: "directoryName", name: cert.subjectDer });
    for (const name of cert.directoryNames) names.push({ form: "directoryName", name });
  }
  if (forms.has("rfc822Name")) {
    const subject = asn1Schema.AsnParser.parse(cert.subjectDer, asn1X509.Name);
    if ([...subject].some((rdn) => [...rdn].some((atv) => atv.type === EMAIL_ADDRESS))) {
      names.push({ form: "rfc822Name" });
    }
  }
  return names;
}

/**
 * Checks the certificates `below` a CA (leaf first, up to the one the CA issued) against the CA's name
 * constraints (RFC 5280 §6.1.3 (b), (c)). Throws {@link CertificateVerificationError} with code
 * `name_constraint_violation`, naming the certificate whose name is outside the constraints.
 *
 * @example
 * ```ts ignore
 * checkNameConstraints(intermediate, [leaf]);
 * ```
 */
export function checkNameConstraints(ca: ParsedCertificate, below: readonly ParsedCertificate[]): void {
  const constraints = ca.nameConstraints;
  if (!constraints) return;
  const all = [...(constraints.permitted ?? []), ...constraints.excluded];
  const forms = new Set(all.map((b) => b.form));
  below.forEach((cert, i) => {
    // §6.1.3 (b): a self-issued certificate that is not the last of the path is not checked.
    if (i > 0 && equal(cert.issuerDer, cert.subjectDer)) return;
    for (const name of presentedNames(cert, forms)) {
      const fail = (message: string): never => {
        throw new CertificateVerificationError("name_constraint_violation", message, cert.subject);
      };
      const of = `of the name constraints of "${ca.subject}"`;
      if (name.form === "dNSName" && forms.has("dNSName") && !isValidDnsName(name.name, true)) {
        fail(
          `dNSName "${name.name}" is not a valid DNS name, so it cannot meet the DNS name constraints ${of}`,
        );
      }
      if (name.form !== "dNSName" && name.form !== "iPAddress" && name.form !== "directoryName") {
        if (forms.has(name.form)) {
          fail(
            `it has a ${name.form} name, and "${ca.subject}" constrains ${name.form} names, which are not supported`,
          );
        }
        continue;
      }
      const excluded = constraints.excluded.find((base) => covers(base, name, true));
      if (excluded) {
        fail(`${describeName(name)} lies in the excluded subtree ${describeBase(excluded)} ${of}`);
      }
      const permitted = constraints.permitted?.filter((base) => base.form === name.form) ?? [];
      if (permitted.length > 0 && !permitted.some((base) => covers(base, name, false))) {
        fail(
          `${describeName(name)} lies outside the permitted subtrees (${
            permitted.map(describeBase).join(", ")
          }) ${of}`,
        );
      }
    }
  });
}
