/**
 * The server's side of resumption (RFC 8446 §2.2, §4.2.9–§4.2.11): which offered ticket it can resume, which
 * cipher suite that calls for, and the check of the PSK binder — and, since 0-RTT is never accepted, the
 * skipping of early data a client sends anyway (§4.2.10).
 *
 * A ticket is resumed only when all of these hold; otherwise it is ignored and the handshake is a full one:
 * - the client offers psk_dhe_ke (psk_ke alone, without (EC)DHE, is never accepted);
 * - it is the first offered identity that opens under the listener's ticket keys (among the first
 *   {@link MAX_IDENTITIES_TRIED});
 * - its age by the server's clock is within its lifetime, and the client's view of the age (obfuscated age
 *   minus ticket_age_add) is within {@link TICKET_AGE_TOLERANCE_MS} of it;
 * - the client sends the same SNI as in the full handshake;
 * - a suite with the ticket's hash is offered by both sides (preferred over the server's first choice);
 * - the client certificate it records still verifies, and one is there if `clientAuth` is `"require"`.
 *
 * A binder that does not verify is not a reason to fall back: it aborts with decrypt_error (§4.2.11).
 *
 * @module
 */

import { constantTimeEqual } from "../bytes.ts";
import type { HashName } from "../crypto/provider.ts";
import type { PeerCertificate } from "../x509/verifier.ts";
import { abort, findExtension } from "./checks.ts";
import { ExtensionType, PskKeyExchangeMode, type Tls13Suite, tls13SuiteByCode } from "./constants.ts";
import type { HandshakeIo } from "./context.ts";
import { decodePskKeyExchangeModes } from "./extensions.ts";
import type { ClientHello } from "./messages.ts";
import { decodePreSharedKeyClient, type OfferedPsks, resumptionBinder, truncateClientHello } from "./psk.ts";
import type { ServerConfig } from "./server_config.ts";
import { openTicket13, type Tls13TicketState } from "./ticket13.ts";

/** How far the client's view of a ticket's age may be from the server's (clock rates, RTT, rounding). */
export const TICKET_AGE_TOLERANCE_MS = 10_000;
/**
 * Early data skipped at most, in bytes of protected records: one record of the largest size (RFC 8446
 * §5.2). This server never allows early data (it sends no max_early_data_size), so a client sending more is
 * misbehaving.
 */
export const MAX_SKIPPED_EARLY_DATA = 16_384 + 256;
/**
 * Offered identities tried at most (each costs an AES-GCM open when its key id is current): a client offers
 * one or a few; thousands would be a cheap way to make the server work.
 */
export const MAX_IDENTITIES_TRIED = 8;

/** A ticket the server can resume: which identity it was, and what it says. */
export interface OfferedTicket {
  /** The offered PSKs, decoded. */
  readonly offered: OfferedPsks;
  /** The index of the identity in `offered`. */
  readonly index: number;
  /** The ticket's contents. */
  readonly state: Tls13TicketState;
  /** The ticket's cipher suite (its hash must be the negotiated suite's). */
  readonly suite: Tls13Suite;
  /** The client's certificates recorded in the ticket, described (empty without). */
  readonly clientCertificates: readonly PeerCertificate[];
}

/** A PSK the server accepted: what the ServerHello selects, the key, and the client it authenticates. */
export interface AcceptedPsk {
  /** selected_identity for the ServerHello's pre_shared_key. */
  readonly selectedIdentity: number;
  /** The PSK, input of the Early Secret. */
  readonly psk: Uint8Array;
  /** The client's certificates from the resumed session (empty without). */
  readonly clientCertificates: readonly PeerCertificate[];
}

/**
 * The offered ticket this server can resume, or undefined (RFC 8446 §4.2.9, §4.2.11). Aborts with
 * missing_extension for pre_shared_key without psk_key_exchange_modes, and decode_error for a malformed
 * pre_shared_key; never throws for a ticket it cannot use.
 */
