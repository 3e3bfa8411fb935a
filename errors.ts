/**
 * The error family of the library and the TLS alert registry (RFC 8446 §6, IANA "TLS Alerts").
 *
 * Every failure of a connection is a {@link TlsError}. A failure that sent or received an alert is a
 * {@link TlsAlertError} carrying the alert's name; a failed certificate check is a
 * {@link CertificateVerificationError} carrying a machine-readable `code` (and the alert that was sent).
 *
 * @module
 */

/** Alert descriptions (RFC 8446 §6, RFC 5246 §7.2). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/** The name of an alert, such as `"handshake_failure"`. */
export type AlertName = keyof typeof AlertDescription;

const alertNames = new Map<number, AlertName>(
  Object.entries(AlertDescription).map(([k, v]) => [v, k as AlertName]),
);

/** The name of alert code `code`, or `"unknown_alert_<code>"`. */
export function alertName(code: number): AlertName | `unknown_alert_${number}` {
  return alertNames.get(code) ?? `unknown_alert_${code}`;
}

/** Deno's error classes, when running under Deno (`undefined` in a browser). */
const denoErrors: typeof Deno.errors | undefined = (globalThis as { Deno?: typeof Deno }).Deno?.errors;

/**
 * Base class of every error the library raises about a connection: a bad option, a transport that failed or
 * closed mid-handshake, a handshake timeout, and (as the subclasses {@link TlsAlertError} and
 * {@link CertificateVerificationError}) every protocol or certificate failure. A connection that failed keeps
 * reporting the same error. Under Deno it is also a `Deno.errors.InvalidData`, the class Deno's own TLS uses
 * for these failures; in a browser it extends `Error`.
 *
 * @example
 * ```ts
 * import { connectTls, TlsError } from "@subtle/tls";
 *
 * try {
 *   const conn = await connectTls({ hostname: "example.com", port: 443, handshakeTimeout: 5_000 });
 *   await conn.handshake();
 *   conn.close();
 * } catch (e) {
 *   if (e instanceof TlsError) console.error(`TLS failed: ${e.message}`);
 *   else throw e; // e.g. Deno.errors.ConnectionRefused from the TCP connect
 * }
 * ```
 */
export class TlsError extends Error {
  /** `"TlsError"`, or the subclass's name. */
  override name = "TlsError";
}

// Under Deno, TlsError (and so every subclass) extends Deno.errors.InvalidData — what Deno's own TLS throws
// for a protocol or certificate failure — so that code written for it catches this library's errors too.
// It is declared as extending Error (its type, and what it stays in a browser) and re-parented here, once,
// at module load: `super()` calls whatever the class's prototype is when it runs.
if (denoErrors) {
  Object.setPrototypeOf(TlsError, denoErrors.InvalidData);
  Object.setPrototypeOf(TlsError.prototype, denoErrors.InvalidData.prototype);
}

/** The connection-state errors of `Deno.Conn` that a `TlsConn` raises as Deno does. */
export type ConnectionErrorKind = "Interrupted" | "BadResource" | "NotConnected" | "UnexpectedEof";

/**
 * A connection-state error of the class Deno uses for it (`Deno.errors.Interrupted`, …); in a browser an
 * `Error` whose `name` is that class's name.
 */
export function connectionError(kind: ConnectionErrorKind, message: string, options?: ErrorOptions): Error {
  const cls = denoErrors?.[kind];
  if (cls) return new cls(message, options);
  const error = new Error(message, options);
  error.name = kind;
  return error;
}

/**
 * A transport failure (`doing`: "read", "write", …) as the connection reports it, with the original as
 * `cause`: of the same `Deno.errors` class when it is one (`ConnectionReset`, `BrokenPipe`, …: what Deno's
 * own TLS reports), else a {@link TlsError}. Never the raw value, which a stream may reject with as
 * `undefined`.
 */
export function transportError(cause: unknown, doing: string): Error {
  const reason = cause instanceof Error
    ? cause.message
    : cause === undefined
    ? "no reason given"
    : String(cause);
  const message = `transport ${doing} failed: ${reason}`;
  if (denoErrors && cause instanceof Error) {
    for (const cls of Object.values(denoErrors)) {
      if (cause.constructor === cls) return new cls(message, { cause });
    }
  }
  return new TlsError(message, { cause });
}

/**
 * A fatal alert: either one this side sent (`source: "local"`) because the peer misbehaved, or one the peer
 * sent (`source: "remote"`).
 *
 * @example
 * ```ts
 * import { connectTls, TlsAlertError } from "@subtle/tls";
 *
 * try {
 *   const conn = await connectTls({ hostname: "example.com", port: 443, minVersion: "TLSv1.3" });
 *   await conn.handshake(); // connectTls resolves once TCP is connected; the handshake's outcome is here
 *   conn.close();
 * } catch (e) {
 *   // e.g. "protocol_version remote": the server does not speak TLS 1.3
 *   if (e instanceof TlsAlertError) console.log(e.alert, e.source);
 *   else throw e;
 * }
 * ```
 */
export class TlsAlertError extends TlsError {
  /** `"TlsAlertError"`. */
  override name = "TlsAlertError";
  /** The alert's name, e.g. `"handshake_failure"`. */
  readonly alert: AlertName | `unknown_alert_${number}`;
  /** Who sent the alert: this side (`"local"`) or the peer (`"remote"`). */
  readonly source: "local" | "remote";

  /** Made by the library when it sends or receives a fatal alert; `message` says why. */
  constructor(
    alert: AlertName | `unknown_alert_${number}`,
    source: "local" | "remote",
    message: string,
    options?: ErrorOptions,
  ) {
    super(
      source === "remote"
        ? `peer sent alert ${alert}${message ? `: ${message}` : ""}`
        : `${message} (sent alert ${alert})`,
      options,
    );
    this.alert = alert;
    this.source = source;
  }
}

