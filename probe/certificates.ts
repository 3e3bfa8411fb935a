/**
 * What the probe shows of each certificate the server sent: the library's `PeerCertificate` (subject, issuer,
 * validity, names) plus what it reads from the DER itself (serial number, key type, signature algorithm) and
 * the SHA-256 fingerprints of the certificate and of its public key, computed by the crypto provider.
 *
 * @module
 */

import type { PeerCertificate } from "../mod.ts";
import { decodeCertificate } from "../x509/certificate.ts";

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
  /** e.g. `"EC P-256"`, `"RSA 2048"`, `"Ed25519"`. */
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

/** The parts of a DER certificate (RFC 5280 §4.1) the probe needs. */
export interface CertificateFields {
  readonly serialNumber: string;
  readonly signatureAlgorithm: string;
  /** The whole SubjectPublicKeyInfo encoding. */
  readonly spki: Uint8Array;
  readonly publicKey: string;
}

/** Reads serial number, signature algorithm and public key from a DER certificate (the library's parser). */
export function certificateFields(der: Uint8Array): CertificateFields {
  const cert = decodeCertificate(der);
  return {
    serialNumber: cert.serialNumber,
    signatureAlgorithm: cert.signatureAlgorithmName,
    spki: cert.spki,
    publicKey: cert.publicKeyName,
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
