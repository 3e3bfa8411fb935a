/**
 * A certificate as the public API shows it: the {@link PeerCertificate} fields that a handshake reports, plus
 * the version, serial number, algorithms and the extensions, decoded where this library knows them and raw
 * in any case. Made from the internal {@link ParsedCertificate} by {@link toX509Certificate}.
 *
 * @module
 */

import { formatName } from "./_dn.ts";
import {
  type AccessDescription,
  decodeCertificate,
  type KeyUsageName,
  type ParsedCertificate,
} from "./certificate.ts";
import { formatIpAddress } from "./names.ts";
import type { NameConstraintBase } from "./name_constraints.ts";
import { decodePem } from "./pem.ts";
import type { PeerCertificate } from "./verifier.ts";
import { CertificateVerificationError } from "../errors.ts";

/** A certificate's public key. */
export interface X509PublicKey {
  /** A readable description, e.g. `"EC P-256"`, `"RSA 2048"`, `"Ed25519"`, or the algorithm of a key type
   * this library does not support (e.g. `"id-dsa"`). */
  readonly name: string;
  /** The DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** The key type, when this library supports it. */
  readonly keyType?: "EC" | "RSA" | "RSA-PSS" | "Ed25519";
  /** The curve of an EC key. */
  readonly curve?: "P-256" | "P-384" | "P-521";
  /** The modulus length of an RSA key, in bits. */
  readonly modulusBits?: number;
}

/** One subtree of a name constraint: the GeneralName form and its value in text form. */
export interface X509NameConstraint {
  /** The form, e.g. `"dNSName"`, `"iPAddress"`, `"directoryName"` or `"rfc822Name"`. */
  readonly form: string;
  /** `"example.com"`, `"10.0.0.0/8"`, `"O=Example, C=NZ"`; empty for the forms that are not decoded. */
  readonly value: string;
}

/** One extension as it appears in the certificate. */
export interface X509Extension {
  /** The extnID, dotted (e.g. `"2.5.29.17"` for subjectAltName). */
  readonly oid: string;
  /** Whether it is marked critical. */
  readonly critical: boolean;
  /** The DER contents of extnValue. */
  readonly value: Uint8Array;
}

/** A parsed X.509 certificate: what a handshake reports in `peerCertificates`, and more. */
export interface X509Certificate extends PeerCertificate {
  /** The version: 1, 2 or 3. */
  readonly version: 1 | 2 | 3;
  /** The serial number, as lowercase hex of its DER INTEGER contents. */
  readonly serialNumber: string;
  /** The issuer's signature algorithm, e.g. `"ecdsa-with-SHA256"` or `"sha256WithRSAEncryption"`. */
  readonly signatureAlgorithm: string;
  /** The subject's public key. */
  readonly publicKey: X509PublicKey;
  /** The basic constraints extension (RFC 5280 §4.2.1.9). */
  readonly basicConstraints?: {
    /** Whether the subject is a CA. */
    readonly cA: boolean;
    /** The most intermediate CA certificates that may follow this one on a path. */
    readonly pathLenConstraint?: number;
  };
  /** The key usage bits that are set (RFC 5280 §4.2.1.3). */
  readonly keyUsage?: readonly KeyUsageName[];
  /** The key purpose OIDs of the extended key usage extension (RFC 5280 §4.2.1.12). */
  readonly extKeyUsage?: readonly string[];
  /** The subject key identifier, as lowercase hex (RFC 5280 §4.2.1.2). */
  readonly subjectKeyIdentifier?: string;
  /** The authority key identifier extension (RFC 5280 §4.2.1.1). */
  readonly authorityKeyIdentifier?: {
    /** The keyIdentifier, as lowercase hex: the issuer's subject key identifier. */
    readonly keyIdentifier?: string;
    /** True when the authorityCertIssuer field is present (the profile forbids it). */
    readonly authorityCertIssuer?: boolean;
    /** The authorityCertSerialNumber, as lowercase hex, when present (the profile forbids it). */
    readonly authorityCertSerialNumber?: string;
  };
  /** The directoryName entries of the subjectAltName extension, RFC 4514 style. */
  readonly subjectAltDirectoryNames: readonly string[];
  /** The name constraints extension (RFC 5280 §4.2.1.10). */
  readonly nameConstraints?: {
    /** The permitted subtrees; absent when the field is absent (no restriction). */
    readonly permitted?: readonly X509NameConstraint[];
    /** The excluded subtrees; empty when the field is absent. */
    readonly excluded: readonly X509NameConstraint[];
  };
  /** The authority information access extension: OCSP responders and CA issuer URLs (RFC 5280 §4.2.2.1). */
  readonly authorityInfoAccess?: readonly AccessDescription[];
  /** Every extension, in certificate order, decoded or not. */
  readonly extensions: readonly X509Extension[];
}

