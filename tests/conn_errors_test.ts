/**
 * The error classes a Deno user already catches: a TLS failure is a `TlsError`, which under Deno is also a
 * `Deno.errors.InvalidData` (and a plain `Error` where `Deno` does not exist, as in a browser); a transport
 * failure keeps its Deno class or becomes a `TlsError`, its original kept as `cause` — never a raw value,
 * never `undefined`.
 */
import assert from "node:assert/strict";
import { acceptTls, CertificateVerificationError, startTls, TlsAlertError, TlsError } from "../mod.ts";
import { memoryPipe, serverPki } from "./_server.ts";
import type { StreamPair } from "../connection/transport.ts";

Deno.test("TlsError and its subclasses are Deno.errors.InvalidData under Deno, with their own names", () => {
  const errors = [
    new TlsError("a"),
    new TlsAlertError("decode_error", "remote", ""),
    new CertificateVerificationError("expired", "b"),
  ];
  for (const e of errors) {
    assert.ok(e instanceof Deno.errors.InvalidData, e.name);
    assert.ok(e instanceof TlsError && e instanceof Error, e.name);
    assert.equal(String(e).split(":")[0], e.name);
  }
  assert.equal(new TlsError("with cause", { cause: 7 }).cause, 7);
});

Deno.test("where Deno does not exist (a browser), the same classes extend Error", async () => {
  const errors = new URL("../errors.ts", import.meta.url).href;
  const script = `const realDeno = globalThis.Deno;
    delete globalThis.Deno;
    const m = await import("${errors}");
    const e = new m.CertificateVerificationError("expired", "x");
    const interrupted = m.connectionError("Interrupted", "x");
    console.log(JSON.stringify({
      base: Object.getPrototypeOf(m.TlsError) === Error,
      invalidData: e instanceof realDeno.errors.InvalidData,
      interrupted: [interrupted.name, interrupted instanceof realDeno.errors.Interrupted],
    }));`;
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(run.stdout)), {
    base: true,
    invalidData: false,
    interrupted: ["Interrupted", false],
  });
});

/** A client over a pair whose writable fails each write with `reason`. */
async function clientOverFailingWrites(reason: unknown): Promise<unknown> {
  const pki = await serverPki();
  const transport: StreamPair = {
    readable: new ReadableStream(),
    writable: new WritableStream({
      write() {
        return Promise.reject(reason);
      },
    }),
  };
  const conn = await startTls(transport, { serverName: "localhost", caCerts: [pki.root.cert] });
  return await conn.handshake().then(() => "the handshake succeeded", (e) => e);
}

Deno.test("a transport write failing during the handshake is a TlsError with the failure as its cause", async () => {
  const boom = new Error("boom");
  const error = await clientOverFailingWrites(boom);
  assert.ok(error instanceof TlsError, String(error));
  assert.equal(error.cause, boom);
  assert.match(error.message, /transport write failed: boom/);
  // A stream may reject with undefined: still a TlsError saying so.
  const silent = await clientOverFailingWrites(undefined);
  assert.ok(silent instanceof TlsError, String(silent));
  assert.match(silent.message, /no reason given/);
});

Deno.test("a server that refuses its own options: the client's handshake fails with an error, never undefined", async () => {
  const pki = await serverPki();
  const [c, s] = memoryPipe();
  const client = await startTls(c, { serverName: "localhost", caCerts: [pki.root.cert] });
  // No certificate at all: acceptTls rejects before reading anything and closes its side of the pipe.
  await assert.rejects(acceptTls(s, {}), TlsError);
  const error = await client.handshake().then(() => "the handshake succeeded", (e) => e);
  assert.ok(error instanceof Error, `rejected with ${error}`);
  assert.ok(error instanceof TlsError || error instanceof Deno.errors.UnexpectedEof, String(error));
  await client.close();
});
