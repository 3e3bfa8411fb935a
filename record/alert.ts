/**
 * Alert messages (RFC 8446 §6): two bytes, level and description.
 *
 * @module
 */

import { AlertDescription, type AlertName, alertName, TlsAlertError } from "../errors.ts";

/** Alert levels. In TLS 1.3 every alert but close_notify and user_canceled is fatal (RFC 8446 §6). */
export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** A decoded alert. */
export interface Alert {
  readonly level: number;
  readonly description: number;
  readonly name: ReturnType<typeof alertName>;
}

/** Encodes an alert; close_notify and user_canceled go as warnings, the rest as fatal. */
export function encodeAlert(name: AlertName): Uint8Array {
  const description = AlertDescription[name];
  const level = name === "close_notify" || name === "user_canceled" ? AlertLevel.warning : AlertLevel.fatal;
  return new Uint8Array([level, description]);
}

/**
 * Decodes an alert record's content. An empty one is `unexpected_message` (RFC 8446 §5.4: no zero-length
 * Alert content); any other length but two bytes is `decode_error`; a level other than warning or fatal is
 * `illegal_parameter`.
 */
export function decodeAlert(content: Uint8Array): Alert {
  if (content.length === 0) {
    throw new TlsAlertError("unexpected_message", "local", "zero-length alert record (RFC 8446 §5.4)");
  }
  if (content.length !== 2) {
    throw new TlsAlertError("decode_error", "local", `alert of ${content.length} bytes (RFC 8446 §6)`);
  }
  const [level, description] = content;
  if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
    throw new TlsAlertError("illegal_parameter", "local", `alert with level ${level}`);
  }
  return { level, description, name: alertName(description) };
}