function describeBase(base: NameConstraintBase): X509NameConstraint {
  switch (base.form) {
    case "dNSName":
      return { form: base.form, value: base.name };
    case "iPAddress": {
      const bits = [...base.mask].reduce((n, b) => n + b.toString(2).replace(/0/g, "").length, 0);
      return { form: base.form, value: `${formatIpAddress(base.address)}/${bits}` };
    }
    case "directoryName":
      return { form: base.form, value: formatName(base.name) };
    default:
      return { form: base.form, value: "" };
  }
}

/** The public view of a parsed certificate. */
export function toX509Certificate(cert: ParsedCertificate): X509Certificate {
  const aki = cert.authorityKey;
  const nc = cert.nameConstraints;
  return {
    der: cert.der,
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    subjectAltNames: cert.subjectAltNames.map((n) => n.value),
    version: cert.version,
    serialNumber: cert.serialNumber,
    signatureAlgorithm: cert.signatureAlgorithmName,
    publicKey: {
      name: cert.publicKeyName,
      spki: cert.spki,
      keyType: cert.publicKey?.keyType,
      curve: cert.publicKey?.curve,
      modulusBits: cert.modulusBits,
    },
    basicConstraints: cert.basicConstraints,
    keyUsage: cert.keyUsage ? [...cert.keyUsage] : undefined,
    extKeyUsage: cert.extKeyUsage,
    subjectKeyIdentifier: cert.subjectKeyIdentifier?.toHex(),
    authorityKeyIdentifier: aki && {
      keyIdentifier: aki.keyIdentifier?.toHex(),
      authorityCertIssuer: aki.authorityCertIssuer ? true : undefined,
      authorityCertSerialNumber: aki.authorityCertSerialNumber,
    },
    subjectAltDirectoryNames: cert.directoryNames.map(formatName),
    nameConstraints: nc && {
      permitted: nc.permitted?.map(describeBase),
      excluded: nc.excluded.map(describeBase),
    },
    authorityInfoAccess: cert.authorityInfoAccess,
    extensions: cert.extensions,
  };
}

/**
 * The DER of a certificate given as DER, as PEM holding exactly one CERTIFICATE block, or as a certificate
 * this module parsed. Throws {@link CertificateVerificationError} (`malformed`) naming `what` otherwise.
 */
export function certificateDer(
  input: Uint8Array | string | { readonly der: Uint8Array },
  what: string,
): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== "string") return input.der;
  let blocks;
  try {
    blocks = decodePem(input, "CERTIFICATE");
  } catch (e) {
    throw new CertificateVerificationError("malformed", `${what}: ${(e as Error).message}`, undefined, {
      cause: e,
    });
  }
  if (blocks.length !== 1) {
    throw new CertificateVerificationError(
      "malformed",
      `${what}: expected one CERTIFICATE PEM block, found ${blocks.length}`,
    );
  }
  return blocks[0].der;
}

/**
 * Parses one X.509 certificate, DER or PEM, into the shape `TlsHandshakeInfo.peerCertificates` uses plus its
 * extensions. Only the structure is checked (RFC 5280 §4.1, and the extensions this library decodes); a
 * certificate that breaks the profile still parses — {@link verifyCertificateChain} judges it. Throws
 * {@link CertificateVerificationError} with code `malformed` for bytes that are not exactly one well-formed
 * certificate.
 *
 * @example
 * ```ts
 * import { parseCertificate } from "@subtle/tls/x509";
 * import { generateCertificate } from "@subtle/tls";
 *
 * const { cert } = await generateCertificate({ subject: "CN=localhost" });
 * const parsed = parseCertificate(cert);
 * console.log(parsed.subject, parsed.subjectAltNames, parsed.notAfter, parsed.extKeyUsage);
 * ```
 */
export function parseCertificate(pemOrDer: string | Uint8Array): X509Certificate {
  return toX509Certificate(decodeCertificate(certificateDer(pemOrDer, "the certificate")));
}
