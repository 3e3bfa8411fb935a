/**
 * tlsfuzzer against this library's server, the time-boxed selection (`ci: true` in conformance/plan.ts): the
 * TLS 1.3 core scripts and the TLS 1.2 ECDHE ones, each against a fresh server, with the exclusions of
 * conformance/exclusions.ts. The whole suite is `deno task conformance`. A missing Python, python3-ecdsa or
 * tlsfuzzer fails this test: it is never skipped.
 */
import assert from "node:assert/strict";
import { PLAN, runName } from "../conformance/plan.ts";
import { checkCoverage, runAll } from "../conformance/run.ts";
import { locateTlsfuzzer } from "../conformance/tlsfuzzer.ts";

Deno.test("conformance: every tlsfuzzer script is run or excluded with a reason, and every exclusion names a run", async () => {
  assert.deepEqual(checkCoverage(await locateTlsfuzzer()), []);
});

Deno.test("conformance: tlsfuzzer's TLS 1.3 core and TLS 1.2 ECDHE scripts pass against listenTls (RFC 8446, RFC 5246)", async () => {
  const suite = await locateTlsfuzzer();
  const runs = PLAN.filter((r) => r.ci);
  assert.ok(runs.length >= 15, `${runs.length} runs in the CI selection`);
  // One retry per failing script: this test runs beside the others on a shared machine, where a probe can
  // miss one of tlsfuzzer's 5-second timeouts. A run that fails twice fails the test; retries are printed.
  const report = await runAll(runs, { suite, retry: true });
  for (const o of report.outcomes.filter((o) => o.retried)) console.log(`retried: ${runName(o.run)}`);
  const failed = report.outcomes.filter((o) => !o.ok);
  assert.deepEqual(
    failed.map((o) => `${runName(o.run)}: ${o.problems.join("; ")}`),
    [],
    `${failed.length} of ${runs.length} runs failed:\n${
      failed.map((o) => `--- ${runName(o.run)}\n${o.result?.output.slice(-4000)}`).join("\n")
    }`,
  );
  assert.ok(report.passed > 150, report.totalLine);
  console.log(report.totalLine);
});
