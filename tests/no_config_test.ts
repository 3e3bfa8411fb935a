import assert from "node:assert/strict";

Deno.test("mod.ts loads without deno.json (as when imported by URL): npm deps use full npm: specifiers", async () => {
  const script = new URL("./_no_config_smoke.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--no-lock", "-A", script],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    connectTls: "function",
    startTls: "function",
    TlsAlertError: "function",
    pem: true,
  });
});
