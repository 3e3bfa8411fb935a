/**
 * The probe itself: connects, runs the TLS handshake through the library's `startTls` over a tapped TCP
 * connection, and gathers everything worth showing into a {@link ProbeReport}. No output here (see
 * `render.ts`), so the report can be checked and rendered as text or JSON alike.
 *
 * @module
 */

import { webCrypto } from "../crypto/webcrypto.ts";
import {
  CertificateVerificationError,
  type PeerCertificate,
  type PeerVerificationInput,
  startTls,
  TlsAlertError,
  type TlsConn,
  type TlsHandshakeInfo,
} from "../mod.ts";
import type { ProbeArgs } from "./args.ts";
import { type CertificateReport, describeChain } from "./certificates.ts";
import { allPassed, type CheckResult, failedAt, noneChecked } from "./checks.ts";
import { type Direction, RecordTracer, tapConnection, type TraceRecord, type TraceSession } from "./trace.ts";

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
export type ProbeStage = "options" | "connect" | "handshake" | "verification";

/** Why the probe failed. */
export interface ProbeError {
  /** Where it failed. */
  readonly stage: ProbeStage;
  /** One line, fit to print as the reason. */
  readonly message: string;
  /** The certificate error code, for a verification failure. */
  readonly code?: string;
  /** The alert, when one was sent or received. */
  readonly alert?: string;
  /** Who sent the alert. */
  readonly alertSource?: "local" | "remote";
}

/** Everything the probe found out. */
export interface ProbeReport {
  /** Where the probe connected, and the name it verified. */
  readonly target: { readonly host: string; readonly port: number; readonly serverName: string };
  /** True when the handshake completed and the certificate verified (or `--insecure` was given). */
  readonly ok: boolean;
  /** The address connected to (after DNS), `ip:port`. */
  readonly address: string | null;
  /** What was negotiated, or `null` when no handshake completed. */
  readonly tls: NegotiatedReport | null;
  /** The certificates the server sent, leaf first. */
  readonly chain: readonly CertificateReport[];
  /**
   * True when `tls` and `chain` come from a second connection made with verification off, because the first
   * one was refused at verification.
   */
  readonly fromSecondConnection: boolean;
  /** The certificate checks: `ok` when every one passed. */
  readonly verification: {
    readonly ok: boolean;
    /** `--insecure` was given: a failure was reported but the connection went on. */
    readonly insecure: boolean;
    readonly checks: readonly CheckResult[];
  };
  /** Milliseconds: DNS + TCP connect; TLS handshake from the first byte sent to completion; total. */
  readonly timings: {
    readonly connectMs: number | null;
    readonly handshakeMs: number | null;
    readonly totalMs: number;
  };
  /** Every record of the first connection, with `--trace`. */
  readonly trace: readonly TraceRecord[] | null;
  /** With `--keylog`: the file and how many lines were appended to it. */
  readonly keyLog: { readonly file: string; readonly lines: number; readonly error?: string } | null;
  /** Why the probe failed, or `null`. */
  readonly error: ProbeError | null;
}

/** One connection attempt. */
interface Attempt {
  address: string | null;
  connectMs: number | null;
  handshakeMs: number | null;
  totalMs: number;
  info?: TlsHandshakeInfo;
  /** What `verifyPeer` saw (it runs only when the built-in checks passed or were overridden). */
  peer?: PeerVerificationInput;
  error?: unknown;
  stage?: ProbeStage;
  records: TraceRecord[];
}

interface AttemptOptions {
  readonly args: ProbeArgs;
  readonly serverName: string;
  readonly caCerts: string[] | undefined;
  readonly insecure: boolean;
  readonly trace: boolean;
  readonly keyLog: (line: string) => void;
  readonly signal: AbortSignal;
}

/** How long to wait for the final records to leave before the socket is closed. */
const CLOSE_GRACE_MS = 500;

