/**
 * The HelloRetryRequest cookie (RFC 8446 §4.2.2): what the server decided in its HelloRetryRequest and the
 * hash of the first ClientHello, authenticated with a per-server HMAC key, so that a server could rebuild its
 * state from the second ClientHello alone. This server also keeps its state, and checks the echo against it.
 *
 * ```text
 * cookie = version (0x01) ‖ uint16 cipher_suite ‖ uint16 selected_group ‖ opaque ch1_hash<32..64> ‖ mac[32]
 * mac    = HMAC-SHA256(cookie_key, "subtls hrr cookie" ‖ ClientHello.random ‖ everything before mac)
 * ```
 *
 * The client random is bound into the MAC (the second ClientHello repeats it), so a cookie is good for one
 * handshake only.
 *
 * @module
 */

import { concat, constantTimeEqual, equal, Reader, utf8, Writer } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";

const COOKIE_VERSION = 1;
const MAC_LENGTH = 32;
const MAC_LABEL = utf8("subtls hrr cookie");

/** What a cookie carries. */
export interface CookieContents {
  /** The cipher suite the HelloRetryRequest selected. */
  readonly cipherSuite: number;
  /** The NamedGroup the HelloRetryRequest asked a share for. */
  readonly group: number;
  /** Transcript-Hash(ClientHello1), which becomes the message_hash message (RFC 8446 §4.4.1). */
  readonly clientHello1Hash: Uint8Array;
}

function mac(crypto: CryptoProvider, key: Uint8Array, clientRandom: Uint8Array, body: Uint8Array) {
  return crypto.hmac("SHA-256", key, concat(MAC_LABEL, clientRandom, body));
}

/** Builds the authenticated cookie for a HelloRetryRequest. */
export async function makeCookie(
  crypto: CryptoProvider,
  key: Uint8Array,
  clientRandom: Uint8Array,
  contents: CookieContents,
): Promise<Uint8Array> {
  const body = new Writer(8 + contents.clientHello1Hash.length)
    .u8(COOKIE_VERSION)
    .u16(contents.cipherSuite)
    .u16(contents.group)
    .opaque(1, contents.clientHello1Hash)
    .finish();
  return concat(body, await mac(crypto, key, clientRandom, body));
}

/**
 * Whether `cookie` is one this server made for a handshake with `clientRandom` and says exactly `expected`.
 * Never throws: a malformed cookie is simply not valid.
 */
export async function checkCookie(
  crypto: CryptoProvider,
  key: Uint8Array,
  clientRandom: Uint8Array,
  cookie: Uint8Array,
  expected: CookieContents,
): Promise<boolean> {
  if (cookie.length <= MAC_LENGTH) return false;
  const body = cookie.subarray(0, cookie.length - MAC_LENGTH);
  const tag = cookie.subarray(cookie.length - MAC_LENGTH);
  if (!constantTimeEqual(tag, await mac(crypto, key, clientRandom, body))) return false;
  try {
    const r = new Reader(body);
    const ok = r.u8() === COOKIE_VERSION && r.u16() === expected.cipherSuite && r.u16() === expected.group &&
      equal(r.vector(1, "ch1_hash"), expected.clientHello1Hash);
    r.end();
    return ok;
  } catch {
    return false;
  }
}
