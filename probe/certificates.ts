/**
 * What the probe shows of each certificate the server sent: the library's `PeerCertificate` (subject, issuer,
 * validity, names) plus what it reads from the DER itself (serial number, key type, signature algorithm) and
 * the SHA-256 fingerprints of the certificate and of its public key, computed by the crypto provider.
 *
 * @module
 */

import type { PeerCertificate } from "../mod.ts";
import { DerReader, oidToString, Tag } from "./_der.ts";

/** Computes a SHA-256 digest (the probe passes the crypto provider's `hash`). */
export type Sha256 = (data: Uint8Array) => Promise<Uint8Array>;

/** One certificate of the chain, as the probe reports it. */
export interface CertificateReport {
  /** Position in the chain as sent (0 = the leaf). */
  readonly index: number;
  /** Subject distinguished name, RFC 4514 style. */
  readonly subject: string;
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** True when subject and issuer are the same name. */
  readonly selfIssued: boolean;
  /** The serial number in hex. */
  readonly serialNumber: string;
  /** Start of the validity period. */
  readonly notBefore: Date;
  /** End of the validity period. */
  readonly notAfter: Date;
  /** DNS names and IP addresses of the subjectAltName extension. */
  readonly subjectAltNames: readonly string[];
  /** e.g. `"EC P-256"`, `"RSA 2048 bits"`, `"Ed25519"`. */
  readonly publicKey: string;
  /** e.g. `"sha256WithRSAEncryption"`, or the OID when it has no name here. */
  readonly signatureAlgorithm: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as `openssl x509 -fingerprint`). */
  readonly sha256: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo in base64 (the `pin-sha256` form of RFC 7469). */
  readonly spkiSha256: string;
  /** The DER encoding. */
  readonly der: Uint8Array;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
  "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
  "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
  "1.2.840.113549.1.1.10": "RSASSA-PSS",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
  "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
  "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
};

const CURVES: Readonly<Record<string, string>> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

/** The parts of a DER certificate (RFC 5280 §4.1) the probe needs. */
export interface CertificateFields {
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  /** The whole SubjectPublicKeyInfo encoding. */
  readonly spki: Uint8Array;
  readonly publicKey: string;
}

/** The bit length of an unsigned big-endian INTEGER's contents. */
function bitLength(value: Uint8Array): number {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  if (i === value.length) return 0;
  return (value.length - i - 1) * 8 + (32 - Math.clz32(value[i]));
}

/** Describes a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): its algorithm and size. */
export function describeSpki(spki: Uint8Array): string {
  const r = new DerReader(new DerReader(spki).expect(Tag.SEQUENCE, "SubjectPublicKeyInfo").value);
  const algorithm = new DerReader(r.expect(Tag.SEQUENCE, "SubjectPublicKeyInfo.algorithm").value);
  const oid = oidToString(algorithm.expect(Tag.OID, "algorithm OID").value);
  const params = algorithm.done ? undefined : algorithm.read("algorithm parameters");
  const bits = r.expect(Tag.BIT_STRING, "subjectPublicKey").value.subarray(1);
  switch (oid) {
    case "1.2.840.10045.2.1": {
      const curve = params?.tag === Tag.OID ? oidToString(params.value) : "?";
      return `EC ${CURVES[curve] ?? curve}`;
    }
    case "1.2.840.113549.1.1.1":
    case "1.2.840.113549.1.1.10": {
      // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1).
      const key = new DerReader(new DerReader(bits).expect(Tag.SEQUENCE, "RSAPublicKey").value);
      const modulus = key.expect(Tag.INTEGER, "RSAPublicKey.modulus").value;
      return `${oid.endsWith(".10") ? "RSA-PSS" : "RSA"} ${bitLength(modulus)} bits`;
    }
    case "1.3.101.112":
      return "Ed25519";
    case "1.3.101.113":
      return "Ed448";
    default:
      return `unknown key algorithm ${oid}`;
  }
}

/** Reads serial number, signature algorithm and public key from a DER certificate. */
export function certificateFields(der: Uint8Array): CertificateFields {
  const cert = new DerReader(new DerReader(der).expect(Tag.SEQUENCE, "Certificate").value);
  const tbs = new DerReader(cert.expect(Tag.SEQUENCE, "tbsCertificate").value);
  const signature = new DerReader(cert.expect(Tag.SEQUENCE, "signatureAlgorithm").value);
  const signatureOid = oidToString(signature.expect(Tag.OID, "signatureAlgorithm.algorithm").value);
  let field = tbs.read("tbsCertificate.version or serialNumber");
  if (field.tag === 0xa0) field = tbs.read("tbsCertificate.serialNumber"); // [0] EXPLICIT Version
  if (field.tag !== Tag.INTEGER) throw new Error("DER: tbsCertificate.serialNumber is not an INTEGER");
  tbs.expect(Tag.SEQUENCE, "tbsCertificate.signature");
  tbs.expect(Tag.SEQUENCE, "tbsCertificate.issuer");
  tbs.expect(Tag.SEQUENCE, "tbsCertificate.validity");
  tbs.expect(Tag.SEQUENCE, "tbsCertificate.subject");
  const spki = tbs.expect(Tag.SEQUENCE, "tbsCertificate.subjectPublicKeyInfo").raw;
  return {
    serialNumber: field.value.toHex(),
    signatureAlgorithm: SIGNATURE_ALGORITHMS[signatureOid] ?? signatureOid,
    spki,
    publicKey: describeSpki(spki),
  };
}

/** Colon-separated upper-case hex, as OpenSSL prints fingerprints. */
export function colonHex(bytes: Uint8Array): string {
  return (bytes.toHex().toUpperCase().match(/../g) ?? []).join(":");
}

/** The probe's view of each certificate of `chain` (leaf first). */
export async function describeChain(
  chain: readonly PeerCertificate[],
  sha256: Sha256,
): Promise<CertificateReport[]> {
  return await Promise.all(chain.map(async (cert, index) => {
    let fields: CertificateFields;
    try {
      fields = certificateFields(cert.der);
    } catch (e) {
      const reason = `unreadable (${(e as Error).message})`;
      fields = { serialNumber: "?", signatureAlgorithm: reason, spki: new Uint8Array(0), publicKey: reason };
    }
    const [certHash, spkiHash] = await Promise.all([sha256(cert.der), sha256(fields.spki)]);
    return {
      index,
      subject: cert.subject,
      issuer: cert.issuer,
      selfIssued: cert.subject === cert.issuer,
      serialNumber: fields.serialNumber,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      subjectAltNames: cert.subjectAltNames,
      publicKey: fields.publicKey,
      signatureAlgorithm: fields.signatureAlgorithm,
      sha256: colonHex(certHash),
      spkiSha256: fields.spki.length > 0 ? spkiHash.toBase64() : "",
      der: cert.der,
    };
  }));
}