function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function attempt(o: AttemptOptions): Promise<Attempt> {
  const start = performance.now();
  const records: TraceRecord[] = [];
  let tcp: Deno.Conn;
  try {
    tcp = await Deno.connect({ hostname: o.args.host, port: o.args.port, signal: o.signal });
  } catch (error) {
    return {
      address: null,
      connectMs: null,
      handshakeMs: null,
      totalMs: performance.now() - start,
      error,
      stage: "connect",
      records,
    };
  }
  const connected = performance.now();
  const remote = tcp.remoteAddr as Deno.NetAddr;
  const address = remote.hostname.includes(":")
    ? `[${remote.hostname}]:${remote.port}`
    : `${remote.hostname}:${remote.port}`;
  let firstSent: number | undefined;
  const session: TraceSession = {};
  const tracers: Record<Direction, RecordTracer> = {
    sent: new RecordTracer("sent", session),
    received: new RecordTracer("received", session),
  };
  const tapped = tapConnection(tcp, (direction, chunk) => {
    const now = performance.now();
    if (direction === "sent") firstSent ??= now;
    if (o.trace) records.push(...tracers[direction].push(chunk, now - connected));
  });
  let conn: TlsConn | undefined;
  const result: Attempt = {
    address,
    connectMs: connected - start,
    handshakeMs: null,
    totalMs: 0,
    records,
  };
  try {
    conn = await startTls(tapped, {
      serverName: o.serverName,
      caCerts: o.caCerts,
      alpnProtocols: o.args.alpn.length > 0 ? [...o.args.alpn] : undefined,
      unsafelyIgnoreCertificateErrors: o.insecure,
      verifyPeer: (peer) => {
        result.peer = peer;
      },
      keyLog: o.keyLog,
      signal: o.signal,
    });
    result.info = await conn.handshake();
  } catch (error) {
    result.error = error;
    result.stage = error instanceof CertificateVerificationError ? "verification" : "handshake";
  }
  const done = performance.now();
  result.handshakeMs = firstSent === undefined ? null : done - firstSent;
  result.totalMs = done - start;
  conn?.close();
  await waitAtMost(tapped.writeDone, CLOSE_GRACE_MS);
  try {
    tcp.close();
  } catch {
    // already closed by the TLS connection
  }
  return result;
}

function negotiated(info: TlsHandshakeInfo): NegotiatedReport {
  return {
    protocol: info.protocol,
    cipherSuite: info.cipherSuite,
    group: info.group,
    alpnProtocol: info.alpnProtocol,
    serverName: info.serverName,
    resumed: info.resumed,
  };
}

/** The one-line reason of a failed attempt. */
function describeError(a: Attempt, o: AttemptOptions): ProbeError {
  const e = a.error;
  const stage = a.stage ?? "handshake";
  const where = `${o.args.host}:${o.args.port}`;
  if (o.signal.aborted) {
    return { stage, message: `timed out after ${o.args.timeoutSeconds} s (during the ${stage})` };
  }
  const text = e instanceof Error ? e.message : String(e);
  if (stage === "connect") return { stage, message: `cannot connect to ${where}: ${text}` };
  if (e instanceof CertificateVerificationError) {
    return {
      stage: "verification",
      message: `certificate verification failed: ${text}`,
      code: e.code,
      alert: e.alert,
      alertSource: e.alert ? "local" : undefined,
    };
  }
  if (e instanceof TlsAlertError) {
    return {
      stage,
      message: `TLS handshake with ${where} failed: ${text}`,
      alert: e.alert,
      alertSource: e.source,
    };
  }
  return { stage, message: `TLS handshake with ${where} failed: ${text}` };
}

/** The checks as seen by a successful attempt: all passed, or the failure `--insecure` let through. */
function checksOf(a: Attempt): CheckResult[] {
  const error = a.peer?.error;
  return error ? failedAt(error.code, error.message) : allPassed();
}

