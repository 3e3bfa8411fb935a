/**
 * The server's TLS 1.2 session tickets (RFC 5077 §4): the session state the server needs to resume —
 * suite, extended-master-secret flag, master secret, creation time, and what the session was made for: the
 * SNI host_name and the server certificate — sealed with the rotating AES-256-GCM keys of a
 * {@link SessionTicketKeys} (`ticket_keys.ts`), so that the server keeps no per-session state. The same keys
 * seal TLS 1.3 tickets, under another label, so that a ticket of one version never opens as one of the
 * other, and a `SessionTicketKeys` shared between listeners or `acceptTls` calls resumes both versions.
 *
 * ```text
 * ticket    = SessionTicketKeys.seal(plaintext, "TLSv1.2")   (key_id ‖ nonce ‖ AES-256-GCM ciphertext)
 * plaintext = format (1) = 3 ‖ cipher_suite (2) ‖ extended_master_secret (1) ‖ created_at (8, ms)
 *             ‖ master (48) ‖ certificate_sha256 (32) ‖ opaque server_name<0..2^16-1>
 * ```
 *
 * A ticket that does not open, is of another format, or is too old is simply not used: the server falls back
 * to a full handshake (RFC 5077 §3.3) — as it does for a ticket made for another server_name (RFC 6066 §3) or
 * under a certificate this server no longer presents (`server12_hello.ts`).
 *
 * @module
 */

import { Reader, Writer } from "../bytes.ts";
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
  /** The SNI host_name of the full handshake, or null when the client sent none. */
  readonly serverName: string | null;
  /** SHA-256 of the DER server certificate (the leaf) that authenticated the session. */
  readonly certificateHash: Uint8Array;
}

const FORMAT_VERSION = 3;
const CERTIFICATE_HASH_LENGTH = 32;

/** Seals `state` into a ticket with `keys`, at `state.createdAt` (which picks the sealing key). */
export async function sealTicket12(
  crypto: CryptoProvider,
  keys: SessionTicketKeys,
  state: Tls12TicketState,
): Promise<Uint8Array> {
  if (state.masterSecret.length !== MASTER_SECRET_LENGTH) {
    throw new RangeError("master secret must be 48 bytes");
  }
  if (state.certificateHash.length !== CERTIFICATE_HASH_LENGTH) {
    throw new RangeError("certificate hash must be 32 bytes (SHA-256)");
  }
  const createdAt = Math.max(0, Math.floor(state.createdAt));
  const name = Uint8Array.from(state.serverName ?? "", (c) => c.charCodeAt(0));
  const plaintext = new Writer(128 + name.length)
    .u8(FORMAT_VERSION)
    .u16(state.cipherSuite)
    .u8(state.extendedMasterSecret ? 1 : 0)
    .u32(Math.floor(createdAt / 2 ** 32))
    .u32(createdAt % 2 ** 32)
    .bytes(state.masterSecret)
    .bytes(state.certificateHash)
    .opaque(2, name)
    .finish();
  return await keys.seal(crypto, plaintext, createdAt, "TLSv1.2");
}

/** Decodes a ticket plaintext; undefined when it is not one this version writes. */
function decodeState(plaintext: Uint8Array): Tls12TicketState | undefined {
  try {
    const r = new Reader(plaintext);
    if (r.u8() !== FORMAT_VERSION) return undefined;
    const cipherSuite = r.u16();
    const ems = r.u8();
    const createdAt = r.u32() * 2 ** 32 + r.u32();
    const masterSecret = r.bytes(MASTER_SECRET_LENGTH).slice();
    const certificateHash = r.bytes(CERTIFICATE_HASH_LENGTH).slice();
    const name = r.vector(2, "server_name");
    r.end();
    if (ems > 1) return undefined;
    return {
      cipherSuite,
      extendedMasterSecret: ems === 1,
      masterSecret,
      createdAt,
      serverName: name.length === 0 ? null : String.fromCharCode(...name),
      certificateHash,
    };
  } catch {
    return undefined;
  }
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
  const plaintext = await keys.open(crypto, ticket, now, "TLSv1.2");
  const state = plaintext && decodeState(plaintext);
  if (!state || state.createdAt > now || now - state.createdAt > lifetimeSeconds * 1000) return undefined;
  return state;
}