/**
 * Why a certificate was refused (the rules behind each code are listed in `docs/x509.md`):
 *
 * - `expired`, `not_yet_valid`: the time lies outside a certificate's validity period.
 * - `unknown_issuer`: no path leads to a trust anchor.
 * - `bad_signature`: a signature does not verify, or its algorithm does not fit the issuer's key.
 * - `hostname_mismatch`: the subjectAltName does not cover the name or address asked for.
 * - `not_a_ca`: an issuer does not assert basicConstraints cA.
 * - `path_length_exceeded`: a pathLenConstraint, or the verifier's own limit, is exceeded.
 * - `bad_key_usage`: a keyUsage that does not allow what the certificate is used for, is missing on a CA, or
 *   asserts keyCertSign without cA.
 * - `bad_extended_key_usage`: an extKeyUsage that is missing on a leaf, does not allow the purpose, holds
 *   anyExtendedKeyUsage or is critical on a leaf, or is present on a root.
 * - `bad_key_identifier`: an authority or subject key identifier that is missing, critical, of the wrong form,
 *   or (on a root) disagrees with the subject key identifier.
 * - `bad_basic_constraints`: basicConstraints cA on a leaf, or a CA's basicConstraints not critical.
 * - `bad_name`: an empty issuer, an empty subject on a CA, or a subject/subjectAltName pair that breaks the
 *   profile (an empty subject needs a critical subjectAltName; a leaf with a subject, a non-critical one).
 * - `bad_name_constraints`: a nameConstraints extension that is not critical, or sits in a leaf.
 * - `name_constraint_violation`: a name lies outside a CA's name constraints (or cannot be checked).
 * - `bad_serial_number`: a serial number that is zero, negative, or longer than 20 octets.
 * - `unsupported_algorithm`, `weak_key`: a key or signature algorithm that is not supported or too weak.
 * - `unknown_critical_extension`: a critical extension that is not processed.
 * - `malformed`: bytes that are not a well-formed X.509 certificate (extensions included).
 * - `rejected_by_callback`: a `verifyPeer` callback threw.
 */
export type CertificateErrorCode =
  | "expired"
  | "not_yet_valid"
  | "unknown_issuer"
  | "bad_signature"
  | "hostname_mismatch"
  | "not_a_ca"
  | "path_length_exceeded"
  | "bad_key_usage"
  | "bad_extended_key_usage"
  | "bad_key_identifier"
  | "bad_basic_constraints"
  | "bad_name"
  | "bad_name_constraints"
  | "name_constraint_violation"
  | "bad_serial_number"
  | "unsupported_algorithm"
  | "weak_key"
  | "unknown_critical_extension"
  | "malformed"
  | "rejected_by_callback";

/**
 * A certificate check failed. `code` says which; `subject` names the certificate it failed on; `alert` is
 * the alert that was sent to the peer (RFC 8446 §6.2), once the handshake has sent it.
 *
 * @example
 * ```ts
 * import { CertificateVerificationError, connectTls } from "@subtle/tls";
 *
 * try {
 *   const conn = await connectTls({ hostname: "wrong.host.example", port: 443 });
 *   await conn.handshake();
 *   conn.close();
 * } catch (e) {
 *   if (e instanceof CertificateVerificationError && e.code === "hostname_mismatch") {
 *     console.log("name mismatch:", e.message);
 *   }
 * }
 * ```
 */
export class CertificateVerificationError extends TlsError {
  /** `"CertificateVerificationError"`. */
  override name = "CertificateVerificationError";
  /** Machine-readable reason. */
  readonly code: CertificateErrorCode;
  /** Subject of the certificate the check failed on, when one is concerned. */
  readonly subject?: string;
  /** What failed, in words: the `message` without the subject, the code and the hint. */
  readonly detail: string;
  /**
   * What to do about it, when the library can tell: the option that makes a handshake accept such a
   * certificate, or who has to fix it (`connectTls`/`startTls` and `listenTls`/`acceptTls` add one, naming
   * their options). It ends the `message` too.
   */
  readonly hint?: string;
  /** The alert sent to the peer because of this failure. */
  alert?: AlertName;

  /**
   * Made by the library's certificate checks, and with code `rejected_by_callback` when a `verifyPeer`
   * callback threw (its error is the `cause`).
   */
  constructor(
    code: CertificateErrorCode,
    message: string,
    subject?: string,
    options?: ErrorOptions & { readonly hint?: string },
  ) {
    super(
      `Cannot verify certificate${subject ? ` "${subject}"` : ""}: ${message} [${code}]` +
        (options?.hint ? `. ${options.hint}` : ""),
      options,
    );
    this.code = code;
    this.subject = subject;
    this.detail = message;
    if (options?.hint) this.hint = options.hint;
  }
}

/** The alert RFC 8446 §6.2 prescribes for a certificate verification failure. */
export function alertForCertificateError(code: CertificateErrorCode): AlertName {
  switch (code) {
    case "expired":
    case "not_yet_valid":
      return "certificate_expired";
    case "unknown_issuer":
      return "unknown_ca";
    case "unsupported_algorithm":
    case "weak_key":
      return "unsupported_certificate";
    case "hostname_mismatch":
    case "not_a_ca":
    case "path_length_exceeded":
    case "bad_key_usage":
    case "bad_extended_key_usage":
    case "name_constraint_violation":
    case "unknown_critical_extension":
      return "certificate_unknown";
    case "bad_signature":
    case "bad_key_identifier":
    case "bad_basic_constraints":
    case "bad_name":
    case "bad_name_constraints":
    case "bad_serial_number":
    case "malformed":
    case "rejected_by_callback":
      return "bad_certificate";
  }
}
