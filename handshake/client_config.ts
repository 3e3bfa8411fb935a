/**
 * The resolved configuration of a TLS 1.3 client handshake: every option checked and defaulted, so the
 * states never see user input.
 *
 * @module
 */

import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import type { CertificateErrorCode, CertificateVerificationError } from "../errors.ts";
import type { CertificateVerifier, PeerCertificate } from "../x509/verifier.ts";
import type { CertifiedKey } from "./certified_key.ts";
import type { Tls13Suite } from "./constants.ts";
import type { Tls12ClientConfig } from "./config12.ts";
import type { ClientHello } from "./messages.ts";
import type { SessionCache } from "./session.ts";

/** What a `verifyPeer` callback is given. */
export interface PeerVerificationInput {
  /** The peer's certificates, leaf first, as sent. */
  readonly certificates: readonly PeerCertificate[];
  /** The name that was verified (server name, or IP literal). */
  readonly serverName: string;
  /** When the built-in checks failed and `unsafelyIgnoreCertificateErrors` let the handshake go on. */
  readonly error?: { readonly code: CertificateErrorCode; readonly message: string };
}

/**
 * A user callback that runs after the built-in certificate checks; throwing rejects the peer with
 * `bad_certificate` (a `CertificateVerificationError` of code `rejected_by_callback`, with the thrown error
 * as its `cause`). With `unsafelyIgnoreCertificateErrors` it also runs when the checks failed, with `error`.
 *
 * @example
 * ```ts
 * import { connectTls, type VerifyPeer } from "@subtle/tls";
 *
 * // Accept only certificates from one organization, on top of the usual checks.
 * const onlyExampleInc: VerifyPeer = ({ certificates }) => {
 *   if (!certificates[0].subject.includes("O=Example Inc")) throw new Error("not an Example Inc server");
 * };
 * const conn = await connectTls({ hostname: "example.com", port: 443, verifyPeer: onlyExampleInc });
 * ```
 */
export type VerifyPeer = (peer: PeerVerificationInput) => void | Promise<void>;

/** Everything the client states need. */
export interface ClientConfig {
  readonly crypto: CryptoProvider;
  /** The name the certificate must match (a DNS name or an IP literal). */
  readonly serverName: string;
  /** The SNI host_name to send, or undefined (for IP literals, RFC 6066 §3). */
  readonly sni: string | undefined;
  /** Offered suites, in preference order. */
  readonly suites: readonly Tls13Suite[];
  /** Offered groups, in preference order. */
  readonly groups: readonly GroupName[];
  /** Groups for which a key share goes in the first ClientHello. */
  readonly keyShareGroups: readonly GroupName[];
  readonly alpnProtocols: readonly string[];
  readonly verifier: CertificateVerifier;
  readonly unsafelyIgnoreCertificateErrors: boolean;
  /**
   * With `unsafelyIgnoreCertificateErrors`: the verification error of the server chain this connection relies
   * on, if there was one; `handshakeComplete` reports it as `ignoredCertificateError`.
   */
  readonly ignoredCertificateError?: () => CertificateVerificationError | undefined;
  readonly verifyPeer?: VerifyPeer;
  /** The client certificate and key, offered when the server sends a CertificateRequest. */
  readonly clientCertificate?: CertifiedKey;
  /** The clock for certificate validity. */
  readonly now: () => Date;
  /** Send a legacy session id and a ChangeCipherSpec (RFC 8446 §D.4). */
  readonly middleboxCompat: boolean;
  /** Where session tickets are kept and taken from; undefined: no resumption. */
  readonly sessionCache?: SessionCache;
  /** The key of this server in the session cache: `"<serverName>:<port>"` (default port 0). */
  readonly sessionKey?: string;
  /**
   * The TLS 1.2 settings when TLS 1.2 may be negotiated (absent: TLS 1.3 only); with `offeredTls13` false
   * the ClientHello offers TLS 1.2 only. See `version_negotiation.ts`.
   */
  readonly tls12?: Tls12ClientConfig;
  /** Test hook: rewrites the first ClientHello before it is sent (used to reproduce RFC 8448 exactly). */
  readonly customizeClientHello?: (hello: ClientHello) => ClientHello;
}
