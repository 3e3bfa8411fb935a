/**
 * The fuzzer's CI corpus (`fuzz/fuzz.ts`, `CI_CORPUS`): a fixed seed, so the same cases run every time —
 * structure-aware mutations of recorded handshakes against the client and server engines (TLS 1.3 full,
 * HelloRetryRequest, client certificates, resumption; TLS 1.2), and mutated inputs to every codec. Every
 * case must keep the rule of `fuzz/main.ts`; a finding prints its seed and a shrunk reproducer
 * (`deno task fuzz --replay <target>:<seed>` runs it again).
 */
import { CI_CORPUS, runFuzz } from "../fuzz/fuzz.ts";

Deno.test("fuzz: the CI corpus keeps the rule (TlsError or success; no hang, no internal_error)", async () => {
  const report = await runFuzz({ ...CI_CORPUS });
  const findings = report.findings.map((f) =>
    `${f.target} (case seed ${f.caseSeed}): ${f.problem}\n  mutation: ${f.description.join("; ")}\n` +
    `  reproducer: ${f.reproducer.join(" | ")}`
  );
  if (findings.length > 0) throw new Error(`${findings.length} finding(s):\n${findings.join("\n")}`);
  if (report.engineCases !== CI_CORPUS.engineCases || report.codecCases !== CI_CORPUS.codecCases) {
    throw new Error(
      `ran ${report.engineCases} engine and ${report.codecCases} codec cases, not the whole corpus`,
    );
  }
  // Not a tautology: the cases reach the handshake logic and end in many different ways.
  for (
    const outcome of ["completed", "decode_error", "illegal_parameter", "bad_record_mac", "decrypt_error"]
  ) {
    if (!(report.outcomes[outcome] > 0)) {
      throw new Error(
        `no case ended with ${outcome}: ${JSON.stringify(report.outcomes)}`,
      );
    }
  }
});
