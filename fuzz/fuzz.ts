/**
 * The fuzzing loop shared by `fuzz/main.ts` (the command line) and `tests/fuzz_test.ts` (the CI corpus):
 * engine cases against every scenario of `_harness.ts` and codec cases against every target of `_codecs.ts`,
 * each drawn from its own seed (derived from the run's seed and the case number), with a per-case timeout.
 * A case that breaks the rule becomes a {@link Finding} with its seed, what was mutated, and a reproducer
 * shrunk while it still fails.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import { TlsAlertError } from "../errors.ts";
import { codecInput, type CodecTarget, codecTargets } from "./_codecs.ts";
import {
  describeError,
  recordScenario,
  type RunOptions,
  runTarget,
  type Scenario,
  SCENARIOS,
  type TargetOutcome,
} from "./_harness.ts";
import { type FuzzInput, makeInput } from "./_mutate.ts";
import { Rng } from "./_rng.ts";

/** How much to fuzz. */
export interface FuzzOptions {
  /** The run's seed: the same seed runs the same cases. */
  readonly seed: number;
  /** Engine cases to run (ignored when `seconds` is given). */
  readonly engineCases?: number;
  /** Codec cases to run (ignored when `seconds` is given). */
  readonly codecCases?: number;
  /** Run for this long instead, splitting the time between engine and codec cases. */
  readonly seconds?: number;
  /** Milliseconds after which a case counts as a hang (default 10 000). */
  readonly caseTimeoutMs?: number;
  /** Only scenarios whose name contains this. */
  readonly scenario?: string;
  /** Called now and then with a progress line. */
  readonly progress?: (line: string) => void;
}

/** A case that broke the rule. */
export interface Finding {
  /** `engine <scenario>` or `codec <target>`. */
  readonly target: string;
  /** The case's own seed: `deno task fuzz --replay <target>:<seed>` runs it again. */
  readonly caseSeed: number;
  /** What the mutator did. */
  readonly description: readonly string[];
  /** How the rule was broken. */
  readonly problem: string;
  /** The shrunk input in hex: the deliveries (engine) or the input (codec). */
  readonly reproducer: readonly string[];
}

/** What a run did. */
export interface FuzzReport {
  readonly seed: number;
  readonly engineCases: number;
  readonly codecCases: number;
  /** How engine cases ended: "completed", "incomplete" or the alert / error name, with counts. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
  readonly milliseconds: number;
  /** Largest heap seen during the run, in MiB. */
  readonly peakHeapMiB: number;
}

/** The CI corpus: fixed seed and counts (about 30 s on one core). */
export const CI_CORPUS = { seed: 1, engineCases: 4000, codecCases: 20000 } as const;

/** A case's seed from the run's seed and the case number. */
export function caseSeed(runSeed: number, kind: "engine" | "codec", index: number): number {
  let h = (runSeed ^ (kind === "engine" ? 0x9e3779b9 : 0x7f4a7c15)) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

let scenarios: Promise<Scenario[]> | undefined;

/** The recorded scenarios (recorded once per process). */
export function loadScenarios(): Promise<Scenario[]> {
  scenarios ??= (async () => {
    const out: Scenario[] = [];
    for (const spec of SCENARIOS) out.push(await recordScenario(spec));
    return out;
  })();
  return scenarios;
}

function outcomeName(o: TargetOutcome): string {
  if (o.error instanceof TlsAlertError) {
    return `${o.error.source === "remote" ? "remote " : ""}${o.error.alert}`;
  }
  if (o.error instanceof Error) {
    return o.error.name === "CertificateVerificationError"
      ? `certificate: ${(o.error as unknown as { code: string }).code}`
      : o.error.name;
  }
  return o.connected ? (o.peerClosed ? "completed" : "connected") : "incomplete";
}

/** Runs `work` with a timeout; resolves to `"timeout"` if it does not settle in time. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One engine case: its input, and the rule's verdict. */
export async function engineCase(
  scenario: Scenario,
  seed: number,
  timeoutMs = 10_000,
): Promise<FuzzInput & { outcome: TargetOutcome | "timeout" }> {
  const input = await makeInput(new Rng(seed), scenario);
  const options = { closeAtEnd: input.closeAtEnd, handshakeBytes: input.handshakeBytes };
  const run = runTarget(scenario, input.deliveries, options).catch((e) => ({
    connected: false,
    peerClosed: false,
    plaintext: new Uint8Array(0),
    bug: `the case itself threw (the engine's start() or the harness): ${describeError(e)}`,
  }));
  const outcome = await withTimeout(run, timeoutMs);
  return { outcome, ...input };
}

function problemOf(outcome: TargetOutcome | "timeout"): string | undefined {
  return outcome === "timeout" ? "hang: the case did not settle within the timeout" : outcome.bug;
}

/** Shrinks an engine case's deliveries while the same kind of problem remains. */
async function shrinkEngine(
  scenario: Scenario,
  deliveries: Uint8Array[],
  options: RunOptions,
  problem: string,
  timeoutMs: number,
): Promise<Uint8Array[]> {
  const kind = problem.split(":")[0];
  const fails = async (d: Uint8Array[]) => {
    const o = await withTimeout(runTarget(scenario, d, options), timeoutMs);
    return problemOf(o)?.split(":")[0] === kind;
  };
  let current = deliveries;
  // Whole deliveries from the end, then one by one.
  while (current.length > 1 && await fails(current.slice(0, -1))) current = current.slice(0, -1);
  for (let i = current.length - 2; i >= 0; i--) {
    const without = [...current.slice(0, i), ...current.slice(i + 1)];
    if (await fails(without)) current = without;
  }
  // The last delivery, shortened from its end.
  const last = current.at(-1)!;
  let lo = 1;
  let hi = last.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (await fails([...current.slice(0, -1), last.subarray(0, mid)])) hi = mid;
    else lo = mid + 1;
  }
  return [...current.slice(0, -1), last.subarray(0, hi)];
}

