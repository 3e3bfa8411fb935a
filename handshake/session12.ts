/**
 * TLS 1.2 sessions in the client's session cache (RFC 5077 §3.4): the cache of the TLS 1.3 work
 * (`session.ts`) holds, under the same `"<serverName>:<port>"` key, either a TLS 1.3 ticket or a TLS 1.2
 * session, told apart by `protocol`. A TLS 1.2 session is kept as plain data, like a TLS 1.3 ticket, so that
 * a custom cache may store it anywhere; **`masterSecret` is a secret**.
 *
 * A cached TLS 1.2 session is offered only when it is fresh (younger than the server's lifetime hint, at most
 * 7 days), its suite is among the offered TLS 1.2 suites, it was made for the same server name, and the server
 * certificates it records still pass this connection's verification — the same rules as a TLS 1.3 ticket
 * (`client13_psk.ts`). Unlike a TLS 1.3 ticket it may be offered more than once (RFC 5077 §3.4 does not
 * forbid it), so after a resumption without a new ticket it is kept again.
 *
 * @module
 */

import type { PeerCertificate } from "../x509/verifier.ts";
import { recheckServer } from "./client13_psk.ts";
import type { ClientConfig } from "./client_config.ts";
import { Tls12CipherSuite, type Tls12CipherSuiteName, tls12SuiteByCode } from "./constants.ts";
import type { Tls12ClientConfig, Tls12ClientSession } from "./config12.ts";
import { MAX_TICKET_LIFETIME } from "./session.ts";

/** A TLS 1.2 session as the client keeps it in the session cache. */
export interface Tls12SessionTicket {
  /** The protocol version of the session. */
  readonly protocol: "TLSv1.2";
  /** The opaque ticket the server issued (RFC 5077 §3.3). */
  readonly ticket: Uint8Array;
  /** The session's master secret (48 bytes). */
  readonly masterSecret: Uint8Array;
  /** The session's suite; a resumption must use it again. */
  readonly cipherSuite: Tls12CipherSuiteName;
  /** Whether the master secret is an extended one (RFC 7627). */
  readonly extendedMasterSecret: boolean;
  /** How long the session may be offered, in seconds: the server's hint, at most 7 days. */
  readonly lifetime: number;
  /** When the ticket was received, in milliseconds since the epoch. */
  readonly receivedAt: number;
  /** The server name the session was made for (the name its certificate was verified against). */
  readonly serverName: string;
  /** The server's certificate chain as it sent it in the full handshake, DER, leaf first. */
  readonly serverCertificates: readonly Uint8Array[];
}

/** The key of the connection's server in the session cache (as `client13_psk.ts` computes it). */
function sessionKey(config: ClientConfig): string {
  return config.sessionKey ?? `${config.serverName}:0`;
}

/** A TLS 1.2 session to keep, from what the handshake reports. */
export function tls12SessionTicket(session: Tls12ClientSession): Tls12SessionTicket | undefined {
  const suite = tls12SuiteByCode(session.cipherSuite);
  if (!suite) return undefined;
  const hint = session.lifetimeHint;
  return {
    protocol: "TLSv1.2",
    ticket: session.ticket,
    masterSecret: session.masterSecret,
    cipherSuite: suite.name,
    extendedMasterSecret: session.extendedMasterSecret,
    // RFC 5077 §3.3: a hint of 0 leaves the lifetime unspecified; 7 days at most, as for TLS 1.3 tickets.
    lifetime: hint > 0 ? Math.min(hint, MAX_TICKET_LIFETIME) : MAX_TICKET_LIFETIME,
    receivedAt: session.receivedAt.getTime(),
    serverName: session.serverName,
    serverCertificates: session.peerCertificates.map((c) => c.der),
  };
}

/** The cached session as the TLS 1.2 handshake resumes it, with its certificates re-described. */
function clientSession(
  kept: Tls12SessionTicket,
  peerCertificates: readonly PeerCertificate[],
): Tls12ClientSession {
  return {
    ticket: kept.ticket,
    masterSecret: kept.masterSecret,
    cipherSuite: Tls12CipherSuite[kept.cipherSuite],
    extendedMasterSecret: kept.extendedMasterSecret,
    peerCertificates,
    serverName: kept.serverName,
    receivedAt: new Date(kept.receivedAt),
    lifetimeHint: kept.lifetime,
  };
}

/** The cached TLS 1.2 session for this connection, when it may be offered (see the module comment). */
async function cachedSession(
  config: ClientConfig,
  config12: Tls12ClientConfig,
): Promise<Tls12ClientSession | undefined> {
  const cache = config.sessionCache;
  if (!cache) return undefined;
  let kept;
  try {
    kept = await cache.get(sessionKey(config));
  } catch {
    return undefined;
  }
  if (!kept || kept.protocol !== "TLSv1.2" || kept.serverName !== config.serverName) return undefined;
  if (!kept.extendedMasterSecret && config12.requireExtendedMasterSecret) return undefined;
  const age = config.now().getTime() - kept.receivedAt;
  if (age < 0 || age >= Math.min(kept.lifetime, MAX_TICKET_LIFETIME) * 1000) return undefined;
  if (!config12.suites.some((s) => s.name === kept.cipherSuite)) return undefined;
  const peerCertificates = await recheckServer(config, kept.serverCertificates);
  return peerCertificates && clientSession(kept, peerCertificates);
}

/**
 * The configuration with its TLS 1.2 session cache wired in: the cached session to offer, if any, and a
 * `storeSession` that keeps each new session under the connection's key. Unchanged without a cache or
 * without TLS 1.2.
 */
export async function withTls12Sessions(config: ClientConfig): Promise<ClientConfig> {
  const config12 = config.tls12;
  const cache = config.sessionCache;
  if (!config12 || !cache) return config;
  const session = await cachedSession(config, config12);
  const key = sessionKey(config);
  const storeSession = (s: Tls12ClientSession) => {
    const kept = tls12SessionTicket(s);
    if (!kept) return;
    // A cache that fails only costs the next connection a full handshake.
    Promise.resolve().then(() => cache.set(key, kept)).catch(() => {});
  };
  return { ...config, tls12: { ...config12, session, storeSession } };
}
