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
 * handshake only. A server sends cookies only when configured to (`helloRetryCookie`); without one, a second
 * ClientHello must not bring a cookie either.
 *
 * @module
 */

import { concat, constantTimeEqual, equal, Reader, utf8, Writer } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { abort } from "./checks.ts";

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

/**
 * RFC 8446 §4.1.2, §4.2.2: the second ClientHello echoes the HelloRetryRequest's cookie unchanged
 * (`missing_extension` without it, `illegal_parameter` for another one), or brings none when the
 * HelloRetryRequest had none (`cookieKey` absent; `illegal_parameter` otherwise).
 */
export async function checkEchoedCookie(
  crypto: CryptoProvider,
  cookieKey: Uint8Array | undefined,
  clientRandom: Uint8Array,
  cookie: Uint8Array | undefined,
  expected: CookieContents,
): Promise<void> {
  if (!cookieKey) {
    if (cookie !== undefined) {
      abort(
        "illegal_parameter",
        "the second ClientHello carries a cookie the HelloRetryRequest did not send (RFC 8446 §4.1.2)",
      );
    }
    return;
  }
  if (cookie === undefined) {
    abort(
      "missing_extension",
      "the second ClientHello does not echo the HelloRetryRequest cookie (RFC 8446 §4.2.2)",
    );
  }
  if (!(await checkCookie(crypto, cookieKey, clientRandom, cookie, expected))) {
    abort(
      "illegal_parameter",
      "the second ClientHello's cookie is not the one this server sent (RFC 8446 §4.2.2)",
    );
  }
}
