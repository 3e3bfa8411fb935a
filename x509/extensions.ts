/**
 * The certificate extensions this library decodes (RFC 5280 §4.2), each strictly: a known extension whose
 * value is not well-formed DER of its ASN.1 type makes the whole certificate `malformed`, whether or not the
 * extension is critical and whether or not it is used — a certificate that its CA encoded wrongly is not
 * trusted to mean anything (CA/Browser Forum BR §7.1.2.7.7, §7.1.2.10.3: the authorityInfoAccess, for one,
 * "MUST contain one or more AccessDescriptions").
 *
 * What is kept goes into the {@link ParsedCertificate} being built: names, key usages, key identifiers, basic
 * and name constraints, the access descriptions. Whether the extensions fit the profile of the certificate's
 * place on a path is checked later, by `profile.ts`.
 *
 * @module
 */

import { asn1Schema, asn1X509 } from "../deps.ts";
import { childrenOf, contextTag, decodeOid, DerError, DerReader, Tag } from "./_der.ts";
import type { ParsedCertificate } from "./certificate.ts";
import { formatIpAddress, type SubjectAltName } from "./names.ts";
import { decodeNameConstraints, generalNameForm, type OtherNameForm } from "./name_constraints.ts";

/** Object identifiers of the extensions whose content this library acts on (RFC 5280 §4.2.1). */
export const ExtensionOid = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  nameConstraints: "2.5.29.30",
} as const;

/**
 * The authority information access extension (RFC 5280 §4.2.2.1): decoded to refuse a malformed one, but not
 * acted on (nothing is fetched), so a critical one is an unknown critical extension.
 */
export const AUTHORITY_INFO_ACCESS_OID = "1.3.6.1.5.5.7.1.1";

/** Key purposes of the extended key usage extension (RFC 5280 §4.2.1.12). */
export const KeyPurposeOid = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  anyExtendedKeyUsage: "2.5.29.37.0",
} as const;

/** One bit of the key usage extension by name (RFC 5280 §4.2.1.3). */
export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

/** The bits of the key usage extension, in bit order (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

/** The basic constraints extension (RFC 5280 §4.2.1.9). */
export interface BasicConstraints {
  /** Whether the subject is a CA. */
  readonly cA: boolean;
  /** The most non-self-issued intermediate CA certificates that may follow this one in a path. */
  readonly pathLenConstraint?: number;
}

/** The authority key identifier extension (RFC 5280 §4.2.1.1), every field. */
export interface AuthorityKeyIdentifier {
  /** The keyIdentifier field. */
  readonly keyIdentifier?: Uint8Array;
  /** The DER GeneralNames of the authorityCertIssuer field. */
  readonly authorityCertIssuer?: Uint8Array;
  /** The authorityCertSerialNumber field, as lowercase hex of the INTEGER contents. */
  readonly authorityCertSerialNumber?: string;
}

/** One AccessDescription of the authority information access extension (RFC 5280 §4.2.2.1). */
export interface AccessDescription {
  /** The accessMethod OID, e.g. `1.3.6.1.5.5.7.48.1` (OCSP) or `1.3.6.1.5.5.7.48.2` (caIssuers). */
  readonly method: string;
  /** The accessLocation: the URI, or the GeneralName form when it is not a URI. */
  readonly location: string;
}

