/**
 * Run by `unsafe_options_test.ts` in a process of its own (the warnings are once per process): connects
 * three times with each option named on the command line (`unsafelyIgnoreCertificateErrors`,
 * `unsafelyDisableHostnameVerification`, or none) to a server whose certificate fails verification only by
 * its name, and prints one line per handshake.
 *
 * @module
 */
import { connectTls, generateCertificate, listenTls } from "../mod.ts";

const ca = await generateCertificate({ subject: "CN=Warning CA", isCA: true });
const leaf = await generateCertificate({
  subject: "CN=other.example",
  subjectAltNames: ["other.example"],
  issuer: ca,
  extKeyUsage: ["serverAuth"],
});
const listener = listenTls({ hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key });
const serving = (async () => {
  for await (const conn of listener) conn.close();
})();
for (const option of Deno.args) {
  for (let i = 0; i < 3; i++) {
    const conn = await connectTls({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      serverName: "localhost",
      caCerts: [ca.cert],
      sessionCache: null,
      ...(option === "none" ? {} : { [option]: true }),
    });
    try {
      const info = await conn.handshake();
      console.log(`${option}: connected, ignored ${info.ignoredCertificateError?.code ?? "nothing"}`);
    } catch (e) {
      console.log(`${option}: refused, ${(e as Error).message}`);
    } finally {
      await conn.close();
    }
  }
}
listener.close();
await serving;
