/**
 * `deno task conformance`: runs the tlsfuzzer scripts of `plan.ts` against this library's server, each
 * against a fresh server, with the exclusions of `exclusions.ts`; prints one line per script and a total,
 * and exits non-zero when a probe failed, a script did not complete, or an exclusion is stale.
 *
 * ```sh
 * deno task conformance                     # everything
 * deno task conformance --ci                # the selection tests/conformance_test.ts runs
 * deno task conformance tls13-hrr keyupdate # the runs whose name contains one of these
 * deno task conformance -v …                # also print the output of each script that failed
 * deno task conformance --exclusions       # the exclusions by reason, as a Markdown table (docs/conformance.md)
 * ```
 *
 * @module
 */

import { checkCoverage, exclusionCounts, runAll } from "./run.ts";
import { PLAN, runName } from "./plan.ts";
import { CATEGORIES } from "./exclusions.ts";
import { locateTlsfuzzer } from "./tlsfuzzer.ts";

const args = [...Deno.args];
const take = (flag: string) => {
  const i = args.indexOf(flag);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
if (take("--exclusions")) {
  console.log("| reason | scripts not run | probes skipped (`-e`) | probes expected to fail (`-x`) |");
  console.log("| --- | --- | --- | --- |");
  for (const [category, n] of exclusionCounts()) {
    const why = CATEGORIES[category as keyof typeof CATEGORIES];
    console.log(`| \`${category}\`: ${why} | ${n.scripts} | ${n.probes} | ${n.expected} |`);
  }
  Deno.exit(0);
}
const ci = take("--ci");
const verbose = take("-v");
const runs = PLAN.filter((r) =>
  (!ci || r.ci) && (args.length === 0 || args.some((a) => runName(r).includes(a)))
);
if (runs.length === 0) {
  console.error(`no run matches ${args.join(" ")}`);
  Deno.exit(2);
}
let suite;
try {
  suite = await locateTlsfuzzer();
} catch (e) {
  console.error(`conformance: ${(e as Error).message}`);
  Deno.exit(2);
}
const coverage = checkCoverage(suite);
for (const problem of coverage) console.log(`FAIL coverage: ${problem}`);
const report = await runAll(runs, {
  suite,
  onResult: (line, outcome) => {
    console.log(line);
    if (verbose && !outcome.ok) console.log(outcome.result?.output ?? "");
  },
});
console.log(report.totalLine);
console.log(
  "excluded (scripts not run / probes skipped with -e / probes run expecting failure with -x), by reason:",
);
for (const [category, n] of exclusionCounts()) {
  console.log(
    `  ${category}: ${n.scripts} / ${n.probes} / ${n.expected} — ${
      CATEGORIES[category as keyof typeof CATEGORIES]
    }`,
  );
}
Deno.exit(report.ok && coverage.length === 0 ? 0 : 1);
