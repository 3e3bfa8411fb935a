/**
 * The interface through which the handshake reaches X.509: it hands over the peer's chain and the name it
 * expects, and gets back the leaf's public key or a {@link CertificateVerificationError}.
 *
 * @module
 */

import type { PublicKeyInfo } from "../crypto/provider.ts";

/** A certificate as shown to users in `TlsHandshakeInfo.peerCertificates`. */
export interface PeerCertificate {
  /** The DER encoding. */
  readonly der: Uint8Array;
  /** Subject distinguished name, RFC 4514 style (e.g. `"CN=example.com, O=Example"`). */
  readonly subject: string;
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** Start of the validity period. */
  readonly notBefore: Date;
  /** End of the validity period. */
  readonly notAfter: Date;
  /** DNS names and IP addresses of the subjectAltName extension, in certificate order. */
  readonly subjectAltNames: readonly string[];
}

/** What to verify: the chain as the peer sent it (leaf first) and the name the client asked for. */
export interface ServerChainRequest {
  /** DER certificates, leaf first, then whatever the peer sent (possibly unordered, possibly extra). */
  readonly chain: readonly Uint8Array[];
  /**
   * A DNS name or an IPv4/IPv6 literal; matched against the SAN (DNS names against dNSName, IPs against
   * iPAddress). `undefined`: no name is checked (the client's `unsafelyDisableHostnameVerification`).
   */
  readonly serverName: string | undefined;
  /** The time to check validity against. */
  readonly now: Date;
}

/** What to verify of a client (RFC 8446 §4.4.2.4): its chain as sent, leaf first; no name is checked. */
export interface ClientChainRequest {
  /** DER certificates, leaf first, then whatever the client sent (possibly unordered, possibly extra). */
  readonly chain: readonly Uint8Array[];
  /** The time to check validity against. */
  readonly now: Date;
}

/** The result of a successful verification. */
export interface VerifiedChain {
  /** The leaf's public key, for CertificateVerify. */
  readonly publicKey: PublicKeyInfo;
  /** The validated path from leaf to trust anchor, as DER. */
  readonly path: readonly Uint8Array[];
}

/** Verifies certificate chains. Implementations throw `CertificateVerificationError` on failure. */
export interface CertificateVerifier {
  /** Verifies a server's chain for `serverName`; throws `CertificateVerificationError`. */
  verifyServer(request: ServerChainRequest): Promise<VerifiedChain>;
  /**
   * Verifies a client's chain: the same path validation, with the clientAuth extended key usage in place of
   * serverAuth and no name check; throws `CertificateVerificationError`.
   */
  verifyClient(request: ClientChainRequest): Promise<VerifiedChain>;
  /** The public key of a certificate, without any check (used when verification is unsafely disabled). */
  publicKeyOf(der: Uint8Array): PublicKeyInfo;
  /** The user-facing description of a certificate. */
  describe(der: Uint8Array): PeerCertificate;
}
