/**
 * What the probe reports: the shape of {@link ProbeReport}, rendered as text or JSON by `render.ts`.
 *
 * @module
 */

import type { CertificateReport } from "./certificates.ts";
import type { CheckResult } from "./checks.ts";
import type { TraceRecord } from "./trace.ts";

/** What was negotiated. */
export interface NegotiatedReport {
  /** `"TLSv1.3"` (or `"TLSv1.2"`). */
  readonly protocol: "TLSv1.3" | "TLSv1.2";
  /** IANA name of the suite, e.g. `"TLS_AES_128_GCM_SHA256"`. */
  readonly cipherSuite: string;
  /** The key-exchange group, e.g. `"X25519MLKEM768"`. */
  readonly group: string | null;
  /** The ALPN protocol agreed, or `null`. */
  readonly alpnProtocol: string | null;
  /** The SNI sent, or `null` (IP literals send none). */
  readonly serverName: string | null;
  /** Whether the session was resumed. */
  readonly resumed: boolean;
}

/** Where a failure happened. */
export type ProbeStage = "options" | "connect" | "handshake" | "verification" | "client certificate";

/** Why the probe failed. */
export interface ProbeError {
  /** Where it failed. */
  readonly stage: ProbeStage;
  /** One line, fit to print as the reason: what failed, and which flag of the probe would change it. */
  readonly message: string;
  /** The certificate error code, for a verification failure. */
  readonly code?: string;
  /** The alert, when one was sent or received. */
  readonly alert?: string;
  /** Who sent the alert. */
  readonly alertSource?: "local" | "remote";
}

/** The server asked for a client certificate (RFC 8446 §4.3.2, RFC 5246 §7.4.4): what was sent, and how it went. */
export interface ClientCertificateReport {
  /** The subject of the certificate sent (from `--cert`), or `null` when none was sent. */
  readonly sent: string | null;
  /**
   * `"accepted"`: the server went on (TLS 1.3: sent its session tickets or data after the client's
   * Finished); `"refused"`: it ended the connection with an alert; `"unknown"`: it said nothing in time.
   */
  readonly outcome: "accepted" | "refused" | "unknown";
}

/** Everything the probe found out. */
export interface ProbeReport {
  /** Where the probe connected, and the name it verified. */
  readonly target: { readonly host: string; readonly port: number; readonly serverName: string };
  /** True when the handshake completed and the certificate verified (or `--insecure` was given). */
  readonly ok: boolean;
  /** The address connected to (after DNS), `ip:port`. */
  readonly address: string | null;
  /**
   * What was negotiated, or `null` when no ServerHello arrived. For a handshake that did not complete (a
   * refused certificate, say) it is read from the ServerHello and, in TLS 1.3, the decrypted
   * EncryptedExtensions.
   */
  readonly tls: NegotiatedReport | null;
  /** True when the handshake completed. */
  readonly handshakeComplete: boolean;
  /** The certificates the server sent, leaf first (also when verification refused them). */
  readonly chain: readonly CertificateReport[];
  /** The certificate checks: `ok` when every one passed. */
  readonly verification: {
    readonly ok: boolean;
    /** `--insecure` was given: a failure was reported but the connection went on. */
    readonly insecure: boolean;
    readonly checks: readonly CheckResult[];
  };
  /** When the server asked for a client certificate: what was sent and how it went; else `null`. */
  readonly clientCertificate: ClientCertificateReport | null;
  /** Milliseconds: DNS + TCP connect; TLS handshake from the first byte sent to completion; total. */
  readonly timings: {
    readonly connectMs: number | null;
    readonly handshakeMs: number | null;
    readonly totalMs: number;
  };
  /**
   * Every record, with `--trace`; those of TLS 1.3 that are encrypted are named from their decryption with
   * the connection's own key-log secrets.
   */
  readonly trace: readonly TraceRecord[] | null;
  /** With `--keylog`: the file and how many lines were appended to it. */
  readonly keyLog: { readonly file: string; readonly lines: number; readonly error?: string } | null;
  /** Why the probe failed, or `null`. */
  readonly error: ProbeError | null;
}
