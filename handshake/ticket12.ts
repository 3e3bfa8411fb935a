/**
 * The server's TLS 1.2 session tickets (RFC 5077 §4): the session state the server needs to resume —
 * suite, extended-master-secret flag, master secret, creation time — sealed with AES-256-GCM under the
 * server's ticket key, so that the server keeps no per-session state.
 *
 * ```text
 * ticket    = nonce (12) ‖ AES-256-GCM(ticket_key, nonce, aad = "subtls TLS 1.2 ticket v1", plaintext)
 * plaintext = version (1) = 1 ‖ cipher_suite (2) ‖ extended_master_secret (1) ‖ created_at (8, ms) ‖ master (48)
 * ```
 *
 * A ticket that does not open, is of another format, or is too old is simply not used: the server falls back
 * to a full handshake (RFC 5077 §3.3).
 *
 * @module
 */

import { utf8 } from "../bytes.ts";
import { AeadDecryptError, type CryptoProvider } from "../crypto/provider.ts";
import { MASTER_SECRET_LENGTH } from "../crypto/tls12_prf.ts";

/** What a ticket says about its session. */
export interface Tls12TicketState {
  /** The session's cipher suite. */
  readonly cipherSuite: number;
  /** Whether the master secret is an extended one. */
  readonly extendedMasterSecret: boolean;
  /** The session's master secret. */
  readonly masterSecret: Uint8Array;
  /** When the session was made (ms since the epoch). */
  readonly createdAt: number;
}

const FORMAT_VERSION = 1;
const NONCE_LENGTH = 12;
const PLAINTEXT_LENGTH = 1 + 2 + 1 + 8 + MASTER_SECRET_LENGTH;
const AAD = utf8("subtls TLS 1.2 ticket v1");
/** The length of the ticket key (AES-256-GCM). */
export const TICKET_KEY_LENGTH = 32;

/** Seals `state` into a ticket under `ticketKey` (32 bytes). */
export async function sealTicket12(
  crypto: CryptoProvider,
  ticketKey: Uint8Array,
  state: Tls12TicketState,
): Promise<Uint8Array> {
  if (state.masterSecret.length !== MASTER_SECRET_LENGTH) {
    throw new RangeError("master secret must be 48 bytes");
  }
  const plaintext = new Uint8Array(PLAINTEXT_LENGTH);
  const view = new DataView(plaintext.buffer);
  plaintext[0] = FORMAT_VERSION;
  view.setUint16(1, state.cipherSuite);
  plaintext[3] = state.extendedMasterSecret ? 1 : 0;
  view.setBigUint64(4, BigInt(Math.max(0, Math.floor(state.createdAt))));
  plaintext.set(state.masterSecret, 12);
  const aead = await crypto.importAead("AES-256-GCM", ticketKey);
  const nonce = crypto.randomBytes(NONCE_LENGTH);
  const sealed = await aead.seal(nonce, AAD, plaintext);
  const ticket = new Uint8Array(NONCE_LENGTH + sealed.length);
  ticket.set(nonce, 0);
  ticket.set(sealed, NONCE_LENGTH);
  return ticket;
}

/**
 * Opens a ticket sealed by {@link sealTicket12}; undefined when it does not authenticate, is malformed, was
 * made in the future, or is older than `lifetimeSeconds` at `now` (ms since the epoch).
 */
export async function openTicket12(
  crypto: CryptoProvider,
  ticketKey: Uint8Array,
  ticket: Uint8Array,
  now: number,
  lifetimeSeconds: number,
): Promise<Tls12TicketState | undefined> {
  if (ticket.length !== NONCE_LENGTH + PLAINTEXT_LENGTH + 16) return undefined;
  const aead = await crypto.importAead("AES-256-GCM", ticketKey);
  let plaintext: Uint8Array;
  try {
    plaintext = await aead.open(ticket.subarray(0, NONCE_LENGTH), AAD, ticket.subarray(NONCE_LENGTH));
  } catch (e) {
    if (e instanceof AeadDecryptError) return undefined;
    throw e;
  }
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  if (plaintext[0] !== FORMAT_VERSION || plaintext[3] > 1) return undefined;
  const createdAt = Number(view.getBigUint64(4));
  if (createdAt > now || now - createdAt > lifetimeSeconds * 1000) return undefined;
  return {
    cipherSuite: view.getUint16(1),
    extendedMasterSecret: plaintext[3] === 1,
    masterSecret: plaintext.slice(12),
    createdAt,
  };
}
