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
  startTls,
  TlsAlertError,
  type TlsConn,
  type TlsHandshakeInfo,
} from "../mod.ts";
import { parseCertificate } from "../x509/mod.ts";
import type { ProbeArgs } from "./args.ts";
import type { NegotiatedReport, ProbeError, ProbeReport, ProbeStage } from "./report.ts";
import { describeChain } from "./certificates.ts";
import { allPassed, type CheckResult, failedAt, noneChecked } from "./checks.ts";
import { decodeConnection, keyLogSecrets } from "./decrypt.ts";
import { clientCertificateFacts, negotiatedFacts, serverCertificates } from "./facts.ts";
import {
  type Direction,
  type RawRecord,
  RecordSplitter,
  RecordTracer,
  tapConnection,
  type TraceSession,
} from "./trace.ts";

/** The connection attempt. */
interface Attempt {
  address: string | null;
  connectMs: number | null;
  handshakeMs: number | null;
  totalMs: number;
  info?: TlsHandshakeInfo;
  error?: unknown;
  stage?: ProbeStage;
  /** The records that passed, both directions in order (up to {@link MAX_KEPT_RECORDS}). */
  records: RawRecord[];
  /** The key-log lines the library handed out. */
  keyLog: string[];
  /** The server sent a CertificateRequest. */
  certificateRequested: boolean;
  /** TLS 1.3, after a CertificateRequest: what the server did once the handshake was over. */
  verdict?: "accepted" | "refused" | "unknown";
}

interface AttemptOptions {
  readonly args: ProbeArgs;
  readonly serverName: string;
  readonly caCerts: string[] | undefined;
  readonly clientCert: { readonly cert: string; readonly key: string } | undefined;
  readonly signal: AbortSignal;
}

/** How long to wait for the final records to leave before the socket is closed. */
const CLOSE_GRACE_MS = 500;
/**
 * How long, after a TLS 1.3 handshake in which the server asked for a client certificate, to wait for its
 * verdict: it accepts or refuses the certificate (or its absence) only after the client's Finished, when the
 * client's handshake is already complete (RFC 8446 §4.4.2.4).
 */
const VERDICT_MS = 2000;
/** Records kept of one connection: a handshake and its first answer fit many times. */
const MAX_KEPT_RECORDS = 256;

