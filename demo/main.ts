/**
 * `deno task demo`: a guided TLS handshake on loopback, needing no setup and no network.
 *
 * It makes a CA, a server certificate and a client certificate with the library's own
 * `generateCertificate`, starts this library's server, connects this library's client, and narrates the
 * handshake as it happens, message by message, in the order of the classic description of SSL: the hellos,
 * the server's certificate and the four checks on it, the key exchange, the keys derived (names and lengths
 * only, never values), and the Finished messages. Then it exchanges a message, shows mutual TLS, and shows the
 * client refusing a server whose name does not match.
 *
 * Flags: `--tls12` (negotiate TLS 1.2), `--mtls` (mutual TLS on the main connection too), `--no-color`.
 *
 * @module
 */

import {
  CertificateVerificationError,
  connectTls,
  generateCertificate,
  listenTls,
  type PeerVerificationInput,
  type TlsConn,
  type TraceEvent,
} from "../mod.ts";

const args = new Set(Deno.args);
const color = !args.has("--no-color") && !Deno.noColor;
const tls12 = args.has("--tls12");
const mtls = args.has("--mtls");
const paint = (code: string) => (s: string) => color ? `\x1b[${code}m${s}\x1b[0m` : s;
const bold = paint("1");
const green = paint("32");
const red = paint("31");
const cyan = paint("36");
const dim = paint("2");
const ok = green("✔");

function step(title: string): void {
  console.log(`\n${bold("▶ " + title)}`);
}

function list(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** What each key-log label names, in the words of the RFCs. */
const SECRET_NAMES: Record<string, string> = {
  CLIENT_RANDOM: "master secret (TLS 1.2: from the premaster secret and both randoms; session keys follow)",
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: "client handshake traffic secret (from the (EC)DHE shared secret)",
  SERVER_HANDSHAKE_TRAFFIC_SECRET: "server handshake traffic secret",
  CLIENT_TRAFFIC_SECRET_0: "client application traffic secret (from the master secret)",
  SERVER_TRAFFIC_SECRET_0: "server application traffic secret",
  EXPORTER_SECRET: "exporter master secret",
};

/** Prints one trace event of the client as a line of the narration. */
function narrate(e: TraceEvent): void {
  const t = dim(`${e.time.toFixed(1).padStart(7)} ms`);
  switch (e.kind) {
    case "message": {
      const arrow = e.direction === "sent" ? cyan("client → server") : cyan("client ← server");
      const f = e.message.fields;
      console.log(`${t}  ${arrow}  ${bold(e.message.type)} ${dim(`(${e.message.length} bytes)`)}`);
      if (e.message.type === "client_hello") {
        console.log(`               versions offered  ${list(f.supportedVersions ?? f.legacyVersion)}`);
        console.log(`               cipher suites     ${list(f.cipherSuites)}`);
        console.log(`               client random     ${String(f.random).slice(0, 32)}…`);
        if (f.keyShares) console.log(`               key shares        ${list(f.keyShares)}`);
        if (f.serverName) console.log(`               server name       ${f.serverName}`);
      } else if (e.message.type === "server_hello") {
        console.log(`               version chosen    ${list(f.supportedVersions ?? f.legacyVersion)}`);
        console.log(`               cipher suite      ${f.cipherSuite}`);
        console.log(`               server random     ${String(f.random).slice(0, 32)}…`);
        if (f.keyShares) {
          console.log(`               key share         ${list(f.keyShares)} (ephemeral (EC)DH)`);
        }
      } else if (e.message.type === "certificate" && e.direction === "received") {
        console.log(`               the server's chain: ${f.certificates} certificate(s)`);
      } else if (e.message.type === "server_key_exchange") {
        console.log(
          `               the server's ephemeral ECDH public key, signed with its certificate's key`,
        );
      } else if (e.message.type === "client_key_exchange") {
        console.log(
          `               the client's ephemeral ECDH public key: both sides now share the premaster secret`,
        );
      } else if (e.message.type === "certificate_verify") {
        console.log(`               signed with ${f.scheme}: proves the server holds the certificate's key`);
      } else if (e.message.type === "finished") {
        console.log(`               MAC of the whole handshake: nobody altered it`);
      }
      return;
    }
    case "secret":
      console.log(
        `${t}  ${dim("derived")}          ${SECRET_NAMES[e.label] ?? e.label} ${
          dim(`(${e.length} bytes, value not shown)`)
        }`,
      );
      return;
    case "keys":
      console.log(`${t}  ${dim("installed")}        new ${e.direction} keys: records are now encrypted`);
      return;
    case "change_cipher_spec":
      console.log(
        `${t}  ${cyan(e.direction === "sent" ? "client → server" : "client ← server")}  ChangeCipherSpec`,
      );
      return;
    case "alert":
      console.log(`${t}  alert ${e.direction}: ${e.alert}`);
      return;
    case "handshake_complete":
      console.log(`${t}  ${green("handshake complete")}`);
  }
}

/** Shows the four classic checks on the server certificate (called once the built-in checks passed). */
function showChecks(ca: string, serverName: string) {
  return (peer: PeerVerificationInput) => {
    const leaf = peer.certificates[0];
    const now = new Date();
    console.log(`               ${bold("checking the server certificate")} ${leaf.subject}`);
    console.log(
      `               ${ok} validity period   ${leaf.notBefore.toISOString()} ≤ now ≤ ${leaf.notAfter.toISOString()}`,
    );
    console.log(`               ${ok} trusted issuer    ${leaf.issuer} is a CA this client trusts (${ca})`);
    console.log(
      `               ${ok} issuer signature  every signature in the chain verifies with the issuer's key`,
    );
    console.log(
      `               ${ok} server name       "${serverName}" is in the certificate (${
        leaf.subjectAltNames.join(", ")
      })`,
    );
    if (peer.error || now < leaf.notBefore || now > leaf.notAfter) {
      throw new Error("demo: unexpected check state");
    }
  };
}

step("Making a CA, a server certificate and a client certificate (ECDSA P-256, all through WebCrypto)");
const ca = await generateCertificate({ subject: "CN=Demo Root CA", isCA: true });
const server = await generateCertificate({
  subject: "CN=localhost",
  subjectAltNames: ["localhost", "127.0.0.1"],
  issuer: ca,
  extKeyUsage: ["serverAuth"],
});
const client = await generateCertificate({
  subject: "CN=Demo Client",
  issuer: ca,
  extKeyUsage: ["clientAuth"],
});
console.log(
  dim("  CA CN=Demo Root CA · server CN=localhost (SAN localhost, 127.0.0.1) · client CN=Demo Client"),
);

step("Starting this library's TLS server on 127.0.0.1 (it echoes what it receives)");
const version = tls12 ? { maxVersion: "TLSv1.2" as const } : {};
const listener = listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert: server.cert,
  key: server.key,
  clientAuth: "request",
  clientCaCerts: [ca.cert],
  ...version,
});
console.log(dim(`  listening on 127.0.0.1:${listener.addr.port}`));
const seenClients: string[] = [];
const serving = (async () => {
  for await (const conn of listener) {
    (async () => {
      const info = await conn.handshake();
      seenClients.push(info.peerCertificates[0]?.subject ?? "(no certificate)");
      const buf = new Uint8Array(16384);
      try {
        for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
          await conn.write(buf.subarray(0, n));
        }
      } catch {
        // the client went away
      } finally {
        conn.close();
      }
    })();
  }
})();

