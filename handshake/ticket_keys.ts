/**
 * The server's session ticket keys: AES-256-GCM keys that seal and open the tickets it issues, rotated as
 * time passes. A key issues tickets for one rotation period (the ticket lifetime), then is kept one more
 * period to open them — long enough for every ticket it sealed to expire — and then forgotten.
 *
 * ```text
 * sealed = key_id (4) ‖ nonce (12) ‖ AES-256-GCM(key, nonce, aad = label ‖ key_id, plaintext)
 * label  = "subtls TLS 1.3 ticket v1" | "subtls TLS 1.2 ticket v1"
 * ```
 *
 * The label separates the tickets of the two versions: the same keys seal both, and a ticket of one version
 * never opens as one of the other.
 *
 * Keys and key ids are random bytes from the crypto provider; each seal uses a fresh random nonce. The clock
 * is passed in on every call, so that rotation can be tested with a fake one.
 *
 * @module
 */

import { concat, equal, utf8 } from "../bytes.ts";
import { type Aead, AeadDecryptError, type CryptoProvider } from "../crypto/provider.ts";
import { MAX_TICKET_LIFETIME } from "./session.ts";

/** The default ticket lifetime: 2 hours. */
export const DEFAULT_TICKET_LIFETIME = 7200;
const KEY_ID_LENGTH = 4;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
/** Bytes a sealed ticket adds to its plaintext. */
export const SEALED_OVERHEAD: number = KEY_ID_LENGTH + NONCE_LENGTH + TAG_LENGTH;

/** Options of {@link SessionTicketKeys}. */
export interface SessionTicketKeysOptions {
  /**
   * Ticket lifetime in seconds: 1 to 604 800 (7 days, RFC 8446 §4.6.1); default 7200 (2 hours). It is also
   * the rotation period: a key seals tickets for this long and still opens them for this long again.
   */
  lifetime?: number;
}

interface TicketKey {
  readonly id: Uint8Array;
  readonly aead: Promise<Aead>;
  /** When the key started to seal tickets (ms since the epoch). */
  readonly since: number;
}

/** The protocol version a ticket is for; each has its own label in the additional data. */
export type TicketVersion = "TLSv1.3" | "TLSv1.2";

const LABELS: Readonly<Record<TicketVersion, Uint8Array>> = {
  "TLSv1.3": utf8("subtls TLS 1.3 ticket v1"),
  "TLSv1.2": utf8("subtls TLS 1.2 ticket v1"),
};

/**
 * A server's rotating session ticket keys, for `listenTls`/`acceptTls`'s `sessionTickets` option. A
 * listener makes its own; make one yourself to share keys between listeners or between `acceptTls` calls,
 * so that a ticket issued on one connection resumes on another (TLS 1.3 and TLS 1.2 tickets alike). The keys never leave the process: tickets
 * die with it (a restarted server does full handshakes).
 *
 * @example
 * ```ts
 * import { listenTls, SessionTicketKeys } from "@subtle/tls";
 *
 * const cert = await Deno.readTextFile("cert.pem");
 * const key = await Deno.readTextFile("key.pem");
 * const sessionTickets = new SessionTicketKeys({ lifetime: 3600 });
 * const a = listenTls({ port: 8443, cert, key, sessionTickets });
 * const b = listenTls({ port: 8444, cert, key, sessionTickets }); // resumes a's tickets too
 * ```
 */
export class SessionTicketKeys {
  /** Ticket lifetime and rotation period, in seconds. */
  readonly lifetime: number;
  #current: TicketKey | undefined;
  #previous: TicketKey | undefined;

  /** Rotating keys for tickets of `options.lifetime` seconds (default 2 hours). */
  constructor(options: SessionTicketKeysOptions = {}) {
    const lifetime = options.lifetime ?? DEFAULT_TICKET_LIFETIME;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TICKET_LIFETIME) {
      throw new RangeError(`ticket lifetime must be 1..${MAX_TICKET_LIFETIME} seconds, not ${lifetime}`);
    }
    this.lifetime = lifetime;
  }

  /** Makes a new current key when the current one has sealed for a whole period (or there is none). */
  #rotate(crypto: CryptoProvider, now: number): TicketKey {
    const period = this.lifetime * 1000;
    const current = this.#current;
    if (current && now >= current.since && now < current.since + period) return current;
    // The current key sealed its last ticket before since + period, so all of them expire before
    // since + 2·period: it is kept to open them only if that time has not come.
    this.#previous = current && now < current.since + 2 * period ? current : undefined;
    const fresh = {
      id: crypto.randomBytes(KEY_ID_LENGTH),
      aead: crypto.importAead("AES-256-GCM", crypto.randomBytes(32)),
      since: now,
    };
    fresh.aead.catch(() => {}); // surfaces on use
    this.#current = fresh;
    return fresh;
  }

  /**
   * Seals `plaintext` as a ticket of `version` under the current key at time `now` (ms since the epoch),
   * rotating first if due.
   *
   * @ignore For the handshake (`ticket13.ts`, `ticket12.ts`).
   */
  async seal(
    crypto: CryptoProvider,
    plaintext: Uint8Array,
    now: number,
    version: TicketVersion = "TLSv1.3",
  ): Promise<Uint8Array> {
    const key = this.#rotate(crypto, now);
    const nonce = crypto.randomBytes(NONCE_LENGTH);
    const sealed = await (await key.aead).seal(nonce, concat(LABELS[version], key.id), plaintext);
    return concat(key.id, nonce, sealed);
  }

  /**
   * Opens a ticket of `version` sealed by {@link seal} with the current key or the one before it, rotating
   * first if due; undefined when no kept key has its id or it does not authenticate (a ticket of the other
   * version does not). Never throws for a bad ticket.
   *
   * @ignore For the handshake (`ticket13.ts`, `ticket12.ts`).
   */
  async open(
    crypto: CryptoProvider,
    sealed: Uint8Array,
    now: number,
    version: TicketVersion = "TLSv1.3",
  ): Promise<Uint8Array | undefined> {
    if (sealed.length < SEALED_OVERHEAD) return undefined;
    this.#rotate(crypto, now);
    const id = sealed.subarray(0, KEY_ID_LENGTH);
    for (const key of [this.#current, this.#previous]) {
      if (!key || !equal(key.id, id)) continue;
      try {
        return await (await key.aead).open(
          sealed.subarray(KEY_ID_LENGTH, KEY_ID_LENGTH + NONCE_LENGTH),
          concat(LABELS[version], key.id),
          sealed.subarray(KEY_ID_LENGTH + NONCE_LENGTH),
        );
      } catch (e) {
        if (!(e instanceof AeadDecryptError)) throw e;
      }
    }
    return undefined;
  }
}
