/**
 * Runs a list of tlsfuzzer runs, each against a fresh server, and sums up what they reported.
 *
 * @module
 */

import { join } from "node:path";
import {
  CATEGORIES,
  type Category,
  EXCLUDED_PROBES,
  EXCLUDED_SCRIPTS,
  excludedProbeCount,
  exclusionArgs,
} from "./exclusions.ts";
import { makePki, removePki } from "./pki.ts";
import { DEFAULT_TIMEOUT_SECONDS, PLAN, type Run, runName } from "./plan.ts";
import { startServer } from "./server.ts";
import { locateTlsfuzzer, runScript, type ScriptResult, type Tlsfuzzer } from "./tlsfuzzer.ts";

/** One run's result and verdict. */
export interface RunOutcome {
  readonly run: Run;
  readonly result?: ScriptResult;
  /** Why the run failed (empty when it passed). */
  readonly problems: readonly string[];
  readonly ok: boolean;
  /** What the server saw: failed handshakes by alert. */
  readonly serverFailures: ReadonlyMap<string, number>;
  /** True when the run failed once and was run again (see {@link RunAllOptions.retry}). */
  readonly retried: boolean;
}

/** The sums over all runs. */
export interface Report {
  readonly outcomes: readonly RunOutcome[];
  readonly ok: boolean;
  readonly probes: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly expectedFailures: number;
  readonly seconds: number;
  /** "conformance: N runs, …" */
  readonly totalLine: string;
}

/** Options of {@link runAll}. */
export interface RunAllOptions {
  /** Called with each run's line as soon as it is known. */
  readonly onResult?: (line: string, outcome: RunOutcome) => void;
  /** An already located suite (default: {@link locateTlsfuzzer}). */
  readonly suite?: Tlsfuzzer;
  /**
   * Run a failing script once more against a fresh server, for a busy machine (`deno task test` runs beside
   * other tests); the line says `retried`. Default false: `deno task conformance` reports every failure.
   */
  readonly retry?: boolean;
}

/** Runs `runs` in order, each against its own server. */
export async function runAll(runs: readonly Run[], options: RunAllOptions = {}): Promise<Report> {
  const started = performance.now();
  const suite = options.suite ?? await locateTlsfuzzer();
  const pki = await makePki();
  const outcomes: RunOutcome[] = [];
  try {
    for (const run of runs) {
      const outcome = await runOne(suite, pki, run, options.retry ?? false);
      outcomes.push(outcome);
      options.onResult?.(formatLine(outcome), outcome);
    }
  } finally {
    await removePki(pki);
  }
  const sum = (f: (r: ScriptResult) => number) =>
    outcomes.reduce((n, o) => n + (o.result ? f(o.result) : 0), 0);
  const failedRuns = outcomes.filter((o) => !o.ok).length;
  const report = {
    outcomes,
    ok: failedRuns === 0,
    probes: sum((r) => r.total),
    passed: sum((r) => r.passed),
    failed: sum((r) => r.failed + r.unexpectedPasses),
    skipped: sum((r) => r.skipped),
    expectedFailures: sum((r) => r.expectedFailures),
    seconds: (performance.now() - started) / 1000,
  };
  const totalLine = `conformance: ${runs.length} runs (${failedRuns} failed), ${report.probes} probes run, ` +
    `${report.passed} passed, ${report.failed} failed, ${report.expectedFailures} expected failures (-x), ` +
    `${report.skipped} excluded (-e), in ${report.seconds.toFixed(0)} s`;
  return { ...report, totalLine };
}

async function runOne(
  suite: Tlsfuzzer,
  pki: Awaited<ReturnType<typeof makePki>>,
  run: Run,
  retry: boolean,
): Promise<RunOutcome> {
  const args = [...(run.args ?? []), ...exclusionArgs(runName(run))].map((a) =>
    a.replace(/\{(\w+)\}/g, (whole, name) => pki.files[name] ?? whole)
  );
  let tried = await attempt(suite, pki, run, args);
  let retried = false;
  if (retry && !verdict(run, tried.result).ok) {
    // Once more, against a fresh server: a loaded machine can make a probe miss one of tlsfuzzer's
    // 5-second timeouts. The report says so; a run that fails twice fails.
    retried = true;
    tried = await attempt(suite, pki, run, args);
  }
  const { problems, ok } = verdict(run, tried.result);
  return { run, result: tried.result, problems, ok, retried, serverFailures: tried.failures };
}

