/**
 * The TLS 1.2 parts of the client and server configurations, resolved like `ClientConfig` and `ServerConfig`
 * (which hold what both versions share: verifier, certificates, groups, ALPN, clock) and held by them as their
 * `tls12` field when TLS 1.2 is enabled.
 *
 * @module
 */

import type { PeerCertificate } from "../x509/verifier.ts";
import type { Tls12Suite } from "./constants.ts";
import type { SessionTicketKeys } from "./ticket_keys.ts";

/** A TLS 1.2 session the client can resume with its ticket (RFC 5077 §3.4). */
export interface Tls12ClientSession {
  /** The opaque ticket the server issued. */
  readonly ticket: Uint8Array;
  /** The session's master secret. */
  readonly masterSecret: Uint8Array;
  /** The suite of the session; a resumption must use it again. */
  readonly cipherSuite: number;
  /** Whether the master secret is an extended one (RFC 7627); always true for sessions this library makes. */
  readonly extendedMasterSecret: boolean;
  /** The server's certificates, leaf first, as verified in the full handshake. */
  readonly peerCertificates: readonly PeerCertificate[];
  /** The server name the session was made for. */
  readonly serverName: string;
  /** When the ticket was received, and the server's lifetime hint in seconds (0: unspecified). */
  readonly receivedAt: Date;
  /** The server's ticket_lifetime_hint in seconds (0: unspecified). */
  readonly lifetimeHint: number;
}

/** TLS 1.2 client settings. */
export interface Tls12ClientConfig {
  /** Offered TLS 1.2 suites, in preference order; `TLS_RSA_*` only when the user named them. */
  readonly suites: readonly Tls12Suite[];
  /** Abort unless the server negotiates the extended master secret (RFC 7627 §5.2); default true. */
  readonly requireExtendedMasterSecret: boolean;
  /** Whether the ClientHello also offered TLS 1.3: then the downgrade sentinels are checked (RFC 8446 §4.1.3). */
  readonly offeredTls13: boolean;
  /** Send the session_ticket extension (RFC 5077 §3.2). */
  readonly sessionTickets: boolean;
  /** A session to resume; its ticket goes in the session_ticket extension. */
  readonly session?: Tls12ClientSession;
  /** Receives each new resumable session. */
  readonly storeSession?: (session: Tls12ClientSession) => void;
}

/** TLS 1.2 server settings. */
export interface Tls12ServerConfig {
  /** Suites in server preference order (ECDHE only: RSA key transport is client-side only). */
  readonly suites: readonly Tls12Suite[];
  /** Refuse clients that do not offer the extended master secret (RFC 7627 §5.2); default true. */
  readonly requireExtendedMasterSecret: boolean;
  /**
   * Whether this server also speaks TLS 1.3: then a TLS 1.2 ServerHello carries the DOWNGRADE_TLS12 sentinel
   * (RFC 8446 §4.1.3) and TLS_FALLBACK_SCSV is answered with inappropriate_fallback (RFC 7507 §3).
   */
  readonly supportsTls13: boolean;
  /**
   * The rotating keys that seal session tickets (RFC 5077 §4) — the TLS 1.3 tickets' keys, under the TLS 1.2
   * label; no tickets are issued without them.
   */
  readonly ticketKeys?: SessionTicketKeys;
  /** Lifetime of an issued ticket in seconds (the hint sent, and the age at which it is refused). */
  readonly ticketLifetime: number;
}
