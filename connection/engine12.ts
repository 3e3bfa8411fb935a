/**
 * The TLS 1.2 parts of the engine's record layer (RFC 5246 §6, §7.1, §7.2), kept beside `engine.ts`, which
 * switches to them once a handshake state says the version is TLS 1.2 (`useTls12()`):
 *
 * - record protection per key block (explicit-nonce AES-GCM or ChaCha20-Poly1305, `protection12.ts`);
 * - ChangeCipherSpec, a record of its own that must be exactly `[1]`, fall on a handshake message boundary and
 *   arrive when the handshake state waits for it — anything else is unexpected_message;
 * - warning-level alerts, which TLS 1.2 lets the connection survive (RFC 5246 §7.2.2): ignored, but only a
 *   few in a row, so that a peer cannot keep a connection busy with them.
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import { TlsAlertError } from "../errors.ts";
import type { Tls12Suite } from "../handshake/constants.ts";
import type { HandshakeIo, HandshakeState, Tls12TrafficKeys } from "../handshake/context.ts";
import { type Alert, AlertLevel } from "../record/alert.ts";
import { Tls12RecordProtection } from "../record/protection12.ts";
import type { Tls13RecordProtection } from "../record/protection13.ts";

/** One direction's record protection, of either version: both seal `(type, content)` and open a record. */
export type RecordProtection = Tls13RecordProtection | Tls12RecordProtection;

/** Warning alerts in a row that a TLS 1.2 connection ignores before it gives up (as BoringSSL does). */
export const MAX_WARNING_ALERTS = 4;

/** Imports the AEAD key of one TLS 1.2 direction and wraps it in record protection (RFC 5246 §6.2.3.3). */
export async function tls12Protection(
  crypto: CryptoProvider,
  suite: Tls12Suite,
  keys: Tls12TrafficKeys,
): Promise<Tls12RecordProtection> {
  return new Tls12RecordProtection(await crypto.importAead(suite.aead, keys.key), keys.iv);
}

/**
 * Checks a received TLS 1.2 ChangeCipherSpec (RFC 5246 §7.1) and returns the handler of the state that waits
 * for it. `atBoundary` says that no partial handshake message is pending.
 */
export function changeCipherSpecHandler12(
  content: Uint8Array,
  atBoundary: boolean,
  state: HandshakeState | undefined,
): (io: HandshakeIo) => Promise<HandshakeState> {
  if (content.length !== 1 || content[0] !== 1) {
    throw new TlsAlertError(
      "unexpected_message",
      "local",
      "ChangeCipherSpec is not the single byte 1 (RFC 5246 §7.1)",
    );
  }
  if (!atBoundary) {
    throw new TlsAlertError(
      "unexpected_message",
      "local",
      "ChangeCipherSpec inside a handshake message (RFC 5246 §7.1)",
    );
  }
  if (!state?.handleChangeCipherSpec) {
    throw new TlsAlertError(
      "unexpected_message",
      "local",
      `ChangeCipherSpec in ${state?.name ?? "no state"}, which does not wait for one (RFC 5246 §7.1)`,
    );
  }
  return state.handleChangeCipherSpec.bind(state);
}

/**
 * Counts the TLS 1.2 warning alerts received in a row. RFC 5246 §7.2.2 lets a connection go on after a
 * warning; this library ignores every warning but close_notify (it never renegotiates, so no_renegotiation
 * needs no answer), and fails with unexpected_message after {@link MAX_WARNING_ALERTS} in a row.
 */
export class WarningAlerts12 {
  #inARow = 0;

  /** True when `alert` is a warning to ignore; throws when too many came in a row. */
  ignore(alert: Alert): boolean {
    if (alert.level !== AlertLevel.warning || alert.name === "close_notify") return false;
    if (++this.#inARow > MAX_WARNING_ALERTS) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `more than ${MAX_WARNING_ALERTS} warning alerts in a row (last: ${alert.name})`,
      );
    }
    return true;
  }

  /** A record other than an alert arrived. */
  reset(): void {
    this.#inARow = 0;
  }
}
