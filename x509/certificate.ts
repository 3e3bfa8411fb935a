/**
 * X.509 v3 certificates (RFC 5280 §4): parsing a DER certificate into the facts that path validation and
 * name checks need, keeping the exact signed bytes.
 *
 * The structure is checked twice: a strict DER walk ({@link DerReader}) takes the exact bytes of the
 * TBSCertificate, the Names and the SubjectPublicKeyInfo and refuses trailing data, and
 * `@peculiar/asn1-x509` decodes the typed parts. A certificate whose signature or key algorithm is not
 * supported still parses (a trust anchor signed with SHA-1 is fine, as its own signature is never checked);
 * `signatureAlgorithm` or `publicKey` is then undefined and the verifier refuses to use it.
 *
 * @module
 */

import { asn1Schema, asn1X509 } from "../deps.ts";
import { equal } from "../bytes.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { PublicKeyInfo, SignatureAlgorithm } from "../crypto/provider.ts";
import { childrenOf, contextTag, DerReader, Tag } from "./_der.ts";
import { decodePublicKey, decodeSignatureAlgorithm } from "./_algorithms.ts";
import { formatName } from "./_dn.ts";
import type { SubjectAltName } from "./names.ts";
import type { NameConstraints, OtherNameForm } from "./name_constraints.ts";
import {
  type AccessDescription,
  type AuthorityKeyIdentifier,
  type BasicConstraints,
  decodeExtensions,
  type KeyUsageName,
  type RawExtension,
} from "./extensions.ts";

export {
  type AccessDescription,
  AUTHORITY_INFO_ACCESS_OID,
  type AuthorityKeyIdentifier,
  type BasicConstraints,
  ExtensionOid,
  KEY_USAGE_BITS,
  KeyPurposeOid,
  type KeyUsageName,
  type RawExtension,
} from "./extensions.ts";

/** The facts of one certificate. */
export interface ParsedCertificate {
  /** The whole DER encoding. */
  readonly der: Uint8Array;
  /** The DER TBSCertificate exactly as it appears in `der`: the signed bytes. */
  readonly tbs: Uint8Array;
  /** The version: 1, 2 or 3 (RFC 5280 §4.1.2.1). */
  readonly version: 1 | 2 | 3;
  /** The serial number as lowercase hex of its DER INTEGER contents. */
  readonly serialNumber: string;
  /** Issuer, RFC 4514 style. */
  readonly issuer: string;
  /** The DER issuer Name, compared byte for byte with the subject Name of candidate issuers. */
  readonly issuerDer: Uint8Array;
  /** Subject, RFC 4514 style (e.g. `"CN=example.com, O=Example"`). */
  readonly subject: string;
  /** The DER subject Name. */
  readonly subjectDer: Uint8Array;
  /** Start of the validity period. */
  readonly notBefore: Date;
  /** End of the validity period (inclusive). */
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** The public key, or undefined when its type is not supported (see `publicKeyName`). */
  readonly publicKey?: PublicKeyInfo;
  /** A readable description of the key, e.g. `"EC P-256"` or `"RSA 2048"`. */
  readonly publicKeyName: string;
  /** RSA modulus length in bits. */
  readonly modulusBits?: number;
  /** The algorithm of the issuer's signature, or undefined when it is not supported (see `signatureAlgorithmName`). */
  readonly signatureAlgorithm?: SignatureAlgorithm;
  /** A readable name of the signature algorithm, e.g. `"ecdsa-with-SHA256"` or `"sha1WithRSAEncryption"`. */
  readonly signatureAlgorithmName: string;
  /** The signature value (DER for ECDSA). */
  readonly signature: Uint8Array;
  /** DNS names and IP addresses of the subjectAltName extension, in certificate order. */
  readonly subjectAltNames: readonly SubjectAltName[];
  /** The DER Names of the directoryName entries of the subjectAltName extension, for name constraints. */
  readonly directoryNames: readonly Uint8Array[];
  /**
   * The forms of the other subjectAltName entries (rfc822Name, uniformResourceIdentifier, …), which are not
   * used for matching but must be refused under name constraints of their form (RFC 5280 §4.2.1.10).
   */
  readonly otherSubjectAltNameForms: readonly OtherNameForm[];
  /** The name constraints extension, when present (RFC 5280 §4.2.1.10). */
  readonly nameConstraints?: NameConstraints;
  /** The basic constraints extension, when present. */
  readonly basicConstraints?: BasicConstraints;
  /** The key usage bits that are set, when the extension is present. */
  readonly keyUsage?: ReadonlySet<KeyUsageName>;
  /** The key purpose OIDs of the extended key usage extension, when present. */
  readonly extKeyUsage?: readonly string[];
  /** The subject key identifier extension, when present (RFC 5280 §4.2.1.2). */
  readonly subjectKeyIdentifier?: Uint8Array;
  /** The keyIdentifier of the authority key identifier extension, when present (RFC 5280 §4.2.1.1). */
  readonly authorityKeyIdentifier?: Uint8Array;
  /** The whole authority key identifier extension, when present. */
  readonly authorityKey?: AuthorityKeyIdentifier;
  /** The authority information access extension, when present (RFC 5280 §4.2.2.1). */
  readonly authorityInfoAccess?: readonly AccessDescription[];
  /** Every extension, in certificate order. */
  readonly extensions: readonly RawExtension[];
  /** OIDs of every extension marked critical. */
  readonly criticalExtensions: readonly string[];
}

