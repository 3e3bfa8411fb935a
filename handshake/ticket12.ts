/**
 * The server's TLS 1.2 session tickets (RFC 5077 §4): the session state the server needs to resume —
 * suite, extended-master-secret flag, master secret, creation time — sealed with the rotating AES-256-GCM
 * keys of a {@link SessionTicketKeys} (`ticket_keys.ts`), so that the server keeps no per-session state.
 * A server keeps one `SessionTicketKeys` for its TLS 1.2 tickets and another for its TLS 1.3 ones, so that a
 * ticket of one version never opens as one of the other.
 *
 * ```text
 * ticket    = SessionTicketKeys.seal(plaintext)   (key_id ‖ nonce ‖ AES-256-GCM ciphertext)
 * plaintext = format (1) = 2 ‖ cipher_suite (2) ‖ extended_master_secret (1) ‖ created_at (8, ms) ‖ master (48)
 * ```
 *
 * A ticket that does not open, is of another format, or is too old is simply not used: the server falls back
 * to a full handshake (RFC 5077 §3.3).
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import { MASTER_SECRET_LENGTH } from "../crypto/tls12_prf.ts";
import type { SessionTicketKeys } from "./ticket_keys.ts";

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

const FORMAT_VERSION = 2;
const PLAINTEXT_LENGTH = 1 + 2 + 1 + 8 + MASTER_SECRET_LENGTH;

/** Seals `state` into a ticket with `keys`, at `state.createdAt` (which picks the sealing key). */
export async function sealTicket12(
  crypto: CryptoProvider,
  keys: SessionTicketKeys,
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
  const createdAt = Math.max(0, Math.floor(state.createdAt));
  view.setBigUint64(4, BigInt(createdAt));
  plaintext.set(state.masterSecret, 12);
  return await keys.seal(crypto, plaintext, createdAt);
}

/**
 * Opens a ticket sealed by {@link sealTicket12}; undefined when no key of `keys` opens it, it is malformed,
 * was made in the future, or is older than `lifetimeSeconds` at `now` (ms since the epoch).
 */
export async function openTicket12(
  crypto: CryptoProvider,
  keys: SessionTicketKeys,
  ticket: Uint8Array,
  now: number,
  lifetimeSeconds: number,
): Promise<Tls12TicketState | undefined> {
  const plaintext = await keys.open(crypto, ticket, now);
  if (!plaintext || plaintext.length !== PLAINTEXT_LENGTH) return undefined;
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
