/**
 * `deno task demo`: makes a CA and a server certificate with the library's own `generateCertificate`, starts a
 * TLS server on loopback (Deno's native `listenTls` until this library's server lands), connects this
 * library's client to it, and shows what was negotiated, then shows the client refusing a wrong name.
 *
 * Flags: `--no-color`.
 *
 * @module
 */

import { CertificateVerificationError, connectTls, generateCertificate } from "../mod.ts";

const color = !Deno.args.includes("--no-color") && !Deno.noColor;
const paint = (code: string) => (s: string) => color ? `\x1b[${code}m${s}\x1b[0m` : s;
const bold = paint("1");
const green = paint("32");
const red = paint("31");
const dim = paint("2");

function step(title: string): void {
  console.log(`\n${bold("▶ " + title)}`);
}

step("Making a CA and a server certificate for localhost (ECDSA P-256, WebCrypto)");
const ca = await generateCertificate({ subject: "CN=Demo Root CA", isCA: true, keyAlgorithm: "ECDSA-P256" });
const server = await generateCertificate({
  subject: "CN=localhost",
  subjectAltNames: ["localhost", "127.0.0.1"],
  issuer: { cert: ca.cert, key: ca.key },
  keyAlgorithm: "ECDSA-P256",
  extKeyUsage: ["serverAuth"],
});
console.log(dim("  CA:     CN=Demo Root CA\n  server: CN=localhost, SAN localhost, 127.0.0.1"));

step("Starting a TLS server on 127.0.0.1 (echoes what it receives)");
const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: server.cert, key: server.key });
const { port } = listener.addr as Deno.NetAddr;
console.log(dim(`  listening on 127.0.0.1:${port}`));
const serving = (async () => {
  for await (const conn of listener) {
    (async () => {
      const buf = new Uint8Array(16384);
      try {
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) await conn.write(buf.subarray(0, n));
      } catch {
        // the client went away
      } finally {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
    })();
  }
})();

step("Connecting this library's client (TLS 1.3, every primitive through crypto.subtle)");
let secrets = 0;
const conn = await connectTls({
  hostname: "127.0.0.1",
  port,
  serverName: "localhost",
  caCerts: [ca.cert],
  keyLog: () => secrets++,
});
const info = await conn.handshake();
console.log(`  protocol      ${green(info.protocol)}`);
console.log(`  cipher suite  ${green(info.cipherSuite)}`);
console.log(`  group         ${green(String(info.group))}`);
console.log(`  server name   ${info.serverName}`);
for (const cert of info.peerCertificates) {
  console.log(`  certificate   ${cert.subject}  (issued by ${cert.issuer})`);
  console.log(`                valid ${cert.notBefore.toISOString()} → ${cert.notAfter.toISOString()}`);
  console.log(`                names ${cert.subjectAltNames.join(", ")}`);
}
console.log(`  checks        ${green("✔")} validity period  ${green("✔")} trusted issuer  ${green("✔")} signature  ${
  green("✔")
} server name`);
console.log(dim(`  ${secrets} traffic secrets derived (names only are shown, never values)`));

step("Exchanging a message");
const message = "hello over TLS 1.3";
await conn.write(new TextEncoder().encode(message));
const buf = new Uint8Array(1024);
const n = await conn.read(buf);
console.log(`  sent     "${message}"\n  echoed   "${new TextDecoder().decode(buf.subarray(0, n ?? 0))}"`);
conn.close();

step("Connecting again, but asking for a name the certificate does not carry");
try {
  const bad = await connectTls({ hostname: "127.0.0.1", port, serverName: "wrong.example", caCerts: [ca.cert] });
  bad.close();
  console.log(red("  unexpectedly accepted"));
} catch (e) {
  if (!(e instanceof CertificateVerificationError)) throw e;
  console.log(`  ${red("✘ refused")}: ${e.message}`);
  console.log(dim(`  code ${e.code}, alert sent: ${e.alert}`));
}

listener.close();
await serving.catch(() => {});
console.log(`\n${green("Done.")}`);