/** Shrinks a codec input (delta debugging over byte ranges) while it still breaks the rule. */
async function shrinkCodec(target: CodecTarget, input: Uint8Array): Promise<Uint8Array> {
  let current = input;
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let at = 0; at < current.length;) {
      const candidate = concat(current.subarray(0, at), current.subarray(at + chunk));
      if (candidate.length < current.length && (await target.check(candidate)) !== undefined) {
        current = candidate;
      } else at += chunk;
    }
  }
  return current;
}

/** Runs the fuzzer. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const start = performance.now();
  const timeoutMs = options.caseTimeoutMs ?? 10_000;
  const all = await loadScenarios();
  const chosen = options.scenario ? all.filter((s) => s.spec.name.includes(options.scenario!)) : all;
  if (chosen.length === 0) throw new Error(`no scenario matches "${options.scenario}"`);
  const targets = codecTargets(all);
  const findings: Finding[] = [];
  const outcomes: Record<string, number> = {};
  let peakHeap = 0;
  const deadline = options.seconds === undefined ? undefined : start + options.seconds * 1000;
  const engineDeadline = deadline === undefined ? undefined : start + (deadline - start) * 0.8;
  const engineTotal = deadline === undefined ? options.engineCases ?? CI_CORPUS.engineCases : Infinity;
  const codecTotal = deadline === undefined ? options.codecCases ?? CI_CORPUS.codecCases : Infinity;

  let engineCases = 0;
  for (; engineCases < engineTotal; engineCases++) {
    if (engineDeadline !== undefined && performance.now() > engineDeadline) break;
    const scenario = chosen[engineCases % chosen.length];
    const seed = caseSeed(options.seed, "engine", engineCases);
    const result = await engineCase(scenario, seed, timeoutMs);
    const problem = problemOf(result.outcome);
    if (result.outcome !== "timeout") {
      const name = outcomeName(result.outcome);
      outcomes[name] = (outcomes[name] ?? 0) + 1;
    }
    if (problem) {
      const shrunk = result.outcome === "timeout" ? result.deliveries : await shrinkEngine(
        scenario,
        result.deliveries,
        { closeAtEnd: result.closeAtEnd, handshakeBytes: result.handshakeBytes },
        problem,
        timeoutMs,
      );
      findings.push({
        target: `engine ${scenario.spec.name}`,
        caseSeed: seed,
        description: result.description,
        problem,
        reproducer: [
          ...shrunk.map((d) => d.toHex()),
          ...(result.closeAtEnd ? ["(then the transport closes)"] : []),
        ],
      });
    }
    if (engineCases % 500 === 499) {
      peakHeap = Math.max(peakHeap, Deno.memoryUsage().heapUsed);
      options.progress?.(`engine: ${engineCases + 1} cases, ${findings.length} findings`);
    }
  }

  let codecCases = 0;
  for (; codecCases < codecTotal; codecCases++) {
    if (deadline !== undefined && performance.now() > deadline) break;
    const target = targets[codecCases % targets.length];
    const seed = caseSeed(options.seed, "codec", codecCases);
    const { input, what } = codecInput(new Rng(seed), target);
    const problem = await withTimeout(Promise.resolve(target.check(input)), timeoutMs);
    if (problem !== undefined) {
      const text = problem === "timeout" ? "hang: the check did not settle within the timeout" : problem;
      const shrunk = problem === "timeout" ? input : await shrinkCodec(target, input);
      findings.push({
        target: `codec ${target.name}`,
        caseSeed: seed,
        description: [what],
        problem: text,
        reproducer: [shrunk.toHex()],
      });
    }
    if (codecCases % 5000 === 4999) {
      peakHeap = Math.max(peakHeap, Deno.memoryUsage().heapUsed);
      options.progress?.(`codec: ${codecCases + 1} cases, ${findings.length} findings`);
    }
  }
  peakHeap = Math.max(peakHeap, Deno.memoryUsage().heapUsed);
  return {
    seed: options.seed,
    engineCases,
    codecCases,
    outcomes,
    findings,
    milliseconds: performance.now() - start,
    peakHeapMiB: Math.round(peakHeap / 2 ** 20),
  };
}

/** Runs one case again by its target and seed (`engine client:123` or `codec ClientHello:123`). */
export async function replay(
  target: string,
  seed: number,
): Promise<{ problem?: string; description: string[]; outcome: string }> {
  const all = await loadScenarios();
  const scenario = all.find((s) => s.spec.name === target);
  if (scenario) {
    const r = await engineCase(scenario, seed);
    return {
      problem: problemOf(r.outcome),
      description: r.description,
      outcome: r.outcome === "timeout" ? "timeout" : outcomeName(r.outcome),
    };
  }
  const codec = codecTargets(all).find((t) => t.name === target);
  if (!codec) throw new Error(`no scenario or codec target named "${target}"`);
  const { input, what } = codecInput(new Rng(seed), codec);
  const problem = await codec.check(input);
  return { problem, description: [what, `input ${input.toHex()}`], outcome: problem ? "broken" : "ok" };
}