function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function attempt(o: AttemptOptions): Promise<Attempt> {
  const start = performance.now();
  const result: Attempt = {
    address: null,
    connectMs: null,
    handshakeMs: null,
    totalMs: 0,
    records: [],
    keyLog: [],
    certificateRequested: false,
  };
  let tcp: Deno.Conn;
  try {
    tcp = await Deno.connect({ hostname: o.args.host, port: o.args.port, signal: o.signal });
  } catch (error) {
    return { ...result, totalMs: performance.now() - start, error, stage: "connect" };
  }
  const connected = performance.now();
  const remote = tcp.remoteAddr as Deno.NetAddr;
  result.address = remote.hostname.includes(":")
    ? `[${remote.hostname}]:${remote.port}`
    : `${remote.hostname}:${remote.port}`;
  result.connectMs = connected - start;
  let firstSent: number | undefined;
  const splitters: Record<Direction, RecordSplitter> = {
    sent: new RecordSplitter("sent"),
    received: new RecordSplitter("received"),
  };
  const tapped = tapConnection(tcp, (direction, chunk) => {
    const now = performance.now();
    if (direction === "sent") firstSent ??= now;
    for (const record of splitters[direction].push(chunk, now - connected)) {
      if (result.records.length < MAX_KEPT_RECORDS) result.records.push(record);
    }
  });
  // TLS 1.3: the server's tickets come once it has accepted the client's Finished (and certificate).
  const { promise: ticketArrived, resolve: ticket } = Promise.withResolvers<"accepted">();
  let conn: TlsConn | undefined;
  let handshakeDone: number | undefined;
  try {
    conn = await startTls(tapped, {
      serverName: o.serverName,
      caCerts: o.caCerts,
      ...o.clientCert,
      alpnProtocols: o.args.alpn.length > 0 ? [...o.args.alpn] : undefined,
      unsafelyIgnoreCertificateErrors: o.args.insecure,
      sessionCache: null,
      keyLog: (line) => result.keyLog.push(line),
      trace: (event) => {
        if (event.kind !== "message" || event.direction !== "received") return;
        if (event.message.type === "certificate_request") result.certificateRequested = true;
        if (event.message.type === "new_session_ticket") ticket("accepted");
      },
      signal: o.signal,
    });
    result.info = await conn.handshake();
    handshakeDone = performance.now();
    if (result.certificateRequested && result.info.protocol === "TLSv1.3") {
      const read = conn.read(new Uint8Array(1)).then(() => "accepted" as const, (e: unknown) => e);
      const verdict = await waitAtMost(Promise.race([read, ticketArrived]), VERDICT_MS);
      if (verdict === "accepted") {
        result.verdict = "accepted";
      } else if (verdict === undefined) {
        result.verdict = "unknown";
      } else {
        result.verdict = "refused";
        result.error = verdict;
        result.stage = "client certificate";
      }
    }
  } catch (error) {
    result.error = error;
    result.stage = error instanceof CertificateVerificationError ? "verification" : "handshake";
    if (result.certificateRequested && error instanceof TlsAlertError && error.source === "remote") {
      result.verdict = "refused";
      result.stage = "client certificate";
    }
  }
  const done = handshakeDone ?? performance.now();
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

/** The library's message without its hint (which names options of the API, not flags of the probe). */
function withoutHint(e: CertificateVerificationError): string {
  return e.hint ? e.message.slice(0, e.message.length - e.hint.length - 2) : e.message;
}

/** What to do about a refused server certificate, in flags of the probe. */
function verificationHint(e: CertificateVerificationError): string | undefined {
  switch (e.code) {
    case "expired":
    case "not_yet_valid":
      return e.hint; // the clock or the server: no flag changes that
    case "hostname_mismatch":
      return "--servername NAME checks a name the certificate carries";
    case "unknown_issuer":
      return e.hint?.includes("self-signed")
        ? "--cafile FILE with the certificate itself trusts it"
        : "--cafile FILE trusts the CA that issued it; --insecure shows the connection all the same";
  }
  return e.hint?.includes("self-signed") ? "--cafile FILE with the certificate itself trusts it" : undefined;
}

/** The one-line reason of a failed attempt, ending with what to do about it in flags of the probe. */
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
    const hint = verificationHint(e);
    return {
      stage: "verification",
      message: `certificate verification failed: ${withoutHint(e)}${hint ? `. ${hint}` : ""}`,
      code: e.code,
      alert: e.alert,
      alertSource: e.alert ? "local" : undefined,
    };
  }
  const alert = e instanceof TlsAlertError ? { alert: e.alert, alertSource: e.source } : {};
  if (stage === "client certificate") {
    const why = e instanceof TlsAlertError ? `alert ${e.alert}` : text;
    const message = o.clientCert
      ? `the server asked for a client certificate and refused the one sent (${why})`
      : `the server asked for a client certificate, none was sent, and it refused the connection (${why}). ` +
        "--cert FILE --key FILE send one";
    return { stage, message, ...alert };
  }
  return { stage, message: `TLS handshake with ${where} failed: ${text}`, ...alert };
}

/** The checks as seen by a handshake that completed: all passed, or the failure `--insecure` let through. */
function checksOf(info: TlsHandshakeInfo): CheckResult[] {
  const error = info.ignoredCertificateError;
  return error ? failedAt(error.code, withoutHint(error)) : allPassed();
}

