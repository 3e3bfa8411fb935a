/**
 * What a TLS 1.3 client keeps to resume a session (RFC 8446 §2.2, §4.6.1), the cache interface it keeps it
 * in, and the narrow hook through which the connected state hands NewSessionTickets in (client) or out
 * (server).
 *
 * @module
 */

import type { CipherSuiteName } from "./constants.ts";
import type { HandshakeIo } from "./context.ts";
import type { NewSessionTicket } from "./messages.ts";
import type { Tls12SessionTicket } from "./session12.ts";

/** The longest a client keeps a ticket, whatever the server says: 7 days (RFC 8446 §4.6.1). */
export const MAX_TICKET_LIFETIME = 604_800;

/**
 * A TLS 1.3 session ticket as the client keeps it: plain data (byte arrays, strings and numbers), so that a
 * custom {@link SessionCache} may store it anywhere. **`psk` is a secret**: whoever has it can resume the
 * session as this client.
 */
export interface SessionTicket {
  /** The protocol version of the session. */
  readonly protocol: "TLSv1.3";
  /** The ticket: the PSK identity offered in pre_shared_key. */
  readonly ticket: Uint8Array;
  /** The resumption PSK: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce). */
  readonly psk: Uint8Array;
  /** The suite of the session; a resumption must use a suite with the same hash. */
  readonly cipherSuite: CipherSuiteName;
  /** ticket_age_add: added to the ticket age to obfuscate it. */
  readonly ticketAgeAdd: number;
  /** ticket_lifetime in seconds, at most 7 days. */
  readonly lifetime: number;
  /** When the ticket was received, in milliseconds since the epoch. */
  readonly receivedAt: number;
  /** The ALPN protocol of the session, or null. */
  readonly alpnProtocol: string | null;
  /** The server name the session was made for (the name its certificate was verified against). */
  readonly serverName: string;
  /** The server's certificate chain as it sent it in the full handshake, DER, leaf first. */
  readonly serverCertificates: readonly Uint8Array[];
}

/**
 * What a {@link SessionCache} holds for a server: a TLS 1.3 ticket, or a TLS 1.2 session (`session12.ts`),
 * told apart by `protocol`.
 */
export type CachedSession = SessionTicket | Tls12SessionTicket;

/**
 * Where a client keeps session tickets — TLS 1.3 tickets and TLS 1.2 sessions alike, see
 * {@link CachedSession} — keyed by `"<serverName>:<port>"` (port 0 over a stream pair). The client takes
 * a TLS 1.3 ticket out (`get`, then `delete`: a ticket is used once, RFC 8446 §C.4) before it offers it, and
 * stores each ticket the server sends (`set`; a newer ticket replaces the older one). Each method may return a
 * promise; an error thrown by one is ignored (the connection goes on without the ticket).
 *
 * @example
 * ```ts
 * import { type CachedSession, connectTls, type SessionCache } from "@subtle/tls";
 *
 * const tickets = new Map<string, CachedSession>();
 * const sessionCache: SessionCache = {
 *   get: (key) => tickets.get(key),
 *   set: (key, ticket) => void tickets.set(key, ticket),
 *   delete: (key) => void tickets.delete(key),
 * };
 * const conn = await connectTls({ hostname: "example.com", port: 443, sessionCache });
 * ```
 */
export interface SessionCache {
  /** The ticket kept for `key`, if any (an expired one may be returned: the client checks). */
  get(key: string): Promise<CachedSession | undefined> | CachedSession | undefined;
  /** Keeps `ticket` for `key`, replacing any ticket kept for it. */
  set(key: string, ticket: CachedSession): Promise<void> | void;
  /** Forgets the ticket kept for `key`. */
  delete(key: string): Promise<void> | void;
}

/**
 * Session tickets as seen by the connected state: a client is given each NewSessionTicket with the PSK it
 * stands for; a server issues its tickets once the handshake is complete. `pskFor` derives the PSK of a
 * ticket_nonce from the connection's resumption_master_secret (RFC 8446 §4.6.1).
 */
export interface TicketHandler {
  /** Client: a NewSessionTicket arrived; `psk` is the PSK it stands for. */
  received?(ticket: NewSessionTicket, psk: Uint8Array): Promise<void>;
  /** Server: sends NewSessionTicket messages through `io`. */
  issue?(io: HandshakeIo, pskFor: (ticketNonce: Uint8Array) => Promise<Uint8Array>): Promise<void>;
}