/** Thrown inside this module for a structural problem; turned into a `malformed` verification error. */
class Malformed extends Error {}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Decodes a UTCTime or GeneralizedTime in the only forms RFC 5280 §4.1.2.5 allows (seconds, "Z"). */
function decodeTime(reader: DerReader, what: string): Date {
  const tlv = reader.readAny(what);
  const text = new TextDecoder().decode(tlv.value);
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === Tag.UTC_TIME && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    // RFC 5280 §4.1.2.5.1: YY >= 50 means 19YY, otherwise 20YY.
    year = Number(m[1]) >= 50 ? 1900 + Number(m[1]) : 2000 + Number(m[1]);
  } else if (
    tlv.tag === Tag.GENERALIZED_TIME && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))
  ) {
    year = Number(m[1]);
  } else {
    throw new Malformed(`${what} is not a UTCTime or GeneralizedTime of the form RFC 5280 requires`);
  }
  const [month, day, hour, minute, second] = m.slice(2).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59
  ) {
    throw new Malformed(`${what} is not a valid date`);
  }
  return date;
}

/** Walks the certificate's DER and fills in everything but the extensions. */
function decodeStructure(der: Uint8Array): Mutable<ParsedCertificate> {
  const top = new DerReader(der);
  const certificate = childrenOf(top.read(Tag.SEQUENCE, "Certificate"));
  // Anything after the certificate means the bytes are not one certificate.
  top.expectEnd("Certificate");
  const tbsTlv = certificate.read(Tag.SEQUENCE, "tbsCertificate");
  const outerAlgorithm = certificate.read(Tag.SEQUENCE, "signatureAlgorithm").bytes;
  const signatureBits = certificate.read(Tag.BIT_STRING, "signatureValue").value;
  certificate.expectEnd("Certificate");
  if (signatureBits.length < 1 || signatureBits[0] !== 0) {
    throw new Malformed("signatureValue has unused bits");
  }

  const tbs = childrenOf(tbsTlv);
  tbs.readOptional(contextTag(0, true), "version");
  const serial = tbs.read(Tag.INTEGER, "serialNumber").value;
  const innerAlgorithm = tbs.read(Tag.SEQUENCE, "signature").bytes;
  // RFC 5280 §4.1.1.2: the signatureAlgorithm field MUST contain the same identifier as the signature field.
  if (!equal(innerAlgorithm, outerAlgorithm)) {
    throw new Malformed("signatureAlgorithm differs from the TBSCertificate signature field");
  }
  const issuerDer = tbs.read(Tag.SEQUENCE, "issuer").bytes;
  const validity = childrenOf(tbs.read(Tag.SEQUENCE, "validity"));
  const notBefore = decodeTime(validity, "notBefore");
  const notAfter = decodeTime(validity, "notAfter");
  validity.expectEnd("validity");
  const subjectDer = tbs.read(Tag.SEQUENCE, "subject").bytes;
  const spki = tbs.read(Tag.SEQUENCE, "subjectPublicKeyInfo").bytes;

  const signatureAlgorithm = decodeSignatureAlgorithm(innerAlgorithm);
  const publicKey = decodePublicKey(spki);
  return {
    der,
    tbs: tbsTlv.bytes,
    version: 1,
    serialNumber: serial.toHex(),
    issuer: formatName(issuerDer),
    issuerDer,
    subject: formatName(subjectDer),
    subjectDer,
    notBefore,
    notAfter,
    spki,
    publicKey: publicKey.key,
    publicKeyName: publicKey.name,
    modulusBits: publicKey.modulusBits,
    signatureAlgorithm: signatureAlgorithm.algorithm,
    signatureAlgorithmName: signatureAlgorithm.name,
    signature: signatureBits.subarray(1),
    subjectAltNames: [],
    directoryNames: [],
    otherSubjectAltNameForms: [],
    extensions: [],
    criticalExtensions: [],
  };
}

/**
 * Parses a DER certificate. Throws {@link CertificateVerificationError} with code `malformed` when the bytes
 * are not exactly one well-formed X.509 certificate of a known version; `what` names the certificate in the
 * message.
 *
 * @example
 * ```ts ignore
 * const cert = decodeCertificate(der);
 * console.log(cert.subject, cert.notAfter, cert.subjectAltNames);
 * ```
 */
export function decodeCertificate(der: Uint8Array, what = "the certificate"): ParsedCertificate {
  let cert: Mutable<ParsedCertificate> | undefined;
  try {
    cert = decodeStructure(der);
    const parsed = asn1Schema.AsnParser.parse(der, asn1X509.Certificate).tbsCertificate;
    const version = parsed.version;
    if (version !== 0 && version !== 1 && version !== 2) {
      throw new Malformed(`unknown version ${version + 1}`);
    }
    cert.version = (version + 1) as 1 | 2 | 3;
    // RFC 5280 §4.1.2.1: extensions need v3, unique identifiers need v2 or v3.
    if (parsed.extensions && version !== 2) {
      throw new Malformed(`a v${version + 1} certificate with extensions`);
    }
    if ((parsed.issuerUniqueID || parsed.subjectUniqueID) && version === 0) {
      throw new Malformed("a v1 certificate with unique identifiers");
    }
    if (parsed.extensions) decodeExtensions(parsed.extensions, cert);
    return cert;
  } catch (e) {
    if (e instanceof CertificateVerificationError) throw e;
    throw new CertificateVerificationError(
      "malformed",
      `${what} is not a well-formed X.509 certificate: ${(e as Error).message}`,
      cert?.subject,
      { cause: e },
    );
  }
}
