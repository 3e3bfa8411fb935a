/**
 * The server's TLS 1.3 session tickets (RFC 8446 §4.6.1): what the server needs to resume a session, sealed
 * with its {@link SessionTicketKeys}, so that it keeps no per-session state; and the NewSessionTicket
 * messages that carry them to the client after the handshake.
 *
 * ```text
 * ticket    = SessionTicketKeys.seal(plaintext)       (key id ‖ nonce ‖ AES-256-GCM ciphertext)
 * plaintext = version (1) = 1 ‖ cipher_suite (2) ‖ issued_at (8, ms) ‖ lifetime (4, s) ‖ ticket_age_add (4)
 *             ‖ opaque psk<1..255> ‖ opaque alpn<0..255> ‖ opaque server_name<0..2^16-1>
 *             ‖ opaque client_certificates<0..2^24-1> (each opaque cert<1..2^24-1>)
 * ```
 *
 * An empty alpn or server_name means none. A ticket that does not open or does not parse is not used: the
 * server falls back to a full handshake.
 *
 * @module
 */

import { Reader, Writer } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { HandshakeType } from "./constants.ts";
import { encodeHandshake, encodeNewSessionTicket } from "./messages.ts";
import type { TicketHandler } from "./session.ts";
import { SEALED_OVERHEAD, type SessionTicketKeys } from "./ticket_keys.ts";

/** NewSessionTickets sent after each handshake, as OpenSSL does: a client may resume twice in parallel. */
export const TICKETS_PER_HANDSHAKE = 2;
const FORMAT_VERSION = 1;
/** `opaque ticket<1..2^16-1>` (RFC 8446 §4.6.1). */
const MAX_TICKET_LENGTH = 0xffff;

/** What a ticket says about its session. */
export interface Tls13TicketState {
  /** The session's cipher suite code. */
  readonly cipherSuite: number;
  /** When the ticket was issued (ms since the epoch). */
  readonly issuedAt: number;
  /** ticket_lifetime in seconds. */
  readonly lifetime: number;
  /** ticket_age_add, to recover the client's view of the ticket age. */
  readonly ticketAgeAdd: number;
  /** The resumption PSK. */
  readonly psk: Uint8Array;
  /** The session's ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** The SNI the client sent in the full handshake, or null. */
  readonly serverName: string | null;
  /** The client's certificate chain (DER, leaf first), empty when it sent none. */
  readonly clientCertificates: readonly Uint8Array[];
}

function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** Encodes the ticket plaintext. */
export function encodeTicketState(state: Tls13TicketState): Uint8Array {
  const w = new Writer(128 + state.clientCertificates.reduce((n, c) => n + 3 + c.length, 0));
  w.u8(FORMAT_VERSION).u16(state.cipherSuite);
  const issuedAt = Math.max(0, Math.floor(state.issuedAt));
  w.u32(Math.floor(issuedAt / 2 ** 32)).u32(issuedAt % 2 ** 32);
  w.u32(state.lifetime).u32(state.ticketAgeAdd);
  w.opaque(1, state.psk).opaque(1, latin1(state.alpnProtocol ?? "")).opaque(
    2,
    latin1(state.serverName ?? ""),
  );
  w.vector(3, (list) => {
    for (const cert of state.clientCertificates) list.opaque(3, cert);
  });
  return w.finish();
}

/** Decodes a ticket plaintext; undefined when it is not one this version writes. */
export function decodeTicketState(plaintext: Uint8Array): Tls13TicketState | undefined {
  try {
    const r = new Reader(plaintext);
    if (r.u8() !== FORMAT_VERSION) return undefined;
    const cipherSuite = r.u16();
    const issuedAt = r.u32() * 2 ** 32 + r.u32();
    const lifetime = r.u32();
    const ticketAgeAdd = r.u32();
    const psk = r.vector(1, "psk", 1).slice();
    const alpn = r.vector(1, "alpn");
    const sni = r.vector(2, "server_name");
    const clientCertificates = r.sub(3, "client_certificates", (list) => {
      const out: Uint8Array[] = [];
      while (list.remaining > 0) out.push(list.vector(3, "cert", 1).slice());
      return out;
    });
    r.end();
    const text = (b: Uint8Array) => b.length === 0 ? null : String.fromCharCode(...b);
    return {
      cipherSuite,
      issuedAt,
      lifetime,
      ticketAgeAdd,
      psk,
      alpnProtocol: text(alpn),
      serverName: text(sni),
      clientCertificates,
    };
  } catch {
    return undefined;
  }
}

/** Seals `state` into a ticket; undefined when it would not fit `ticket<1..2^16-1>` (a huge client chain). */
export async function sealTicket13(
  crypto: CryptoProvider,
  keys: SessionTicketKeys,
  state: Tls13TicketState,
): Promise<Uint8Array | undefined> {
  const plaintext = encodeTicketState(state);
  if (plaintext.length + SEALED_OVERHEAD > MAX_TICKET_LENGTH) return undefined;
  return await keys.seal(crypto, plaintext, state.issuedAt);
}

/** Opens a ticket sealed by {@link sealTicket13} at time `now` (ms); undefined when it is not one. */
export async function openTicket13(
  crypto: CryptoProvider,
  keys: SessionTicketKeys,
  ticket: Uint8Array,
  now: number,
): Promise<Tls13TicketState | undefined> {
  const plaintext = await keys.open(crypto, ticket, now);
  return plaintext && decodeTicketState(plaintext);
}

/** What the server's tickets of one connection say, besides the PSK and the times. */
export interface TicketSession {
  /** The listener's ticket keys. */
  readonly keys: SessionTicketKeys;
  /** The server's clock. */
  readonly now: () => Date;
  /** The negotiated cipher suite code. */
  readonly cipherSuite: number;
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** The SNI the client sent, or null. */
  readonly serverName: string | null;
  /** The client's certificate chain, DER, leaf first (empty without one). */
  readonly clientCertificates: readonly Uint8Array[];
}

/**
 * The server's {@link TicketHandler}: sends {@link TICKETS_PER_HANDSHAKE} NewSessionTickets, each with its
 * own ticket_nonce (0, 1, …: unique on the connection), a random ticket_age_add, and the keys' lifetime
 * (RFC 8446 §4.6.1).
 */
export function serverTicketIssuer(session: TicketSession): TicketHandler {
  return {
    async issue(io, pskFor) {
      const { crypto } = io;
      for (let i = 0; i < TICKETS_PER_HANDSHAKE; i++) {
        const ticketNonce = Uint8Array.of(i);
        const random = crypto.randomBytes(4);
        const ticketAgeAdd = random[0] * 2 ** 24 + ((random[1] << 16) | (random[2] << 8) | random[3]);
        const ticket = await sealTicket13(crypto, session.keys, {
          cipherSuite: session.cipherSuite,
          issuedAt: session.now().getTime(),
          lifetime: session.keys.lifetime,
          ticketAgeAdd,
          psk: await pskFor(ticketNonce),
          alpnProtocol: session.alpnProtocol,
          serverName: session.serverName,
          clientCertificates: session.clientCertificates,
        });
        if (!ticket) return;
        const body = encodeNewSessionTicket({
          ticketLifetime: session.keys.lifetime,
          ticketAgeAdd,
          ticketNonce,
          ticket,
          extensions: [],
        });
        io.sendHandshake(encodeHandshake(HandshakeType.new_session_ticket, body));
      }
    },
  };
}