/** One extension as it appears in the certificate. */
export interface RawExtension {
  /** The extnID, dotted. */
  readonly oid: string;
  /** Whether it is marked critical. */
  readonly critical: boolean;
  /** The DER contents of extnValue. */
  readonly value: Uint8Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The part of a certificate that {@link decodeExtensions} fills in. */
export type ExtensionFields = Pick<
  Mutable<ParsedCertificate>,
  | "extensions"
  | "criticalExtensions"
  | "subjectAltNames"
  | "directoryNames"
  | "otherSubjectAltNameForms"
  | "nameConstraints"
  | "basicConstraints"
  | "keyUsage"
  | "extKeyUsage"
  | "subjectKeyIdentifier"
  | "authorityKeyIdentifier"
  | "authorityKey"
  | "authorityInfoAccess"
>;

/** The DER Name inside a directoryName GeneralName ([4] EXPLICIT Name), checked to be a Name. */
function directoryNameOf(value: Uint8Array, what: string): Uint8Array {
  const reader = new DerReader(value);
  const name = reader.read(Tag.SEQUENCE, `${what} directoryName`).bytes;
  reader.expectEnd(`${what} directoryName`);
  asn1Schema.AsnParser.parse(name, asn1X509.Name);
  return name.slice();
}

/**
 * The subjectAltName extension (RFC 5280 §4.2.1.6): dNSName and iPAddress entries for matching, the
 * directoryName entries for name constraints; of the others only the form is kept.
 */
function decodeSubjectAltName(value: Uint8Array, cert: ExtensionFields): void {
  const outer = new DerReader(value);
  const names = childrenOf(outer.read(Tag.SEQUENCE, "subjectAltName"));
  outer.expectEnd("subjectAltName");
  if (names.done) throw new DerError("subjectAltName is empty");
  const out: SubjectAltName[] = [];
  const directoryNames: Uint8Array[] = [];
  const otherForms: OtherNameForm[] = [];
  while (!names.done) {
    const name = names.readAny("GeneralName");
    const form = generalNameForm(name.tag, "a subjectAltName entry");
    if (form === "dNSName") {
      if (name.value.some((b) => b >= 0x80)) throw new DerError("dNSName is not an IA5String");
      out.push({ type: "dns", value: String.fromCharCode(...name.value) });
    } else if (form === "iPAddress") {
      if (name.value.length !== 4 && name.value.length !== 16) {
        throw new DerError(`iPAddress of ${name.value.length} bytes`);
      }
      out.push({ type: "ip", value: formatIpAddress(name.value), bytes: name.value.slice() });
    } else if (form === "directoryName") {
      directoryNames.push(directoryNameOf(name.value, "subjectAltName"));
    } else if (!otherForms.includes(form)) {
      otherForms.push(form);
    }
  }
  cert.subjectAltNames = out;
  cert.directoryNames = directoryNames;
  cert.otherSubjectAltNameForms = otherForms;
}

/** The key usage BIT STRING (RFC 5280 §4.2.1.3). */
function decodeKeyUsage(value: Uint8Array): Set<KeyUsageName> {
  const reader = new DerReader(value);
  const bits = reader.read(Tag.BIT_STRING, "keyUsage").value;
  reader.expectEnd("keyUsage");
  if (bits.length < 1 || bits[0] > 7 || (bits.length === 1 && bits[0] !== 0)) {
    throw new DerError("keyUsage BIT STRING is malformed");
  }
  const set = new Set<KeyUsageName>();
  KEY_USAGE_BITS.forEach((name, i) => {
    const byte = bits[1 + (i >> 3)];
    if (byte !== undefined && byte & (0x80 >> (i & 7))) set.add(name);
  });
  return set;
}

function decodeKeyIdentifier(value: Uint8Array): Uint8Array {
  const reader = new DerReader(value);
  const id = reader.read(Tag.OCTET_STRING, "subjectKeyIdentifier").value;
  reader.expectEnd("subjectKeyIdentifier");
  return id.slice();
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0], authorityCertIssuer [1], authorityCertSerialNumber [2] } */
function decodeAuthorityKeyIdentifier(value: Uint8Array): AuthorityKeyIdentifier {
  const outer = new DerReader(value);
  const seq = childrenOf(outer.read(Tag.SEQUENCE, "authorityKeyIdentifier"));
  outer.expectEnd("authorityKeyIdentifier");
  const keyIdentifier = seq.readOptional(contextTag(0, false), "keyIdentifier")?.value.slice();
  const issuer = seq.readOptional(contextTag(1, true), "authorityCertIssuer");
  const serial = seq.readOptional(contextTag(2, false), "authorityCertSerialNumber");
  seq.expectEnd("authorityKeyIdentifier");
  if (issuer) {
    const names = childrenOf(issuer);
    if (names.done) throw new DerError("authorityCertIssuer is empty");
    while (!names.done) generalNameForm(names.readAny("GeneralName").tag, "an authorityCertIssuer entry");
  }
  if (serial && serial.value.length === 0) throw new DerError("authorityCertSerialNumber is empty");
  return {
    keyIdentifier,
    authorityCertIssuer: issuer?.bytes.slice(),
    authorityCertSerialNumber: serial?.value.toHex(),
  };
}

