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
 * ```
 *
 * @module
 */

import { runAll } from "./run.ts";
import { PLAN, runName } from "./plan.ts";

const args = [...Deno.args];
const take = (flag: string) => {
  const i = args.indexOf(flag);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
};
const ci = take("--ci");
const verbose = take("-v");
const runs = PLAN.filter((r) =>
  (!ci || r.ci) && (args.length === 0 || args.some((a) => runName(r).includes(a)))
);
if (runs.length === 0) {
  console.error(`no run matches ${args.join(" ")}`);
  Deno.exit(2);
}
const report = await runAll(runs, {
  onResult: (line, outcome) => {
    console.log(line);
    if (verbose && !outcome.ok) console.log(outcome.result?.output ?? "");
  },
});
console.log(report.totalLine);
Deno.exit(report.ok ? 0 : 1);
