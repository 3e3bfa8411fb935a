/**
 * The room a private PKI gets under the certificate profile (`x509/profile.ts`, `docs/x509.md`): roots without
 * an authority key identifier, a trust anchor with serial number 0, a pinned self-signed development
 * certificate, an intermediate trusted directly; what a pinned certificate must still satisfy; encodings that
 * are fine; and that `generateCertificate` makes certificates that keep every rule of their role.
 */
import assert from "node:assert/strict";
import { contextTag, encode, oid, sequence, Tag } from "../x509/_der.ts";
import {
  AUTHORITY_INFO_ACCESS_OID,
  decodeCertificate,
  ExtensionOid,
  KeyPurposeOid,
} from "../x509/certificate.ts";
import { generateCertificate } from "../x509/generate.ts";
import { checkProfile } from "../x509/profile.ts";
import { verifyCertificateChain } from "../x509/verify.ts";
import { parseCertificate } from "../x509/x509_certificate.ts";
import { assertRejects, keyPool } from "./_chains.ts";
import { openssl, tempDir } from "./_certs.ts";
import { chain, ext, HOST, octets, type Options, overrides, verify } from "./_profile.ts";

const INTER = "CN=Profile Intermediate, O=subtls";

// --- Encoding ----------------------------------------------------------------------------------------------

Deno.test("RFC 5280 §4.1.2.2: a 21-octet serial number encoding of a 20-octet value is fine", async () => {
  const serial = octets(21, 0x00);
  serial[1] = 0x80;
  await verify(await chain({ leaf: overrides({ serialNumber: serial }) }));
});

Deno.test("BR §7.1.2.7.7 / RFC 5280 §4.2.2.1: a malformed authorityInfoAccess is malformed; a good one is decoded", async () => {
  const url = "http://ca.example/issuer.crt";
  const good = sequence(
    sequence(oid("1.3.6.1.5.5.7.48.2"), encode(contextTag(6, false), new TextEncoder().encode(url))),
  );
  const ok = await chain({ leaf: ext(AUTHORITY_INFO_ACCESS_OID, { value: good }) });
  const { path } = await verify(ok);
  assert.deepEqual(path[0].authorityInfoAccess, [{ method: "1.3.6.1.5.5.7.48.2", location: url }]);
  for (
    const bad of [
      new TextEncoder().encode("malformed"),
      sequence(), // "MUST contain one or more AccessDescriptions"
      sequence(sequence(oid("1.3.6.1.5.5.7.48.2"))), // no accessLocation
      sequence(sequence(oid("1.3.6.1.5.5.7.48.2"), encode(Tag.OCTET_STRING, new Uint8Array([1])))), // not a GeneralName
    ]
  ) {
    const e = await assertRejects(
      verify(await chain({ leaf: ext(AUTHORITY_INFO_ACCESS_OID, { value: bad }) })),
      "malformed",
    );
    assert.match(e.message, /authorityInfoAccess|AccessDescription|accessLocation/);
  }
  // Critical, it is not processed: an unknown critical extension (RFC 5280 §4.2.2.1: MUST be non-critical).
  await assertRejects(
    verify(await chain({ leaf: ext(AUTHORITY_INFO_ACCESS_OID, { value: good, critical: true }) })),
    "unknown_critical_extension",
  );
});

// --- Room for a private PKI --------------------------------------------------------------------------------

Deno.test("RFC 5280 §4.2.1.1: a self-signed root without an authority key identifier is a fine trust anchor", async () => {
  await verify(await chain({ root: ext(ExtensionOid.authorityKeyIdentifier, false) }));
});

Deno.test("RFC 5280 §4.1.2.2: a trust anchor with serial number 0 is accepted (nine Mozilla roots have one)", async () => {
  await verify(await chain({ root: overrides({ serialNumber: new Uint8Array([0]) }) }));
});

Deno.test("BR §7.1.2.1.2: an intermediate trusted directly as an anchor may carry extKeyUsage serverAuth", async () => {
  const c = await chain({ inter: { extKeyUsage: ["serverAuth"] } });
  const { path } = await verifyCertificateChain({
    leaf: c.leaf.der,
    trustAnchors: [c.inter.cert],
    hostname: HOST,
  });
  assert.equal(path.length, 2);
  // But not one restricted to another purpose.
  const other = await chain({ inter: { extKeyUsage: ["clientAuth"] } });
  await assertRejects(
    verifyCertificateChain({ leaf: other.leaf.der, trustAnchors: [other.inter.cert], hostname: HOST }),
    "bad_extended_key_usage",
    INTER,
  );
});