/** Reads a PEM file named by a flag; the reason as a usage error when it cannot. */
async function readFlagFile(flag: string, file: string): Promise<string | ProbeError> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    return {
      stage: "options",
      message: `cannot read ${flag} ${file}: ${e instanceof Error ? e.message : e}`,
    };
  }
}

/**
 * Probes `args.host:args.port`. Never throws for a network or TLS failure: the report's `error` says what
 * went wrong. When verification refuses the server, the chain and what was negotiated are read from the
 * connection's own records (see `decrypt.ts`), so they are shown all the same.
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
  const files: Record<string, string | undefined> = {};
  for (
    const [flag, file] of [["--cafile", args.caFile], ["--cert", args.certFile], ["--key", args.keyFile]]
  ) {
    if (file === undefined) continue;
    const text = await readFlagFile(flag!, file);
    if (typeof text !== "string") return failedEarly(target, args, text);
    files[flag!] = text;
  }
  const cert = files["--cert"];
  const key = files["--key"];
  const options: AttemptOptions = {
    args,
    serverName,
    caCerts: files["--cafile"] === undefined ? undefined : [files["--cafile"]],
    clientCert: cert !== undefined && key !== undefined ? { cert, key } : undefined,
    signal: AbortSignal.timeout(args.timeoutSeconds * 1000),
  };
  const a = await attempt(options);
  const decoded = await decodeConnection(a.records, keyLogSecrets(a.keyLog));
  const error = a.error === undefined ? null : describeError(a, options);
  let checks: CheckResult[];
  if (a.info) {
    checks = checksOf(a.info);
  } else if (a.error instanceof CertificateVerificationError) {
    checks = failedAt(a.error.code, withoutHint(a.error));
  } else {
    checks = noneChecked();
  }
  let chain: readonly PeerCertificate[] = a.info?.peerCertificates ?? [];
  if (!a.info) {
    try {
      chain = serverCertificates(decoded).map((der) => parseCertificate(der));
    } catch {
      chain = []; // a certificate that does not parse: the error says so
    }
  }
  const facts = clientCertificateFacts(decoded);
  const verificationOk = checks.every((c) => c.status === "pass");
  const tracers: Record<Direction, RecordTracer> = (() => {
    const session: TraceSession = {};
    return { sent: new RecordTracer("sent", session), received: new RecordTracer("received", session) };
  })();
  return {
    target,
    ok: error === null && (verificationOk || args.insecure),
    address: a.address,
    tls: a.info ? negotiated(a.info) : negotiatedFacts(decoded),
    handshakeComplete: a.info !== undefined,
    chain: await describeChain(chain, (data) => webCrypto.hash("SHA-256", data)),
    verification: { ok: verificationOk, insecure: args.insecure, checks },
    clientCertificate: a.certificateRequested || facts.requested
      ? {
        sent: facts.sent ? sentSubject(cert) : null,
        outcome: a.verdict ?? (a.info ? "accepted" : "refused"),
      }
      : null,
    timings: { connectMs: a.connectMs, handshakeMs: a.handshakeMs, totalMs: a.totalMs },
    trace: args.trace
      ? a.records.map((r, i) => {
        const plain = tracers[r.direction].describe(r);
        const opened = decoded.summaries[i];
        return opened === undefined ? plain : { ...plain, summary: opened };
      })
      : null,
    keyLog: args.keyLogFile === undefined ? null : await writeKeyLog(args.keyLogFile, a.keyLog),
    error,
  };
}

/** The subject of the client certificate (the first of the `--cert` file). */
function sentSubject(pem: string | undefined): string {
  try {
    const first = pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
    return first === undefined ? "(unreadable)" : parseCertificate(first).subject;
  } catch {
    return "(unreadable)";
  }
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
    handshakeComplete: false,
    chain: [],
    verification: { ok: false, insecure: args.insecure, checks: noneChecked() },
    clientCertificate: null,
    timings: { connectMs: null, handshakeMs: null, totalMs: 0 },
    trace: args.trace ? [] : null,
    keyLog: null,
    error,
  };
}
