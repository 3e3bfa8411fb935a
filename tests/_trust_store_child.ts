// Run by x509_trust_store_test.ts with `--allow-net` only: connects to 127.0.0.1:PORT with the default trust
// store, or with `trustStore: "system"`, and prints what happened as one JSON line.
import { CertificateVerificationError, connectTls, TlsError } from "../mod.ts";

const [port, trustStore] = Deno.args;
try {
  const conn = await connectTls({
    hostname: "127.0.0.1",
    port: Number(port),
    serverName: "localhost",
    ...(trustStore === "system" ? { trustStore: "system" as const } : {}),
  });
  await conn.handshake();
  conn.close();
  console.log(JSON.stringify({ result: "connected" }));
} catch (e) {
  const kind = e instanceof CertificateVerificationError
    ? e.code
    : e instanceof TlsError
    ? "TlsError"
    : String(e);
  console.log(JSON.stringify({ result: "error", kind, message: (e as Error).message }));
}
