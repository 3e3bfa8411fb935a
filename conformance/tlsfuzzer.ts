/**
 * Runs one tlsfuzzer script: finds the suite (env `TLSFUZZER_DIR`, else the nearest `shared/tlsfuzzer` in a
 * folder above the repository), starts Python on the script with its arguments, and reads the summary it
 * prints (`TOTAL`, `SKIP`, `PASS`, `XFAIL`, `FAIL`, `XPASS`, the names of failed probes).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The suite's two folders, checked to exist. */
export interface Tlsfuzzer {
  /** The tlsfuzzer checkout (holds `scripts/`). */
  readonly root: string;
  /** tlslite-ng (holds the `tlslite` package). */
  readonly tlslite: string;
  /** The Python interpreter (env `PYTHON`, default `/usr/bin/python3`, which has Debian's `ecdsa`). */
  readonly python: string;
}

/** What a script reported. */
export interface ScriptResult {
  /** Probe runs (the sanity probe counts each time it runs). */
  readonly total: number;
  /** Probes excluded with `-e` that exist in the script. */
  readonly skipped: number;
  readonly passed: number;
  /** Probes that failed as the exclusions said they would (`-x`/`-X`). */
  readonly expectedFailures: number;
  readonly failed: number;
  /** Probes expected to fail that passed: the exclusion is stale, which fails the run. */
  readonly unexpectedPasses: number;
  /** Names of failed and unexpectedly passing probes. */
  readonly failedProbes: readonly string[];
  /** False when the script crashed, timed out or printed no summary. */
  readonly completed: boolean;
  readonly exitCode: number;
  readonly seconds: number;
  /** The script's whole output. */
  readonly output: string;
}

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Finds the suite and checks that Python can import it; throws a message that says what is missing. */
export async function locateTlsfuzzer(): Promise<Tlsfuzzer> {
  const base = Deno.env.get("TLSFUZZER_DIR") ?? nearestShared();
  const where = Deno.env.get("TLSFUZZER_DIR")
    ? "TLSFUZZER_DIR"
    : "the default (shared/tlsfuzzer above the repo)";
  if (!base) {
    throw new Error(
      "tlsfuzzer not found: set TLSFUZZER_DIR to the folder holding tlsfuzzer/ and tlslite-ng/ " +
        "(no shared/tlsfuzzer in any folder above the repository)",
    );
  }
  const root = join(base, "tlsfuzzer");
  const tlslite = join(base, "tlslite-ng");
  for (
    const [path, what] of [[join(root, "scripts"), "tlsfuzzer/scripts"], [
      join(tlslite, "tlslite"),
      "tlslite-ng/tlslite",
    ]]
  ) {
    if (!isDir(path)) throw new Error(`tlsfuzzer not found: ${path} (${what}, from ${where}) is missing`);
  }
  const python = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
  let check: Deno.CommandOutput;
  try {
    check = await new Deno.Command(python, {
      args: ["-c", "import ecdsa, tlslite, tlsfuzzer.runner"],
      cwd: root,
      env: pythonEnv(root, tlslite),
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(
      `${python} cannot be run (${(e as Error).message}): install python3 and python3-ecdsa ` +
        "(apt-get install -y python3 python3-ecdsa) or set PYTHON",
    );
  }
  if (!check.success) {
    throw new Error(
      `${python} cannot import tlsfuzzer (install python3-ecdsa: apt-get install -y python3-ecdsa):\n` +
        new TextDecoder().decode(check.stderr),
    );
  }
  return { root, tlslite, python };
}

function nearestShared(): string | undefined {
  for (let dir = dirname(repo);; dir = dirname(dir)) {
    if (isDir(join(dir, "shared", "tlsfuzzer", "tlsfuzzer"))) return join(dir, "shared", "tlsfuzzer");
    if (dirname(dir) === dir) return undefined;
  }
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function pythonEnv(root: string, tlslite: string): Record<string, string> {
  // The suite may sit on a read-only folder: no __pycache__ next to its sources.
  return { PYTHONPATH: `${root}:${tlslite}`, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" };
}

/** Runs `script` (e.g. `test-tls13-conversation.py`) against 127.0.0.1:`port`, for `timeoutSeconds` at most. */
export async function runScript(
  suite: Tlsfuzzer,
  script: string,
  port: number,
  args: readonly string[],
  timeoutSeconds: number,
): Promise<ScriptResult> {
  const started = performance.now();
  const output = await new Deno.Command("timeout", {
    args: [
      "--kill-after=5",
      String(timeoutSeconds),
      suite.python,
      join(suite.root, "scripts", script),
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      ...args,
    ],
    cwd: suite.root,
    env: pythonEnv(suite.root, suite.tlslite),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  const seconds = (performance.now() - started) / 1000;
  return { ...parseSummary(text), exitCode: output.code, seconds, output: text };
}

/** Reads the summary block a script prints at its end. */
export function parseSummary(
  text: string,
): Omit<ScriptResult, "exitCode" | "seconds" | "output"> {
  const field = (name: string) => {
    const m = new RegExp(`^${name}: (\\d+)$`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = field("TOTAL");
  const passed = field("PASS");
  const failed = field("FAIL");
  const failedProbes: string[] = [];
  for (const heading of ["FAILED", "XPASSED"]) {
    const block = new RegExp(`^${heading}:\\n((?:\\t.*\\n?)*)`, "m").exec(text);
    for (const line of block?.[1].split("\n") ?? []) {
      const name = line.trim();
      if (name) failedProbes.push(name.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1"));
    }
  }
  return {
    total: total ?? 0,
    skipped: field("SKIP") ?? 0,
    passed: passed ?? 0,
    expectedFailures: field("XFAIL") ?? 0,
    failed: failed ?? 0,
    unexpectedPasses: field("XPASS") ?? 0,
    failedProbes,
    completed: total !== undefined && passed !== undefined && failed !== undefined,
  };
}
