/**
 * An EC public key in a certificate must be a point on its curve (SEC 1 §3.2.2.1; RFC 5480 §2.2 names the
 * encoding). WebCrypto in Deno imports an off-curve point without complaint and fails only when verifying
 * with it, which used to turn a CA-issued leaf with such a key into internal_error after chain validation.
 * The point is now checked when the certificate is parsed: a `malformed` CertificateVerificationError, and
 * the alert RFC 8446 §6.2 prescribes for a corrupt certificate, bad_certificate.
 */
import assert from "node:assert/strict";
import { CertificateVerificationError } from "../errors.ts";
import { HandshakeType, SignatureScheme } from "../handshake/constants.ts";
import { encodeCertificate, encodeCertificateVerify, encodeHandshake } from "../handshake/messages.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { bitString, childrenOf, DerReader, sequence, Tag } from "../x509/_der.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { parseCertificate } from "../x509/mod.ts";
import { pemToDer } from "./_payload.ts";
import { privateKeyFromPem } from "../x509/private_key.ts";
import { generateCertificate } from "../x509/generate.ts";
import { ROOT, SERVER } from "../fuzz/_fixtures.ts";
import { edit, messageIndex, play, scenario } from "./_scripted.ts";
import { verifyChain } from "./_chains.ts";

/**
 * `der` (a certificate issued by the holder of `issuerKey`) with its subjectPublicKeyInfo replaced by
 * `spki` and signed again by `issuerKey`, with the same signature algorithm.
 */
async function withSpki(der: Uint8Array, issuerKey: string, spki: Uint8Array): Promise<Uint8Array> {
  const cert = decodeCertificate(der);
  const tbs = childrenOf(new DerReader(cert.tbs).read(Tag.SEQUENCE, "tbs"));
  const parts: Uint8Array[] = [];
  while (!tbs.done) {
    const field = tbs.readAny("tbs field").bytes;
    parts.push(field.length === cert.spki.length && field.every((b, i) => b === cert.spki[i]) ? spki : field);
  }
  const newTbs = sequence(...parts);
  const signer = await webCrypto.importSigningKey(privateKeyFromPem(issuerKey));
  const signature = await signer.sign(cert.signatureAlgorithm!, newTbs);
  const outer = childrenOf(new DerReader(der).read(Tag.SEQUENCE, "Certificate"));
  outer.readAny("tbs");
  return sequence(newTbs, outer.readAny("signatureAlgorithm").bytes, bitString(signature));
}

/** The SPKI of a fresh `curve` key, with the last byte of the point's Y changed: off the curve. */
async function offCurveSpki(curve: "P-256" | "P-384"): Promise<Uint8Array> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", (pair as CryptoKeyPair).publicKey));
  spki[spki.length - 1] ^= 0x01;
  return spki;
}

Deno.test("SEC 1 §3.2.2.1: a certificate whose EC public key is not on its curve is malformed when parsed", async () => {
  const root = await generateCertificate({ subject: "CN=point test root", isCA: true });
  for (const curve of ["P-256", "P-384"] as const) {
    const leaf = await generateCertificate({
      subject: "CN=localhost",
      subjectAltNames: ["localhost"],
      issuer: root,
      keyAlgorithm: curve === "P-256" ? "ECDSA-P256" : "ECDSA-P384",
    });
    const good = pemToDer(leaf.cert);
    assert.equal(decodeCertificate(good).publicKeyName, `EC ${curve}`);
    const bad = await withSpki(good, root.key, await offCurveSpki(curve));
    for (const parse of [decodeCertificate, parseCertificate]) { // the handshake's, and the public API's
      assert.throws(
        () => parse(bad),
        (e) =>
          e instanceof CertificateVerificationError && e.code === "malformed" &&
          e.message.includes(`not a point on ${curve}`),
      );
    }
    // Chain validation refuses it before anything is verified with the key.
    await assert.rejects(
      verifyChain([root.cert], [bad], "localhost"),
      (e) => e instanceof CertificateVerificationError && e.code === "malformed",
    );
  }
});

Deno.test("RFC 8446 §6.2: a CA-issued leaf with an off-curve EC key ends the handshake with bad_certificate, not internal_error", async () => {
  const s = await scenario("client");
  // The fuzz server's leaf (issued by the fuzz root), its Ed25519 key swapped for an off-curve P-256 one.
  const leaf = await withSpki(pemToDer(SERVER.cert), ROOT.key, await offCurveSpki("P-256"));
  const script = edit(s, (records) => {
    const i = messageIndex(records, HandshakeType.certificate);
    records[i] = {
      ...records[i],
      content: encodeHandshake(
        HandshakeType.certificate,
        encodeCertificate({
          certificateRequestContext: new Uint8Array(0),
          certificateList: [{ certData: leaf, extensions: [] }],
        }),
      ),
    };
    // A CertificateVerify that names ECDSA P-256, so that the key would be used.
    const j = messageIndex(records, HandshakeType.certificate_verify);
    records[j] = {
      ...records[j],
      content: encodeHandshake(
        HandshakeType.certificate_verify,
        encodeCertificateVerify({
          algorithm: SignatureScheme.ecdsa_secp256r1_sha256,
          signature: Uint8Array.of(0x30, 6, 2, 1, 1, 2, 1, 1),
        }),
      ),
    };
  });
  const outcome = await play(s, script);
  const error = outcome.error;
  assert.ok(error instanceof CertificateVerificationError, `expected a certificate error, got ${error}`);
  assert.equal(error.code, "malformed");
  assert.equal(error.alert, "bad_certificate");
  assert.match(error.message, /not a point on P-256/);
});
