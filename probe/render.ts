/**
 * The probe's two outputs: readable text (optionally coloured) and one JSON document.
 *
 * @module
 */

import type { CertificateReport } from "./certificates.ts";
import type { CheckResult } from "./checks.ts";
import type { ProbeReport, ProbeStage } from "./report.ts";
import { spacedHex, type TraceRecord } from "./trace.ts";

/** ANSI styling, or none. */
interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

function style(color: boolean): Style {
  const paint = (code: string) => (s: string) => color ? `\x1b[${code}m${s}\x1b[0m` : s;
  return { bold: paint("1"), dim: paint("2"), green: paint("32"), red: paint("31"), yellow: paint("33") };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The last line of a failed probe; the reason is the probe's error, printed once, on stderr. */
const FAILED_AT: Readonly<Record<ProbeStage, string>> = {
  options: "failed: an option",
  connect: "failed: no TCP connection",
  handshake: "failed: the TLS handshake",
  verification: "failed: the server certificate's verification",
  "client certificate": "failed: the server refused the client certificate (or its absence)",
};

function ms(value: number | null): string {
  return value === null ? "–" : `${value.toFixed(1)} ms`;
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(14)}${value}`;
}

function certificateLines(cert: CertificateReport, s: Style, now: Date): string[] {
  const left = Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY_MS);
  const validity = now < cert.notBefore
    ? s.red("not yet valid")
    : left < 0
    ? s.red(`expired ${-left} days ago`)
    : left < 30
    ? s.yellow(`${left} days left`)
    : `${left} days left`;
  const field = (label: string, value: string) => `      ${label.padEnd(14)}${value}`;
  return [
    `  [${cert.index}] ${s.bold(cert.subject)}${cert.selfIssued ? s.dim("  (self-issued)") : ""}`,
    field("issuer", cert.issuer),
    field("serial", cert.serialNumber),
    field("valid", `${cert.notBefore.toISOString()} → ${cert.notAfter.toISOString()} (${validity})`),
    field("names", cert.subjectAltNames.length > 0 ? cert.subjectAltNames.join(", ") : s.dim("(none)")),
    field("key", cert.publicKey),
    field("signature", cert.signatureAlgorithm),
    field("SHA-256", cert.sha256),
    field("SPKI SHA-256", cert.spkiSha256),
  ];
}

function checkLine(check: CheckResult, s: Style, serverName: string): string {
  const detail = check.check === "server name" ? ` ${s.dim(`(${serverName})`)}` : "";
  switch (check.status) {
    case "pass":
      return `  ${s.green("✔")} ${check.check}${detail}`;
    case "fail":
      // The reason itself is the probe's error, printed once, at the end.
      return `  ${s.red("✘")} ${check.check}${detail}  ${s.red(`[${check.code}]`)}`;
    case "not_checked":
      return `  ${s.dim(`– ${check.check}: not checked`)}`;
  }
}

/** One record of the trace: a summary line and the hex of its header and first bytes. */
function traceLines(record: TraceRecord, s: Style): string[] {
  const arrow = record.direction === "sent" ? s.bold("→") : s.bold("←");
  const time = `+${record.timeMs.toFixed(1)} ms`.padStart(10);
  const more = record.length > record.head.length
    ? s.dim(` … (+${record.length - record.head.length} bytes)`)
    : "";
  return [
    `${time} ${arrow} ${record.contentTypeName.padEnd(18)} ${record.version}  len ${
      String(record.length).padStart(5)
    }  ${record.summary}`,
    `             ${spacedHex(record.header)} | ${spacedHex(record.head)}${more}`,
  ];
}

/** The human-readable report. */
export function renderText(report: ProbeReport, color: boolean, now: Date = new Date()): string {
  const s = style(color);
  const { target } = report;
  const out: string[] = [];
  out.push(
    s.bold(`TLS probe of ${target.host}:${target.port}`) + s.dim(` (server name ${target.serverName})`),
  );

  if (report.trace) {
    out.push("", s.bold("Records") + s.dim("  (→ sent, ← received; header | first bytes)"));
    for (const record of report.trace) out.push(...traceLines(record, s));
  }

  if (report.tls) {
    const tls = report.tls;
    out.push(
      "",
      s.bold("Connection") +
        (report.handshakeComplete ? "" : s.dim("  (handshake not completed: as the server's messages said)")),
    );
    if (report.address) out.push(row("address", report.address));
    out.push(
      row("protocol", s.green(tls.protocol)),
      row("cipher suite", s.green(tls.cipherSuite)),
      row("group", s.green(tls.group ?? "(none)")),
      row("ALPN", tls.alpnProtocol ?? s.dim("(none)")),
      row("SNI", tls.serverName ?? s.dim("(none sent: IP literal)")),
      row("resumed", tls.resumed ? "yes" : "no"),
    );
  } else if (report.address) {
    out.push("", s.bold("Connection"), row("address", report.address));
  }

  if (report.chain.length > 0) {
    out.push("", s.bold(`Certificate chain (${report.chain.length} sent by the server)`));
    for (const cert of report.chain) out.push(...certificateLines(cert, s, now));
  }

  // Nothing to verify when no TLS was spoken at all.
  const stage = report.error?.stage;
  if (stage !== "connect" && stage !== "options") {
    out.push("", s.bold("Verification"));
    for (const check of report.verification.checks) out.push(checkLine(check, s, target.serverName));
  }
  if (report.verification.checks.some((c) => c.status === "fail") && report.verification.insecure) {
    out.push(s.yellow("  ! --insecure: the connection went on although verification failed"));
  }

  const client = report.clientCertificate;
  if (client) {
    const outcome = client.outcome === "accepted"
      ? s.green("accepted")
      : client.outcome === "refused"
      ? s.red("refused")
      : s.yellow("no answer in time");
    out.push(
      "",
      s.bold("Client certificate") + s.dim("  (the server asked for one)"),
      row("sent", client.sent ?? s.yellow("none (--cert FILE --key FILE send one)")),
      row("server", outcome),
    );
  }

  out.push(
    "",
    s.bold("Timings"),
    row("DNS + TCP", ms(report.timings.connectMs)),
    row("TLS handshake", ms(report.timings.handshakeMs)),
    row("total", ms(report.timings.totalMs)),
  );

  if (report.keyLog) {
    out.push(
      "",
      report.keyLog.error
        ? s.red(`key log: ${report.keyLog.error}`)
        : `${s.bold("Key log")}  ${report.keyLog.lines} lines appended to ${report.keyLog.file}`,
    );
  }

  out.push("");
  if (report.ok) {
    const tls = report.tls!;
    out.push(
      `${s.green("✔")} connected to ${target.serverName} (${tls.protocol}, ${tls.cipherSuite}, ${
        tls.group ?? "no group"
      })` +
        (report.verification.ok
          ? ", certificate verified"
          : s.yellow(", certificate NOT verified (--insecure)")),
    );
  } else {
    out.push(`${s.red("✘")} ${FAILED_AT[report.error?.stage ?? "verification"]}`);
  }
  return out.join("\n");
}

/** The report as one JSON document; byte strings become hex. */
export function renderJson(report: ProbeReport): string {
  return JSON.stringify(report, (_key, value) => value instanceof Uint8Array ? value.toHex() : value, 2);
}
