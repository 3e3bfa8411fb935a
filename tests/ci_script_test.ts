/**
 * `.ci/run` prints its `tests:` line however it ends: here it stops before the tests (a peer is missing and
 * apt-get fails), and its last line still counts the run as one failure, with a non-zero exit status.
 */
import assert from "node:assert/strict";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("CI: .ci/run prints `tests: 0 passed, 1 failed` when it stops before the tests (apt-get fails)", async () => {
  const bin = await Deno.makeTempDir({ prefix: "subtls-ci-path-" });
  try {
    // A PATH with the few tools the script needs before it installs anything, no TLS peer, and an apt-get
    // that fails as it would without a network.
    for (const tool of ["dirname", "mkdir", "id"]) {
      const found = ["/usr/bin", "/bin"].map((d) => `${d}/${tool}`).find((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      });
      assert.ok(found, `${tool} is installed`);
      await Deno.symlink(found, `${bin}/${tool}`);
    }
    await Deno.writeTextFile(
      `${bin}/apt-get`,
      "#!/bin/bash\necho 'E: no network (simulated)' >&2\nexit 100\n",
    );
    await Deno.chmod(`${bin}/apt-get`, 0o755);
    const output = await new Deno.Command("/bin/bash", {
      args: [`${ROOT}.ci/run`],
      env: { PATH: bin, HOME: bin, CI_TEST_LOG: `${bin}/test.log` },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    assert.notEqual(output.code, 0, stdout + stderr);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines.at(-1), "tests: 0 passed, 1 failed", stdout + stderr);
    assert.match(stdout, /ci: stopped before the tests could run/);
    assert.equal(stdout.match(/^tests:/gm)?.length, 1, "printed once");
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
