/**
 * Which received alerts are the peer's error, ending the connection at once (reported as received), and
 * which are closures or warnings that leave the engine to decide.
 *
 * @module
 */

import { type Alert, AlertLevel } from "../record/alert.ts";

/**
 * True when `alert` reports the peer's error: in TLS 1.3 every alert but close_notify and user_canceled,
 * whatever level it claims (RFC 8446 §6.2); in TLS 1.2 every fatal-level alert but close_notify, including a
 * fatal user_canceled (RFC 5246 §7.2: a fatal alert terminates the connection immediately).
 */
export function isErrorAlert(alert: Alert, tls12: boolean): boolean {
  if (alert.name === "close_notify") return false;
  if (tls12) return alert.level === AlertLevel.fatal;
  return alert.name !== "user_canceled";
}

/**
 * What to do about an error alert from the peer, for the alerts whose cause the receiver can act on: the
 * text of the `TlsAlertError` it becomes (RFC 8446 §6.2 says when each is sent).
 */
export const REMOTE_ALERT_HINTS: Readonly<Partial<Record<string, string>>> = {
  certificate_required: "the server requires a client certificate: pass one with the cert and key options",
};