Deno.test("RFC 5280 §6.1: a pinned `openssl req -x509` certificate (cA, no extKeyUsage) is its own trust anchor", async () => {
  const dir = await tempDir();
  await openssl([
    ..."req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout dev.key -out dev.pem"
      .split(" "),
    ..."-subj /CN=localhost -addext subjectAltName=DNS:localhost".split(" "),
  ], dir);
  const dev = await Deno.readTextFile(`${dir}/dev.pem`);
  const cert = parseCertificate(dev);
  assert.equal(cert.basicConstraints?.cA, true);
  assert.equal(cert.extKeyUsage, undefined);
  for (const usage of ["server", "client"] as const) {
    const { path } = await verifyCertificateChain({
      leaf: dev,
      trustAnchors: [dev],
      hostname: usage === "server" ? "localhost" : undefined,
      usage,
    });
    assert.equal(path.length, 1);
  }
  // Not pinned, the same certificate is a CA used as a leaf, without extended key usage: refused.
  await assertRejects(
    verifyCertificateChain({ leaf: dev, trustAnchors: [(await chain()).root.cert], hostname: "localhost" }),
    "bad_basic_constraints",
  );
});

Deno.test("RFC 5280 §6.1: a pinned certificate must still fit its use: name, key usage, extended key usage, serial", async () => {
  const keys = await keyPool();
  const pinned = (options: Options) =>
    generateCertificate({ subject: "CN=localhost", key: keys.ec[3], ...options }).then((c) =>
      verifyCertificateChain({ leaf: c.der, trustAnchors: [c.cert], hostname: "localhost" })
    );
  await pinned({});
  await pinned({ isCA: true, extKeyUsage: [], subjectAltNames: ["localhost"] }); // as openssl makes them
  await assertRejects(pinned({ extKeyUsage: ["clientAuth"] }), "bad_extended_key_usage");
  await assertRejects(pinned({ keyUsage: ["keyEncipherment"] }), "bad_key_usage");
  await assertRejects(pinned({ overrides: { serialNumber: new Uint8Array([0]) } }), "bad_serial_number");
  await assertRejects(pinned({ subjectAltNames: ["other.example"] }), "hostname_mismatch");
  await assertRejects(
    pinned({ overrides: { extensions: { [ExtensionOid.authorityKeyIdentifier]: { critical: true } } } }),
    "bad_key_identifier",
  );
});

Deno.test("RFC 5280 §4 / BR §7.1: generateCertificate makes certificates that keep every rule of their role", async () => {
  const keys = await keyPool();
  const root = await generateCertificate({ subject: "CN=Gen Root", isCA: true, key: keys.rsa2048 });
  const inter = await generateCertificate({
    subject: "CN=Gen Inter",
    isCA: true,
    pathLength: 0,
    nameConstraints: { permitted: ["example.com"] },
    key: keys.ec[1],
    issuer: root,
  });
  const leaves = await Promise.all([
    generateCertificate({ subject: "www.example.com", key: keys.ec[2], issuer: inter }),
    generateCertificate({ subject: "", subjectAltNames: ["a.example.com"], key: keys.ec[3], issuer: inter }),
    generateCertificate({ subject: "CN=ed.example.com", keyAlgorithm: "Ed25519", issuer: inter }),
  ]);
  const check = (der: Uint8Array, role: "leaf" | "intermediate" | "anchor" | "pinned") => {
    const cert = decodeCertificate(der);
    checkProfile(cert, { role, purpose: "serverAuth" });
    if (role !== "leaf" && role !== "pinned") checkProfile(cert, { role, purpose: "clientAuth" });
    const serial = Uint8Array.fromHex(cert.serialNumber);
    assert.ok(
      serial.length >= 1 && serial.length <= 20 && serial[0] > 0 && serial[0] < 0x80,
      cert.serialNumber,
    );
    assert.ok(cert.subjectKeyIdentifier && cert.authorityKeyIdentifier, "key identifiers");
    return cert;
  };
  check(root.der, "anchor");
  assert.ok(check(inter.der, "intermediate").criticalExtensions.includes(ExtensionOid.nameConstraints));
  assert.ok(check(inter.der, "anchor").criticalExtensions.includes(ExtensionOid.basicConstraints));
  for (const leaf of leaves) {
    const cert = check(leaf.der, "leaf");
    assert.ok(
      cert.extKeyUsage?.includes(KeyPurposeOid.serverAuth) &&
        cert.extKeyUsage.includes(KeyPurposeOid.clientAuth),
    );
    checkProfile(cert, { role: "leaf", purpose: "clientAuth" });
    await verifyCertificateChain({
      leaf: leaf.der,
      intermediates: [inter.der],
      trustAnchors: [root.cert],
      hostname: cert.subjectAltNames[0].value,
    });
  }
  check((await generateCertificate({ subject: "localhost" })).der, "pinned");
  // What it cannot make conformant, it refuses to make.
  await assert.rejects(generateCertificate({ subject: "", subjectAltNames: [] }), TypeError);
  await assert.rejects(
    generateCertificate({ subject: "", subjectAltNames: ["ca.example"], isCA: true }),
    TypeError,
  );
});
