/**
 * Internationalized names (RFC 5890, RFC 3492, RFC 6125 §6.4.2): Punycode, the A-label form of server
 * names, matching in that form, malformed U-labels in certificates, and SNI sent as A-labels.
 */
import assert from "node:assert/strict";
import { connectTls } from "../mod.ts";
import { contextTag, encode, sequence } from "../x509/_der.ts";
import { punycodeEncode } from "../x509/_punycode.ts";
import { decodeCertificate, ExtensionOid } from "../x509/certificate.ts";
import { generateCertificate } from "../x509/generate.ts";
import { matchServerName, toALabel } from "../x509/names.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { assertRejects, keyPool, verifyChain, withExtension } from "./_chains.ts";
import { tempDir } from "./_certs.ts";
import { startOpenSslServer } from "./_peers.ts";
import { assertCertificateRefused, connectClient } from "./_interop.ts";

/** RFC 3492 §7.1 sample strings (A, B, L) and common names, with their Punycode. */
const PUNYCODE_VECTORS: [string, string][] = [
  [
    "\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F",
    "egbpdaj6bu4bxfgehfvwxn",
  ],
  ["\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587", "ihqwcrb4cv8a8dqg056pqjye"],
  ["3\u5E74B\u7D44\u91D1\u516B\u5148\u751F", "3B-ww4c5e180e575a65lsy2b"],
  ["bücher", "bcher-kva"],
  ["münchen", "mnchen-3ya"],
  ["mañana", "maana-pta"],
];

Deno.test("RFC 3492 §7.1: Punycode encodes the sample strings", () => {
  for (const [input, expected] of PUNYCODE_VECTORS) {
    assert.equal(punycodeEncode(input), expected, input);
  }
  assert.equal(punycodeEncode("abc"), "abc-");
});

/** Names whose A-label form the WHATWG URL parser (UTS #46 nontransitional) gives the same way. */
const NAMES = [
  "bücher.example",
  "BÜCHER.Example",
  "münchen.de",
  "faß.de",
  "ドメイン名例.jp",
  "例え.テスト",
  "παράδειγμα.δοκιμή",
  "пример.рф",
  "www.bücher.example",
  "ｂüｃｈｅｒ.example", // full-width letters map to ASCII
  "bücher。example", // an ideographic full stop separates labels
  "xn--bcher-kva.example",
  "www.example.com",
];

Deno.test("RFC 5890 §2.3.2.1: toALabel agrees with the URL host parser on internationalized names", () => {
  for (const name of NAMES) {
    assert.equal(toALabel(name).toLowerCase(), new URL(`https://${name}/`).hostname, name);
  }
  assert.equal(toALabel("bücher.example."), "xn--bcher-kva.example.");
  assert.equal(toALabel("127.0.0.1"), "127.0.0.1");
  assert.equal(toALabel("WWW.Example.com"), "WWW.Example.com");
});

Deno.test("RFC 5890: toALabel refuses names that cannot be host names", () => {
  for (
    const bad of [
      "bü cher.example",
      "bü/cher.example",
      "b\u0000ü.example",
      "bü..example",
      "\u{E000}ü.example",
    ]
  ) {
    assert.throws(() => toALabel(bad), TypeError, bad);
  }
  assert.throws(() => toALabel(`${"ü".repeat(60)}.example`), /exceeds 63 octets/);
});

Deno.test("RFC 6125 §6.4.2: a U-label server name matches its A-label dNSName, and only that", () => {
  const sans = [{ type: "dns", value: "xn--bcher-kva.example" } as const];
  assert.ok(matchServerName(sans, "bücher.example"));
  assert.ok(matchServerName(sans, "BÜCHER.example."));
  assert.ok(matchServerName(sans, "xn--bcher-kva.example"));
  assert.ok(!matchServerName(sans, "bucher.example"));
  assert.ok(!matchServerName(sans, "bü cher.example"));
  assert.ok(matchServerName([{ type: "dns", value: "*.xn--bcher-kva.example" }], "www.bücher.example"));
});