export async function findTicket(
  config: ServerConfig,
  hello: ClientHello,
  serverName: string | null,
  io: HandshakeIo,
): Promise<OfferedTicket | undefined> {
  const pskData = findExtension(hello.extensions, ExtensionType.pre_shared_key);
  if (pskData === undefined) return undefined;
  const modesData = findExtension(hello.extensions, ExtensionType.psk_key_exchange_modes);
  if (modesData === undefined) {
    abort("missing_extension", "pre_shared_key without psk_key_exchange_modes (RFC 8446 §4.2.9)");
  }
  const offered = decodePreSharedKeyClient(pskData);
  const keys = config.sessionTickets;
  if (!decodePskKeyExchangeModes(modesData).includes(PskKeyExchangeMode.psk_dhe_ke) || !keys) {
    return undefined;
  }
  const now = config.now().getTime();
  for (let index = 0; index < Math.min(offered.identities.length, MAX_IDENTITIES_TRIED); index++) {
    const { identity, obfuscatedTicketAge } = offered.identities[index];
    const state = await openTicket13(io.crypto, keys, identity, now);
    if (!state) continue;
    // The first ticket that opens is the one considered; the others are ignored.
    const suite = tls13SuiteByCode(state.cipherSuite);
    const age = now - state.issuedAt;
    const clientAge = (obfuscatedTicketAge - state.ticketAgeAdd + 2 ** 32) % 2 ** 32;
    if (
      !suite || age < 0 || age > state.lifetime * 1000 ||
      Math.abs(clientAge - age) > TICKET_AGE_TOLERANCE_MS || state.serverName !== serverName
    ) {
      return undefined;
    }
    const clientCertificates = await recheckClient(config, state);
    if (!clientCertificates) return undefined;
    return { offered, index, state, suite, clientCertificates };
  }
  return undefined;
}

/** The ticket's client chain, verified again under today's configuration; undefined when it fails. */
async function recheckClient(
  config: ServerConfig,
  state: Tls13TicketState,
): Promise<PeerCertificate[] | undefined> {
  const chain = state.clientCertificates;
  if (chain.length === 0) return config.clientAuth === "require" ? undefined : [];
  const verifier = config.clientVerifier;
  if (config.clientAuth === "none" || !verifier) return undefined;
  try {
    const described = chain.map((der) => verifier.describe(der));
    await verifier.verifyClient({ chain, now: config.now() });
    await config.verifyPeer?.({ certificates: described, serverName: state.serverName ?? "" });
    return described;
  } catch {
    return undefined;
  }
}

/**
 * `suite` unless `hash` differs from its hash: then the first suite by server preference that the client
 * offers and that has `hash`, if any (a ticket is resumed only under its hash, RFC 8446 §4.2.11).
 */
export function preferSuiteWithHash(
  config: ServerConfig,
  hello: ClientHello,
  suite: Tls13Suite,
  hash: HashName | undefined,
): Tls13Suite {
  if (hash === undefined || suite.hash === hash) return suite;
  return config.suites.find((s) => s.hash === hash && hello.cipherSuites.includes(s.code)) ?? suite;
}

/**
 * Accepts `ticket` for `suite` once its binder verifies over `transcriptPrefix` ‖ Truncate(`message`), the
 * ClientHello as received (RFC 8446 §4.2.11.2); undefined when the hashes differ. A binder that does not
 * verify aborts with decrypt_error.
 */
export async function acceptTicket(
  io: HandshakeIo,
  ticket: OfferedTicket,
  suite: Tls13Suite,
  transcriptPrefix: Uint8Array,
  message: Uint8Array,
): Promise<AcceptedPsk | undefined> {
  if (ticket.suite.hash !== suite.hash) return undefined;
  const { psk } = ticket.state;
  const truncated = truncateClientHello(message, ticket.offered.binders);
  const expected = await resumptionBinder(io.crypto, suite, psk, transcriptPrefix, truncated);
  if (!constantTimeEqual(ticket.offered.binders[ticket.index], expected)) {
    abort("decrypt_error", "the PSK binder does not verify (RFC 8446 §4.2.11.2)");
  }
  return { selectedIdentity: ticket.index, psk, clientCertificates: ticket.clientCertificates };
}

/**
 * RFC 8446 §4.2.10: a ClientHello with early_data gets a 1-RTT answer; the early data records that follow
 * (which cannot be deprotected, or come before any key after a HelloRetryRequest) are skipped, up to
 * {@link MAX_SKIPPED_EARLY_DATA} bytes.
 */
export function skipOfferedEarlyData(hello: ClientHello, io: HandshakeIo): void {
  if (findExtension(hello.extensions, ExtensionType.early_data) !== undefined) {
    io.skipEarlyData?.(MAX_SKIPPED_EARLY_DATA);
  }
}