/**
 * Probes `args.host:args.port`. Never throws for a network or TLS failure: the report's `error` says what
 * went wrong. When verification refuses the server, a second connection with verification off fetches the
 * chain so it can still be shown.
 *
 * @example
 * ```ts
 * import { runProbe } from "@subtle/tls/probe";
 *
 * const report = await runProbe({
 *   host: "example.com",
 *   port: 443,
 *   alpn: [],
 *   insecure: false,
 *   trace: false,
 *   json: false,
 *   color: false,
 *   timeoutSeconds: 15,
 * });
 * console.log(report.ok, report.tls?.cipherSuite);
 * ```
 */
export async function runProbe(args: ProbeArgs): Promise<ProbeReport> {
  const serverName = args.serverName ?? args.host;
  const target = { host: args.host, port: args.port, serverName };
  let caCerts: string[] | undefined;
  if (args.caFile !== undefined) {
    try {
      caCerts = [await Deno.readTextFile(args.caFile)];
    } catch (e) {
      return failedEarly(target, args, {
        stage: "options",
        message: `cannot read --cafile ${args.caFile}: ${e}`,
      });
    }
  }
  const keyLogLines: string[] = [];
  const options: AttemptOptions = {
    args,
    serverName,
    caCerts,
    insecure: args.insecure,
    trace: args.trace,
    keyLog: (line) => keyLogLines.push(line),
    signal: AbortSignal.timeout(args.timeoutSeconds * 1000),
  };
  const first = await attempt(options);
  let shown = first;
  let checks: CheckResult[];
  let error: ProbeError | null = null;
  if (first.error === undefined) {
    checks = checksOf(first);
  } else {
    error = describeError(first, options);
    if (first.error instanceof CertificateVerificationError) {
      checks = failedAt(first.error.code, first.error.message);
      const second = await attempt({ ...options, insecure: true, trace: false });
      if (second.error === undefined) shown = second;
    } else {
      // verifyPeer ran, so the built-in checks had passed before the handshake failed later on.
      checks = first.peer ? checksOf(first) : noneChecked();
    }
  }
  const chain: readonly PeerCertificate[] = shown.info?.peerCertificates ?? shown.peer?.certificates ?? [];
  const verificationOk = checks.every((c) => c.status === "pass");
  return {
    target,
    ok: error === null && (verificationOk || args.insecure),
    address: first.address,
    tls: shown.info ? negotiated(shown.info) : null,
    chain: await describeChain(chain, (data) => webCrypto.hash("SHA-256", data)),
    fromSecondConnection: shown !== first,
    verification: { ok: verificationOk, insecure: args.insecure, checks },
    timings: { connectMs: first.connectMs, handshakeMs: first.handshakeMs, totalMs: first.totalMs },
    trace: args.trace ? first.records : null,
    keyLog: args.keyLogFile === undefined ? null : await writeKeyLog(args.keyLogFile, keyLogLines),
    error,
  };
}

/** Appends the NSS key-log lines to `file` (created if missing). */
async function writeKeyLog(file: string, lines: string[]): Promise<NonNullable<ProbeReport["keyLog"]>> {
  try {
    await Deno.writeTextFile(file, lines.map((l) => l + "\n").join(""), { append: true });
    return { file, lines: lines.length };
  } catch (e) {
    return { file, lines: 0, error: `cannot write ${file}: ${e instanceof Error ? e.message : e}` };
  }
}

function failedEarly(target: ProbeReport["target"], args: ProbeArgs, error: ProbeError): ProbeReport {
  return {
    target,
    ok: false,
    address: null,
    tls: null,
    chain: [],
    fromSecondConnection: false,
    verification: { ok: false, insecure: args.insecure, checks: noneChecked() },
    timings: { connectMs: null, handshakeMs: null, totalMs: 0 },
    trace: args.trace ? [] : null,
    keyLog: null,
    error,
  };
}
