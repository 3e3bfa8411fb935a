/**
 * `deno task demo`: a guided TLS handshake on loopback, needing no setup and no network.
 *
 * It makes a CA, a server certificate and a client certificate with the library's own
 * `generateCertificate`, starts this library's server, connects this library's client, and narrates the
 * handshake as it happens, message by message, in the order of the classic description of SSL: the hellos,
 * the key exchange (the hybrid ML-KEM-768 + X25519 one, when negotiated), the server's certificate and the
 * four checks on it — as `verifyCertificateChain`, the verifier every handshake runs, reports them — the keys
 * derived (names and lengths only, never values) and installed, and the Finished messages. Then it exchanges
 * a message, shows mutual TLS (with the server's checks of the client's certificate), and shows the client
 * refusing a server whose name does not match.
 *
 * Flags: `--tls12` (negotiate TLS 1.2), `--mtls` (mutual TLS on the main connection too), `--no-color`
 * (colours are used only on a terminal, and never with NO_COLOR set); any other flag is a usage error (exit 2).
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
import { type VerifiedCertificateChain, verifyCertificateChain } from "../x509/mod.ts";

const USAGE = `Usage: deno task demo [--tls12] [--mtls] [--no-color]

  --tls12     negotiate TLS 1.2 instead of TLS 1.3
  --mtls      the client presents a certificate on the main connection too (mutual TLS)
  --no-color  no colours (the default when NO_COLOR is set or the output is not a terminal)
  --help      this text`;

const FLAGS = ["--tls12", "--mtls", "--no-color", "--help"];
const unknown = Deno.args.filter((a) => !FLAGS.includes(a));
if (unknown.length > 0) {
  console.error(`demo: unknown option ${unknown[0]}\n\n${USAGE}`);
  Deno.exit(2);
}
const args = new Set(Deno.args);
if (args.has("--help")) {
  console.log(USAGE);
  Deno.exit(0);
}
const color = !args.has("--no-color") && !Deno.noColor && Deno.stdout.isTerminal();
const tls12 = args.has("--tls12");
const mtls = args.has("--mtls");
const paint = (code: string) => (s: string) => color ? `\x1b[${code}m${s}\x1b[0m` : s;
const bold = paint("1");
const green = paint("32");
const red = paint("31");
const cyan = paint("36");
const dim = paint("2");
const ok = green("✔");
const INDENT = " ".repeat(15);

function step(title: string): void {
  console.log(`\n${bold("▶ " + title)}`);
}

function list(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : String(value);
}

/** What each key-log label names, in the words of the RFCs. */
const SECRET_NAMES: Record<string, string> = {
  CLIENT_RANDOM: "master secret (TLS 1.2: from the premaster secret and both randoms; session keys follow)",
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: "client handshake traffic secret (from the key exchange's shared secret)",
  SERVER_HANDSHAKE_TRAFFIC_SECRET: "server handshake traffic secret",
  CLIENT_TRAFFIC_SECRET_0: "client application traffic secret (from the master secret)",
  SERVER_TRAFFIC_SECRET_0: "server application traffic secret",
  EXPORTER_SECRET: "exporter master secret",
};

/** What a key share of `group` is: a hybrid KEM share, or an ephemeral (EC)DH public key. */
function keyExchange(group: string): string {
  if (group === "X25519MLKEM768") {
    return "hybrid post-quantum key exchange: an ML-KEM-768 encapsulation and an X25519 ECDH share, both secrets combined";
  }
  return `ephemeral ECDH over ${group}`;
}

/** Which side sent a message the client traced: `sent` is the client's, `received` the server's. */
const sender = (direction: "sent" | "received") => direction === "sent" ? "client" : "server";

/** How many times each direction's keys were switched: the first switch, the second, and so on. */
const keySwitches = { read: 0, write: 0 };

/** The caption of a key switch, at the moment it happens. */
function keysCaption(direction: "read" | "write"): string {
  const n = ++keySwitches[direction];
  const whose = direction === "read" ? "the server's records" : "the client's records";
  if (tls12) {
    return `new ${direction} keys: ${whose} are encrypted from here on (TLS 1.2 session keys, from the master secret)`;
  }
  if (n === 1) {
    return `new ${direction} keys: ${whose} are encrypted from here on, with the handshake traffic keys`;
  }
  if (n === 2) return `new ${direction} keys: ${whose} switch to the application traffic keys`;
  return `new ${direction} keys: ${whose} switch to the next generation of application keys (KeyUpdate)`;
}

