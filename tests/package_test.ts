/**
 * The package as JSR and its users see it: `deno publish --dry-run` passes (licence, slow types, the files it
 * would publish); `deno doc --lint` passes for every export of `deno.json`; the rendered documentation shows
 * only the public surface (no internal constructor or member, no type a user cannot name); the README fits
 * on a few screens and links only to files that exist.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;
const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
const EXPORTS: string[] = Object.values(config.exports as Record<string, string>);

async function deno(...args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(180_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
}

Deno.test("package: deno publish --dry-run passes, with the MIT licence, and publishes neither tests nor tools", async () => {
  assert.equal(config.license, "MIT");
  assert.match(await Deno.readTextFile(`${ROOT}LICENSE`), /^MIT License\n/);
  // --allow-dirty: a working copy with changes is checked as it is, in CI and before a commit alike.
  const run = await deno("publish", "--dry-run", "--allow-dirty");
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /Dry run complete/);
  const files = [...run.out.matchAll(/file:\/\/\S+/g)].map((m) => m[0].slice(`file://${ROOT}`.length));
  for (const file of ["mod.ts", "x509/mod.ts", "probe/main.ts", "LICENSE", "README.md"]) {
    assert.ok(files.includes(file), `${file} is published: ${files.join(" ")}`);
  }
  for (const dir of ["tests/", "bench/", "fuzz/", "tools/", "conformance/", ".ci/"]) {
    assert.ok(!files.some((f) => f.startsWith(dir)), `nothing of ${dir} is published`);
  }
});

Deno.test("package: deno doc --lint passes for every export", async () => {
  const run = await deno("doc", "--lint", ...EXPORTS);
  assert.equal(run.code, 0, run.out);
});

Deno.test("package: deno doc shows only the public surface — no internal member, no constructor taking an internal type", async () => {
  const run = await deno("doc", ...EXPORTS);
  assert.equal(run.code, 0, run.out);
  const text = run.out;
  assert.doesNotMatch(text, /@internal/, "members for the library's own use are @ignore'd, not shown");
  // Every type a constructor takes is one the documentation declares (so a user can name and build it).
  const declared = new Set(
    [...text.matchAll(/^(?:class|interface|type|function|const|enum) (\w+)/gm)].map((m) => m[1]),
  );
  const BUILT_IN = new Set([
    "ErrorOptions",
    "Uint8Array",
    "Date",
    "Promise",
    "Readonly",
    "Record",
    "Partial",
  ]);
  for (const [line] of text.matchAll(/^ +constructor\(.*$/gm)) {
    for (const [name] of line.slice(line.indexOf("(")).matchAll(/\b[A-Z]\w*/g)) {
      assert.ok(
        declared.has(name) || BUILT_IN.has(name),
        `"${line.trim()}" takes ${name}, which is not public`,
      );
    }
  }
});

Deno.test("package: the README is at most 20 KB, starts with the demo and test commands, and its links resolve", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const size = new TextEncoder().encode(readme).length;
  assert.ok(size <= 20 * 1024, `README.md is ${size} bytes`);
  assert.match(readme.split("\n").slice(0, 6).join("\n"), /task demo[\s\S]*task test/);
  assert.match(readme, /\.ci\/run/, "it says how the test peers are installed");
  for (const [, target] of readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (/^https?:/.test(target)) continue;
    await Deno.stat(`${ROOT}${target}`).catch(() =>
      assert.fail(`README links to ${target}, which does not exist`)
    );
  }
  for (const doc of ["guide", "security", "performance", "architecture", "testing", "x509", "conformance"]) {
    assert.ok(readme.includes(`](docs/${doc}.md)`), `README links docs/${doc}.md`);
  }
});
