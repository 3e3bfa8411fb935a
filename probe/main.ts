/**
 * `deno task probe host[:port]`: a readable `openssl s_client`. Connects with this library's TLS client and
 * shows the negotiated version, suite, group and ALPN, the server's certificate chain (subjects, issuers,
 * validity, names, key types, SHA-256 fingerprints), each verification check, and how long each phase took.
 * `--trace` adds every record in both directions (TLS 1.3 records decrypted with the connection's own secrets
 * and named), `--keylog FILE` writes NSS key-log lines, `--cert`/`--key` send a client certificate when the
 * server asks for one, `--json` gives one JSON document. Exits 1 with a one-line reason on stderr when the
 * connection, the verification or the client certificate fails; 2 on a usage error.
 *
 * @example
 * ```sh
 * deno task probe example.com
 * deno task probe --cafile ca.pem --servername localhost --trace 127.0.0.1:8443
 * deno run -A jsr:@subtle/tls/probe --json example.com
 * ```
 *
 * @module
 */

import { parseArgs, USAGE } from "./args.ts";
import { renderJson, renderText } from "./render.ts";
import { runProbe } from "./run.ts";

export { parseArgs, type ParsedArgs, type ProbeArgs, USAGE } from "./args.ts";
export { runProbe } from "./run.ts";
export type {
  ClientCertificateReport,
  NegotiatedReport,
  ProbeError,
  ProbeReport,
  ProbeStage,
} from "./report.ts";
export { renderJson, renderText } from "./render.ts";
export type { CertificateReport } from "./certificates.ts";
export type { CheckName, CheckResult, CheckStatus } from "./checks.ts";
export type { CertificateErrorCode } from "../mod.ts";
export type { Direction, TraceRecord } from "./trace.ts";

/**
 * Runs the probe for the command line `argv` and returns the process exit code: 0 when the connection and
 * the verification succeeded (or `--insecure` let a failed verification through), 1 when either failed or
 * the server refused the client certificate (or its absence), 2 for a usage error (a file named on the
 * command line that cannot be read included). The reason of a failure is printed once, on stderr.
 *
 * @example
 * ```ts
 * import { main } from "@subtle/tls/probe";
 *
 * Deno.exit(await main(["--json", "example.com"]));
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const noColor = Deno.noColor || !Deno.stdout.isTerminal();
  const parsed = parseArgs(argv, noColor);
  if (parsed.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === "error") {
    console.error(`probe: ${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const report = await runProbe(parsed.args);
  if (report.error?.stage === "options") {
    // A file named on the command line that cannot be read: a usage error, with nothing to report.
    console.error(`probe: ${report.error.message}`);
    return 2;
  }
  console.log(parsed.args.json ? renderJson(report) : renderText(report, parsed.args.color));
  if (!report.ok) {
    // The reason, printed once: the text report names only the stage that failed.
    console.error(`probe: ${report.error?.message ?? "certificate verification failed"}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