async function echo(conn: TlsConn, text: string): Promise<string> {
  await conn.write(new TextEncoder().encode(text));
  const buf = new Uint8Array(1024);
  const n = await conn.read(buf);
  return new TextDecoder().decode(buf.subarray(0, n ?? 0));
}

step(`Connecting this library's client: the ${tls12 ? "TLS 1.2" : "TLS 1.3"} handshake as it happens`);
const conn = await connectTls({
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [ca.cert],
  trace: narrate,
  verifyPeer: showChecks("CN=Demo Root CA", "localhost"),
  ...version,
  ...(mtls ? { cert: client.cert, key: client.key } : {}),
});
const info = await conn.handshake();
console.log(
  `\n  negotiated  ${green(info.protocol)} · ${green(info.cipherSuite)} · group ${green(String(info.group))}`,
);

step("Exchanging a message over the encrypted connection");
const message = `hello over ${info.protocol}`;
console.log(`  sent     "${message}"\n  echoed   "${await echo(conn, message)}"`);
await conn.close(); // close_notify both ways before the next step

step("Mutual TLS: the server asks for a certificate, and this time the client has one");
const mutual = await connectTls({
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [ca.cert],
  cert: client.cert,
  key: client.key,
  ...version,
});
await echo(mutual, "ping");
console.log(`  ${ok} the server verified the client's chain and sees: ${seenClients.at(-1)}`);
await mutual.close();

step("Connecting again, but asking for a name the certificate does not carry");
try {
  const bad = await connectTls({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    serverName: "wrong.example",
    caCerts: [ca.cert],
    ...version,
  });
  using _ = bad;
  await bad.handshake(); // connectTls resolves once TCP is connected; the handshake's outcome comes here
  console.log(red("  unexpectedly accepted"));
  Deno.exitCode = 1;
} catch (e) {
  if (!(e instanceof CertificateVerificationError)) throw e;
  console.log(`  ${red("✘ refused")}: ${e.message}`);
  console.log(
    dim(`  error code "${e.code}"; the client sent the alert "${e.alert}" and closed the connection`),
  );
}

listener.close();
await serving.catch(() => {});
console.log(
  `\n${green("Done.")} Run with --tls12 for the TLS 1.2 flow, --mtls for client authentication throughout.`,
);