/** Prints one trace event of the client as a line of the narration. */
function narrate(e: TraceEvent): void {
  const t = dim(`${e.time.toFixed(1).padStart(7)} ms`);
  switch (e.kind) {
    case "message": {
      const arrow = e.direction === "sent" ? cyan("client → server") : cyan("client ← server");
      const who = sender(e.direction);
      const f = e.message.fields;
      const line = (label: string, value: string) => console.log(`${INDENT}${label.padEnd(18)}${value}`);
      const note = (text: string) => console.log(`${INDENT}${text}`);
      console.log(`${t}  ${arrow}  ${bold(e.message.type)} ${dim(`(${e.message.length} bytes)`)}`);
      switch (e.message.type) {
        case "client_hello":
          line("versions offered", list(f.supportedVersions ?? f.legacyVersion));
          line("cipher suites", list(f.cipherSuites));
          line("client random", `${String(f.random).slice(0, 32)}…`);
          if (Array.isArray(f.keyShares)) {
            line("key shares", list(f.keyShares));
            for (const share of f.keyShares) {
              note(dim(`  ${String(share).split(" ")[0]}: ${keyExchange(String(share).split(" ")[0])}`));
            }
          }
          if (f.serverName) line("server name", String(f.serverName));
          return;
        case "server_hello":
          line("version chosen", list(f.supportedVersions ?? f.legacyVersion));
          line("cipher suite", String(f.cipherSuite));
          line("server random", `${String(f.random).slice(0, 32)}…`);
          if (Array.isArray(f.keyShares)) {
            const group = String(f.keyShares[0]).split(" ")[0];
            line("key share", `${list(f.keyShares)}: ${keyExchange(group)}`);
          }
          return;
        case "encrypted_extensions":
          return note("the rest of the server's hello (ALPN, …), the first message sent encrypted");
        case "certificate_request":
          return note("the server asks the client for a certificate");
        case "certificate":
          if (f.certificates === 0) return note(`the ${who} has no certificate to offer`);
          return note(`the ${who}'s chain: ${f.certificates} certificate(s)`);
        case "server_key_exchange":
          return note("the server's ephemeral ECDH public key, signed with its certificate's key");
        case "client_key_exchange":
          return note("the client's ephemeral ECDH public key: both sides now share the premaster secret");
        case "certificate_verify":
          return note(`signed with ${f.scheme}: proves the ${who} holds the private key of its certificate`);
        case "finished":
          return note(`the ${who}'s MAC over the whole handshake: nobody altered it`);
        case "server_hello_done":
          return note("the end of the server's flight: the client's turn");
        case "new_session_ticket":
          return note("a ticket to resume this session later without certificates");
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
      console.log(`${t}  ${dim("installed")}        ${keysCaption(e.direction)}`);
      return;
    case "change_cipher_spec":
      console.log(
        `${t}  ${cyan(e.direction === "sent" ? "client → server" : "client ← server")}  ChangeCipherSpec ${
          dim(
            tls12
              ? `(the ${sender(e.direction)}'s next records use the new keys)`
              : "(for middleboxes only: TLS 1.3 ignores it, RFC 8446 §D.4)",
          )
        }`,
      );
      return;
    case "alert":
      console.log(`${t}  alert ${e.direction}: ${e.alert}`);
      return;
    case "handshake_complete":
      console.log(`${t}  ${green("handshake complete")}`);
  }
}

const day = (d: Date) => d.toISOString().slice(0, 16).replace("T", " ");

/**
 * Prints the four classic checks as the verifier did them: `verifyCertificateChain` — the function every
 * handshake of the library runs on the peer's chain — run again on the chain the handshake received, and
 * its result (the path it validated, the time and the name it compared) shown.
 */
function printChecks(whose: "server" | "client", result: VerifiedCertificateChain, name?: string): void {
  const { path, time, matchedName } = result;
  const anchor = path[path.length - 1];
  const links = path.slice(0, -1).map((cert, i) => ({ cert, issuer: path[i + 1] }));
  const check = (label: string, text: string) => console.log(`${INDENT}${ok} ${label.padEnd(17)} ${text}`);
  console.log(
    `${INDENT}${bold(`the ${whose}'s certificate ${path[0].subject}`)}, as verifyCertificateChain saw it:`,
  );
  check(
    "validity period",
    `at ${day(time)} UTC, within ` +
      path.map((c) => `${c.subject} ${day(c.notBefore)} → ${day(c.notAfter)}`).join("; "),
  );
  check(
    "trusted issuer",
    links.map(({ cert, issuer }) => `${cert.subject}'s issuer is ${issuer.subject}`).join("; ") +
      `${links.length > 0 ? "; " : ""}${anchor.subject} is a trust anchor (${
        whose === "server" ? "caCerts" : "clientCaCerts"
      })`,
  );
  check(
    "signature",
    links.map(({ cert, issuer }) =>
      `${cert.subject}'s ${cert.signatureAlgorithm} signature verifies with ${issuer.subject}'s ${issuer.publicKey.name} key`
    ).join("; ") || "none to check: the certificate is itself a trust anchor",
  );
  if (name !== undefined) check("server name", `"${name}" matches its subjectAltName entry ${matchedName}`);
  else {console.log(
      `${INDENT}${dim("–")} ${"name".padEnd(17)} not compared: a client certificate is for no host name`,
    );}
}

/** The checks of `whose` chain by verifyCertificateChain, against the demo's CA; the name when there is one. */
async function verifyAndShow(
  whose: "server" | "client",
  peer: PeerVerificationInput,
  ca: string,
): Promise<void> {
  const [leaf, ...intermediates] = peer.certificates;
  const name = whose === "server" ? peer.serverName : undefined;
  const result = await verifyCertificateChain({
    leaf: leaf.der,
    intermediates: intermediates.map((c) => c.der),
    trustAnchors: [ca],
    hostname: name,
    usage: whose,
  });
  printChecks(whose, result, name);
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
  // The server's side of mutual TLS: its checks of the client's chain, when the client sends one.
  verifyPeer: async (peer) => {
    if (!serverNarrates) return;
    console.log(`${INDENT}${cyan("server side:")} the client sent a certificate`);
    await verifyAndShow("client", peer, ca.cert);
  },
  ...version,
});
let serverNarrates = mtls;
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
  // Runs once the built-in checks have passed: shows what they compared.
  verifyPeer: (peer) => verifyAndShow("server", peer, ca.cert),
  sessionCache: null, // a full handshake, certificates and all, every time
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
serverNarrates = true;
const mutual = await connectTls({
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [ca.cert],
  cert: client.cert,
  key: client.key,
  sessionCache: null,
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
    sessionCache: null,
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