/** AuthorityInfoAccessSyntax ::= SEQUENCE SIZE (1..MAX) OF AccessDescription (RFC 5280 §4.2.2.1). */
function decodeAuthorityInfoAccess(value: Uint8Array): AccessDescription[] {
  const outer = new DerReader(value);
  const list = childrenOf(outer.read(Tag.SEQUENCE, "authorityInfoAccess"));
  outer.expectEnd("authorityInfoAccess");
  if (list.done) throw new DerError("authorityInfoAccess is empty");
  const out: AccessDescription[] = [];
  while (!list.done) {
    const description = childrenOf(list.read(Tag.SEQUENCE, "AccessDescription"));
    const method = decodeOid(description.read(Tag.OID, "accessMethod").value);
    const location = description.readAny("accessLocation");
    description.expectEnd("AccessDescription");
    const form = generalNameForm(location.tag, "accessLocation");
    if (form === "uniformResourceIdentifier" && location.value.some((b) => b >= 0x80)) {
      throw new DerError("accessLocation URI is not an IA5String");
    }
    out.push({
      method,
      location: form === "uniformResourceIdentifier" ? String.fromCharCode(...location.value) : form,
    });
  }
  return out;
}

/**
 * Decodes the extensions of a v3 certificate into `cert`: every instance is recorded, the known ones are
 * decoded strictly. Throws on an empty list, a repeated extension (RFC 5280 §4.2) or a malformed value.
 */
export function decodeExtensions(
  extensions: InstanceType<typeof asn1X509.Extensions>,
  cert: ExtensionFields,
): void {
  if (extensions.length === 0) throw new DerError("extensions is empty");
  const seen = new Set<string>();
  const all: RawExtension[] = [];
  const critical: string[] = [];
  for (const ext of extensions) {
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension.
    if (seen.has(ext.extnID)) throw new DerError(`extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    const value = new Uint8Array(ext.extnValue.buffer);
    all.push({ oid: ext.extnID, critical: ext.critical, value: value.slice() });
    if (ext.critical) critical.push(ext.extnID);
    switch (ext.extnID) {
      case ExtensionOid.subjectAltName:
        decodeSubjectAltName(value, cert);
        break;
      case ExtensionOid.basicConstraints: {
        const bc = asn1Schema.AsnParser.parse(value, asn1X509.BasicConstraints);
        if (bc.pathLenConstraint !== undefined && bc.pathLenConstraint < 0) {
          throw new DerError("negative pathLenConstraint");
        }
        cert.basicConstraints = { cA: bc.cA, pathLenConstraint: bc.pathLenConstraint };
        break;
      }
      case ExtensionOid.keyUsage:
        cert.keyUsage = decodeKeyUsage(value);
        break;
      case ExtensionOid.extKeyUsage: {
        const eku = [...asn1Schema.AsnParser.parse(value, asn1X509.ExtendedKeyUsage)];
        if (eku.length === 0) throw new DerError("extKeyUsage is empty");
        cert.extKeyUsage = eku;
        break;
      }
      case ExtensionOid.subjectKeyIdentifier:
        cert.subjectKeyIdentifier = decodeKeyIdentifier(value);
        break;
      case ExtensionOid.authorityKeyIdentifier:
        cert.authorityKey = decodeAuthorityKeyIdentifier(value);
        cert.authorityKeyIdentifier = cert.authorityKey.keyIdentifier;
        break;
      case ExtensionOid.nameConstraints:
        cert.nameConstraints = decodeNameConstraints(value);
        break;
      case AUTHORITY_INFO_ACCESS_OID:
        cert.authorityInfoAccess = decodeAuthorityInfoAccess(value);
        break;
    }
  }
  cert.extensions = all;
  cert.criticalExtensions = critical;
}
