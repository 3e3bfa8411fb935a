/**
 * `deno task fuzz`: structure-aware fuzzing of the TLS engine (client and server roles), every message and
 * extension codec, the record layer and X.509 parsing, in memory.
 *
 * The rule every case must keep: the engine completes, or fails with a `TlsError` (`TlsAlertError`,
 * `CertificateVerificationError`) that is not a local internal_error (the engine turns an escaped exception
 * into internal_error, so that alert means a bug); it then reports that same error; its queued records
 * resolve; it never hangs (per-case timeout) and never leaks an unhandled promise rejection. Codecs return
 * or throw their documented error, and re-encode what they accept.
 *
 * ```text
 * deno task fuzz                      the CI corpus (fixed seed, about 30 s)
 * deno task fuzz --ci                 the same
 * deno task fuzz --long               10 minutes with a random seed
 * deno task fuzz --seconds 120        2 minutes with a random seed (or --seed N)
 * deno task fuzz --seed 7 --engine 20000 --codec 100000
 * deno task fuzz --scenario server    only scenarios whose name contains "server"
 * deno task fuzz --replay client:12345   one case again, by the target and case seed a finding printed
 * ```
 *
 * Exits with status 1 when a case broke the rule, after printing each finding with its seed, what was mutated
 * and a shrunk reproducer.
 *
 * @module
 */

import { CI_CORPUS, type FuzzReport, replay, runFuzz } from "./fuzz.ts";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

function numberArg(name: string): number | undefined {
  const v = arg(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a non-negative number, not "${v}"`);
  return n;
}

const unhandled: unknown[] = [];

function print(report: FuzzReport): void {
  console.log(
    `seed ${report.seed}: ${report.engineCases} engine cases, ${report.codecCases} codec cases in ` +
      `${(report.milliseconds / 1000).toFixed(1)} s; peak heap ${report.peakHeapMiB} MiB`,
  );
  const outcomes = Object.entries(report.outcomes).sort((a, b) => b[1] - a[1]);
  console.log(`engine outcomes: ${outcomes.map(([k, v]) => `${k} ${v}`).join(", ")}`);
  for (const f of report.findings) {
    console.log(
      `\nFINDING ${f.target} (case seed ${f.caseSeed}; replay: --replay "${
        f.target.replace(/^\w+ /, "")
      }:${f.caseSeed}")`,
    );
    console.log(`  mutation: ${f.description.join("; ")}`);
    console.log(`  problem: ${f.problem.split("\n").join("\n    ")}`);
    console.log(`  reproducer (hex per receive()): ${f.reproducer.join(" | ")}`);
  }
}

/** Runs the command line; resolves to the exit status. */
async function main(): Promise<number> {
  const replayArg = arg("--replay");
  if (replayArg !== undefined) {
    const at = replayArg.lastIndexOf(":");
    const result = await replay(replayArg.slice(0, at), Number(replayArg.slice(at + 1)));
    console.log(`outcome: ${result.outcome}`);
    console.log(`mutation: ${result.description.join("; ")}`);
    if (result.problem) console.log(`problem: ${result.problem}`);
    return result.problem ? 1 : 0;
  }
  const long = Deno.args.includes("--long");
  const seconds = numberArg("--seconds") ?? (long ? 600 : undefined);
  const explicitSeed = numberArg("--seed");
  const seed = explicitSeed ?? (seconds !== undefined ? (Math.random() * 2 ** 32) >>> 0 : CI_CORPUS.seed);
  const report = await runFuzz({
    seed,
    seconds,
    engineCases: numberArg("--engine"),
    codecCases: numberArg("--codec"),
    scenario: arg("--scenario"),
    progress: (line) => console.log(line),
  });
  print(report);
  for (const reason of unhandled) console.log(`\nFINDING unhandled promise rejection: ${reason}`);
  return report.findings.length > 0 || unhandled.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  // Only rejections nobody handles are findings; main()'s own failure is reported as the fuzzer's.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    unhandled.push(event.reason);
  });
  main().then(
    (status) => Deno.exit(status),
    (e) => {
      console.error("the fuzzer itself failed:", e);
      Deno.exit(2);
    },
  );
}
