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

Deno.test("after the handshake, a transport that fails reading or writing is a TlsError with the failure as cause", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const [c, s] = memoryPipe();
  // The client's side of the pipe, with a switch that breaks it.
  let breakRead: (e: unknown) => void = () => {};
  let breakWrite = false;
  const lineDown = new Error("line down");
  const readable = c.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start: (controller) => breakRead = (e) => controller.error(e),
    }),
  );
  const sink = c.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => breakWrite ? Promise.reject(lineDown) : sink.write(chunk),
  });
  const [client, server] = await Promise.all([
    startTls({ readable, writable }, { serverName: "localhost", caCerts: [pki.root.cert] }),
    acceptTls(s, { cert: leaf.cert, key: leaf.key }),
  ]);
  await client.handshake();
  const pending = client.read(new Uint8Array(16)).then(() => "read", (e) => e);
  breakRead(lineDown);
  const readError = await pending;
  assert.ok(readError instanceof TlsError, String(readError));
  assert.equal(readError.cause, lineDown);
  // The connection failed: every later call reports the same error.
  breakWrite = true;
  await assert.rejects(client.write(new Uint8Array(8)), (e) => e === readError);
  await Promise.all([client.close(), server.close()]);
});

Deno.test("after the handshake, a write the transport refuses fails the write or the closeWrite() after it", async () => {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const [c, s] = memoryPipe();
  const refused = new Error("refused");
  let refuse = false;
  const sink = c.writable.getWriter();
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => refuse ? Promise.reject(refused) : sink.write(chunk),
  });
  const [client, server] = await Promise.all([
    startTls({ readable: c.readable, writable }, { serverName: "localhost", caCerts: [pki.root.cert] }),
    acceptTls(s, { cert: leaf.cert, key: leaf.key }),
  ]);
  await client.handshake();
  refuse = true;
  // A write returns once queued (write-behind): the refusal reaches this write or the next call.
  const first = await client.write(new Uint8Array(100)).then(() => undefined, (e) => e);
  const error = first ?? await client.closeWrite().then(() => "closeWrite succeeded", (e) => e);
  assert.ok(error instanceof TlsError, String(error));
  assert.equal(error.cause, refused);
  await Promise.all([client.close(), server.close()]);
});
