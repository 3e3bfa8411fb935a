/**
 * `@subtle/tls/x509`: the library's X.509 certificate verification, outside a handshake — to re-check a chain
 * in a `verifyPeer` hook, validate uploaded certificates, or build a command-line checker.
 *
 * - {@link parseCertificate} reads a PEM or DER certificate into the shape a handshake reports
 *   (`TlsHandshakeInfo.peerCertificates`) plus its extensions.
 * - {@link verifyCertificateChain} builds and validates a path to a trust anchor and checks a DNS name or an
 *   IP address; it is the same function every handshake of this library runs, and it fails with the same
 *   {@link CertificateVerificationError}, whose `code` says which rule a certificate broke.
 * - {@link TrustAnchors} holds trust anchors parsed once, for many verifications.
 *
 * The rules — RFC 5280 path validation, the web-PKI certificate profile of RFC 5280 §4 and the CA/Browser
 * Forum Baseline Requirements, RFC 9525 name matching — and where a private PKI gets room are described in
 * `docs/x509.md`.
 *
 * @example
 * ```ts
 * import { parseCertificate, verifyCertificateChain } from "@subtle/tls/x509";
 * import { generateCertificate } from "@subtle/tls";
 *
 * const root = await generateCertificate({ subject: "CN=Example Root", isCA: true });
 * const leaf = await generateCertificate({ subject: "CN=api.example.com", issuer: root });
 * console.log(parseCertificate(leaf.cert).subjectAltNames); // ["api.example.com"]
 * const { path } = await verifyCertificateChain({
 *   leaf: leaf.cert,
 *   trustAnchors: [root.cert],
 *   hostname: "api.example.com",
 *   usage: "server",
 * });
 * console.log(path.length); // 2
 * ```
 *
 * @module
 */

export { parseCertificate } from "./x509_certificate.ts";
export type {
  X509Certificate,
  X509Extension,
  X509NameConstraint,
  X509PublicKey,
} from "./x509_certificate.ts";
export { verifyCertificateChain } from "./verify.ts";
export type { CertificateInput, VerifiedCertificateChain, VerifyCertificateChainOptions } from "./verify.ts";
export { TrustAnchors } from "./trust_store.ts";
export type { AccessDescription, KeyUsageName } from "./extensions.ts";
export type { PeerCertificate } from "./verifier.ts";
export {
  AlertDescription,
  type AlertName,
  type CertificateErrorCode,
  CertificateVerificationError,
  TlsError,
} from "../errors.ts";
