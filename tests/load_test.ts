/**
 * Load: 500 concurrent `connectTls` clients against one `listenTls` on loopback, 10 request/response round
 * trips each, with 13 misbehaving clients mixed in (garbage, stalled half ClientHellos, one byte per 100 ms).
 * Every good exchange completes with intact data, only the misbehaving clients fail, and the heap returns
 * near its baseline (measured after full collections) once the clients have gone. The run happens in a
 * child process (`tests/_load_child.ts`) started with `--v8-flags=--expose-gc`.
 */
import assert from "node:assert/strict";

const CLIENTS = 500;
const ROUND_TRIPS = 10;
const PAYLOAD_BYTES = 64;
/** Heap growth tolerated after the run: caches (trust store, compiled code), not per-connection state. */
const HEAP_SLACK_MIB = 10;

Deno.test(`load: ${CLIENTS} clients × ${ROUND_TRIPS} round trips with misbehaving clients mixed in`, async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL("./_load_child.ts", import.meta.url).pathname,
      String(CLIENTS),
      String(ROUND_TRIPS),
      String(PAYLOAD_BYTES),
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  console.log(
    `load: ${result.clients} clients in ${result.goodMs} ms; heap ${result.baselineMiB} MiB → peak ` +
      `${result.peakMiB} MiB → ${result.afterMiB} MiB after`,
  );
  assert.ok(result.gc, "the child ran with --expose-gc");
  assert.deepEqual(
    result.failures,
    [],
    `${result.failureCount} good clients failed ${JSON.stringify(result.handshakeErrorSamples)}`,
  );
  // Exactly the 13 misbehaving clients failed their handshakes.
  assert.equal(result.handshakeErrors, 13, JSON.stringify(result.handshakeErrorSamples));
  assert.ok(
    result.afterMiB <= result.baselineMiB + HEAP_SLACK_MIB,
    `heap ${result.afterMiB} MiB after vs ${result.baselineMiB} MiB before`,
  );
  assert.ok(result.peakMiB > result.baselineMiB, "the load did use memory (the measurement is live)");
});
