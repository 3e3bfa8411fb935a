/**
 * `deno task bench:compare` as a CI smoke run: `bench/compare.ts --quick` runs to completion in a child
 * process and writes every metric, with a number for each side (the resumed row may say it is pending).
 */
import assert from "node:assert/strict";
import { METRIC_NAMES } from "../bench/compare.ts";

Deno.test("bench/compare.ts --quick measures every metric against native TLS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "subtls-compare-" });
  const out = `${dir}/compare.json`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--expose-gc",
        new URL("../bench/compare.ts", import.meta.url).pathname,
        "--quick",
        `--out=${out}`,
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await child.output();
    const decoder = new TextDecoder();
    assert.equal(code, 0, `compare.ts failed:\n${decoder.decode(stderr)}`);
    assert.match(decoder.decode(stdout), /\| bulk \| MB\/s \|/);
    const result = JSON.parse(await Deno.readTextFile(out));
    assert.equal(result.quick, true);
    for (const name of METRIC_NAMES) {
      const metric = result.metrics[name];
      assert.ok(metric, `metric ${name} is missing`);
      if (name === "resumed" && metric.this === null) {
        assert.match(metric.note, /pending/);
        continue;
      }
      for (const side of ["this", "native"] as const) {
        assert.equal(typeof metric[side], "number", `${name}.${side}`);
        assert.ok(Number.isFinite(metric[side]), `${name}.${side} is ${metric[side]}`);
      }
      if (!name.startsWith("memory")) assert.ok(metric.this > 0 && metric.native > 0, `${name} is positive`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