Deno.test("RFC 6125 §6.4.2: a chain for an A-label verifies for the U-label name; another name mismatches", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=IDNA Root", isCA: true, key: keys.ec[0] });
  const leaf = await generateCertificate({
    subject: "CN=IDNA Leaf",
    subjectAltNames: ["xn--bcher-kva.example"],
    key: keys.ec[1],
    issuer: root,
  });
  await verifyChain([root.cert], [leaf.der], "bücher.example");
  await assertRejects(
    verifyChain([root.cert], [leaf.der], "büchers.example"),
    "hostname_mismatch",
    "CN=IDNA Leaf",
  );
});

Deno.test("RFC 5280 §4.2.1.6: a dNSName holding a U-label (non-ASCII octets) is malformed", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=IDNA Root", isCA: true, key: keys.ec[0] });
  const bare = await generateCertificate({
    subject: "CN=IDNA Leaf",
    subjectAltNames: [],
    key: keys.ec[1],
    issuer: root,
  });
  const san = (name: string) =>
    withExtension(bare.der, root.key, {
      oid: ExtensionOid.subjectAltName,
      critical: false,
      value: sequence(encode(contextTag(2, false), new TextEncoder().encode(name))),
    });
  const uLabel = await san("bücher.example");
  assert.throws(() => decodeCertificate(uLabel), /dNSName is not an IA5String/);
  await assertRejects(verifyChain([root.cert], [uLabel], "bücher.example"), "malformed");
  // Fixed: the same certificate with the A-label.
  await verifyChain([root.cert], [await san("xn--bcher-kva.example")], "bücher.example");
});

Deno.test("RFC 6066 §3: the client sends SNI in A-label form; an invalid name is refused before connecting", async () => {
  const config = await resolveClientConfig({ serverName: "Bücher.example", caCerts: [] });
  assert.equal(config.sni, "xn--bcher-kva.example");
  assert.equal(config.serverName, "Bücher.example");
  await assert.rejects(resolveClientConfig({ serverName: "bü cher.example", caCerts: [] }), /serverName: /);

  // On the wire: the ClientHello carries the A-label, not UTF-8.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const captured = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(16384);
    let length = 0;
    // The record header gives the ClientHello's length; read until it is all here.
    while (length < 5 || length < 5 + ((buf[3] << 8) | buf[4])) {
      const n = await conn.read(buf.subarray(length));
      if (n === null) break;
      length += n;
    }
    conn.close();
    return buf.subarray(0, length);
  })();
  const client = connectTls({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    serverName: "bücher.example",
    caCerts: [],
  });
  const hello = new TextDecoder("latin1").decode(await captured);
  await client.then((c) => c.close(), () => {});
  listener.close();
  assert.ok(hello.includes("xn--bcher-kva.example"), "the SNI is the A-label");
  assert.ok(!new TextDecoder().decode(await captured).includes("bücher"), "no U-label on the wire");
});

Deno.test("interop openssl s_server: a certificate for an A-label name is accepted for the U-label", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=IDNA Root", isCA: true, key: keys.ec[0] });
  const leaf = await generateCertificate({
    subject: "CN=IDNA Leaf",
    subjectAltNames: ["xn--bcher-kva.example"],
    key: keys.ec[1],
    issuer: root,
  });
  const dir = await tempDir();
  const files = { certPath: `${dir}/idna.pem`, keyPath: `${dir}/idna.key`, cert: leaf.cert, key: leaf.key };
  await Deno.writeTextFile(files.certPath, leaf.cert);
  await Deno.writeTextFile(files.keyPath, leaf.key);
  await using server = await startOpenSslServer({ cert: files, mode: "interactive" });
  const { conn, info } = await connectClient(server.port, {
    serverName: "bücher.example",
    caCerts: [root.cert],
  });
  conn.close();
  assert.equal(info.serverName, "xn--bcher-kva.example");
  await assertCertificateRefused(server.port, "hostname_mismatch", {
    serverName: "büchers.example",
    caCerts: [root.cert],
  });
});