async function attempt(
  suite: Tlsfuzzer,
  pki: Awaited<ReturnType<typeof makePki>>,
  run: Run,
  args: string[],
): Promise<{ result: ScriptResult; failures: ReadonlyMap<string, number> }> {
  await using server = startServer(pki, run.server);
  const result = await runScript(
    suite,
    run.script,
    server.port,
    args,
    run.timeout ?? DEFAULT_TIMEOUT_SECONDS,
  );
  await server.close();
  return { result, failures: server.stats.failures };
}

/** Whether a script's result passes: every probe passed or failed as expected, and every `-e` was known. */
function verdict(run: Run, result: ScriptResult): { problems: string[]; ok: boolean } {
  const problems: string[] = [];
  if (!result.completed) {
    problems.push(result.exitCode === 124 ? "timed out" : `no summary (exit code ${result.exitCode})`);
  }
  if (result.failed > 0) problems.push(`${result.failed} failed: ${result.failedProbes.join("; ")}`);
  if (result.unexpectedPasses > 0) problems.push(`${result.unexpectedPasses} expected to fail passed`);
  const excluded = excludedProbeCount(runName(run));
  if (result.completed && result.skipped !== excluded) {
    problems.push(`${excluded} probes excluded with -e but the script knows ${result.skipped} of them`);
  }
  if (result.completed && problems.length === 0 && result.exitCode !== 0) {
    problems.push(`exit code ${result.exitCode}`);
  }
  return { problems, ok: problems.length === 0 };
}

function formatLine(o: RunOutcome): string {
  const r = o.result;
  const counts = r
    ? `${r.total} run, ${r.passed} passed, ${r.failed + r.unexpectedPasses} failed, ` +
      `${r.expectedFailures} expected failures, ${r.skipped} excluded (${r.seconds.toFixed(1)} s)`
    : "";
  const again = o.retried ? " (failed once, run again)" : "";
  return `${o.ok ? "ok  " : "FAIL"} ${runName(o.run)}: ${counts}${again}${
    o.ok ? "" : ` — ${o.problems.join("; ")}`
  }`;
}

/**
 * Checks that the plan and the exclusions cover the suite: every `test-*.py` script is either run or excluded
 * (not both), and every probe exclusion names a run of the plan. Returns the problems found.
 */
export function checkCoverage(suite: Tlsfuzzer): string[] {
  const problems: string[] = [];
  const onDisk = [...Deno.readDirSync(join(suite.root, "scripts"))]
    .map((e) => e.name)
    .filter((n) => n.startsWith("test-") && n.endsWith(".py"));
  const run = new Set(PLAN.map((r) => r.script));
  const excluded = new Set(EXCLUDED_SCRIPTS.map((e) => e.script));
  for (const name of onDisk) {
    if (!run.has(name) && !excluded.has(name)) problems.push(`${name} is neither run (plan.ts) nor excluded`);
    if (run.has(name) && excluded.has(name)) problems.push(`${name} is both run and excluded`);
  }
  for (const name of [...run, ...excluded]) {
    if (!onDisk.includes(name)) problems.push(`${name} is not a script of this tlsfuzzer`);
  }
  const runs = new Set(PLAN.map(runName));
  for (const e of EXCLUDED_PROBES) {
    if (!runs.has(e.run)) problems.push(`probe exclusion for ${e.run}, which is not a run of plan.ts`);
  }
  if (new Set(PLAN.map(runName)).size !== PLAN.length) problems.push("two runs of plan.ts have one name");
  return problems;
}

/** Excluded scripts and probes (`-e`), and expected failures (`-x`), by category. */
export function exclusionCounts(): Map<Category, { scripts: number; probes: number; expected: number }> {
  const out = new Map<Category, { scripts: number; probes: number; expected: number }>();
  const entry = (c: Category) => {
    let e = out.get(c);
    if (!e) out.set(c, e = { scripts: 0, probes: 0, expected: 0 });
    return e;
  };
  for (const e of EXCLUDED_SCRIPTS) entry(e.category).scripts++;
  for (const e of EXCLUDED_PROBES) {
    if (e.expect) entry(e.category).expected += e.probes.length;
    else entry(e.category).probes += e.probes.length;
  }
  return new Map(
    [...out].sort((a, b) => Object.keys(CATEGORIES).indexOf(a[0]) - Object.keys(CATEGORIES).indexOf(b[0])),
  );
}
