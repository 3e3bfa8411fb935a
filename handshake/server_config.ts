/**
 * The resolved configuration of a TLS 1.3 server handshake: every option checked, defaulted and parsed once
 * per listener, so the states never see user input and no connection repeats the work.
 *
 * @module
 */

import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import type { CertificateVerifier } from "../x509/verifier.ts";
import type { CertifiedKey } from "./certified_key.ts";
import type { VerifyPeer } from "./client_config.ts";
import type { Tls13Suite } from "./constants.ts";
import type { Tls12ServerConfig } from "./config12.ts";
import type { SessionTicketKeys } from "./ticket_keys.ts";

/** Whether the server asks for a client certificate, and whether it insists on one. */
export type ClientAuthMode = "none" | "request" | "require";

/** Everything the server states need; shared, read-only, by every connection of a listener. */
export interface ServerConfig {
  /** The provider every cryptographic operation goes through. */
  readonly crypto: CryptoProvider;
  /** Suites in server preference order. */
  readonly suites: readonly Tls13Suite[];
  /** Groups in server preference order. */
  readonly groups: readonly GroupName[];
  /** ALPN protocols in server preference order; empty: ALPN is ignored. */
  readonly alpnProtocols: readonly string[];
  /** The certificates to choose from by SNI; the first is the default. Never empty. */
  readonly certificates: readonly CertifiedKey[];
  /** Whether a client certificate is requested, and whether it is required. */
  readonly clientAuth: ClientAuthMode;
  /** Verifies client chains (with clientAuth EKU); present whenever `clientAuth` is not `"none"`. */
  readonly clientVerifier?: CertificateVerifier;
  /** DER subject Names of the client CAs, sent as certificate_authorities in the CertificateRequest. */
  readonly clientCaNames: readonly Uint8Array[];
  /** Runs after the built-in client certificate checks; throwing rejects the client. */
  readonly verifyPeer?: VerifyPeer;
  /** The clock for client certificate validity. */
  readonly now: () => Date;
  /**
   * The key that authenticates HelloRetryRequest cookies (RFC 8446 §4.2.2), random per listener; present only
   * when HelloRetryRequests carry a cookie (`helloRetryCookie`), absent: they carry none.
   */
  readonly cookieKey?: Uint8Array;
  /** The keys that seal the TLS 1.3 session tickets it issues and resumes (RFC 8446 §4.6.1); absent: none. */
  readonly sessionTickets?: SessionTicketKeys;
  /**
   * The TLS 1.2 settings when TLS 1.2 may be negotiated (absent: TLS 1.3 only); with `supportsTls13` false
   * every ClientHello is answered with TLS 1.2. See `version_negotiation.ts`.
   */
  readonly tls12?: Tls12ServerConfig;
}
