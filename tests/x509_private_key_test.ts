/**
 * Private keys in the three PEM forms servers are configured with — PKCS #8 (RFC 5958), SEC 1 EC (RFC 5915)
 * and PKCS #1 RSA (RFC 8017 §A.1.2) — made by the `openssl` tool and turned into PKCS #8 for WebCrypto.
 */
import assert from "node:assert/strict";
import { webCrypto } from "../crypto/webcrypto.ts";
import type { SignatureAlgorithm } from "../crypto/provider.ts";
import { decodePem, PemError } from "../x509/pem.ts";
import { privateKeyFromPem } from "../x509/private_key.ts";
import { generateCertificate } from "../x509/generate.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { openssl, tempDir } from "./_certs.ts";

/** Key types, `openssl genpkey` arguments, the traditional form's command, and a signature algorithm. */
const KEYS: {
  name: string;
  genpkey: string[];
  traditional?: string[];
  label?: string;
  algorithm: SignatureAlgorithm;
}[] = [
  {
    name: "ECDSA P-256",
    genpkey: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    traditional: ["ec"],
    label: "EC PRIVATE KEY",
    algorithm: { kind: "ecdsa", hash: "SHA-256" },
  },
  {
    name: "ECDSA P-384",
    genpkey: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    traditional: ["ec"],
    label: "EC PRIVATE KEY",
    algorithm: { kind: "ecdsa", hash: "SHA-384" },
  },
  {
    name: "ECDSA P-521",
    genpkey: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    traditional: ["ec"],
    label: "EC PRIVATE KEY",
    algorithm: { kind: "ecdsa", hash: "SHA-512" },
  },
  {
    name: "RSA-2048",
    genpkey: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    traditional: ["rsa", "-traditional"],
    label: "RSA PRIVATE KEY",
    algorithm: { kind: "rsa-pkcs1", hash: "SHA-256" },
  },
  { name: "Ed25519", genpkey: ["-algorithm", "ED25519"], algorithm: { kind: "ed25519" } },
];

for (const key of KEYS) {
  const forms = key.traditional ? `PKCS #8 and ${key.label}` : "PKCS #8";
  Deno.test(`RFC 5958 / RFC 5915 / RFC 8017: an openssl ${key.name} key in ${forms} form imports and signs`, async () => {
    const dir = await tempDir();
    await openssl(["genpkey", ...key.genpkey, "-out", "pkcs8.pem"], dir);
    const spki = decodePem(await openssl(["pkey", "-in", "pkcs8.pem", "-pubout"], dir), "PUBLIC KEY")[0].der;
    const pems = [await Deno.readTextFile(`${dir}/pkcs8.pem`)];
    if (key.traditional) {
      await openssl([...key.traditional, "-in", "pkcs8.pem", "-out", "traditional.pem"], dir);
      const traditional = await Deno.readTextFile(`${dir}/traditional.pem`);
      assert.equal(decodePem(traditional)[0].label, key.label);
      pems.push(traditional);
    }
    for (const pem of pems) {
      const signer = await webCrypto.importSigningKey(privateKeyFromPem(pem));
      assert.deepEqual(signer.publicKey.spki, spki, "the public key is openssl's");
      const message = new TextEncoder().encode("subtls private key test");
      const signature = await signer.sign(key.algorithm, message);
      assert.ok(await webCrypto.verify(key.algorithm, signer.publicKey, message, signature));
      // The same key certifies itself through generateCertificate, in any of the forms.
      const cert = await generateCertificate({ subject: "CN=Key Form Test", key: pem });
      assert.deepEqual(decodeCertificate(cert.der).spki, spki);
    }
  });
}

Deno.test("RFC 5915 §3: an EC PRIVATE KEY with explicit curve parameters is refused with PemError", async () => {
  const dir = await tempDir();
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "k.pem"], dir);
  await openssl(["ec", "-in", "k.pem", "-param_enc", "explicit", "-out", "explicit.pem"], dir);
  assert.throws(() => privateKeyFromPem(Deno.readTextFileSync(`${dir}/explicit.pem`)), PemError);
});

Deno.test("RFC 7468 §11: encrypted keys, several keys, and no key are refused with PemError", async () => {
  const dir = await tempDir();
  await openssl(["genpkey", "-algorithm", "ED25519", "-out", "k.pem"], dir);
  await openssl(["pkcs8", "-topk8", "-in", "k.pem", "-passout", "pass:secret", "-out", "enc.pem"], dir);
  const plain = await Deno.readTextFile(`${dir}/k.pem`);
  const encrypted = await Deno.readTextFile(`${dir}/enc.pem`);
  assert.equal(decodePem(encrypted)[0].label, "ENCRYPTED PRIVATE KEY");
  assert.throws(() => privateKeyFromPem(encrypted), /encrypted keys are not supported/);
  assert.throws(() => privateKeyFromPem(plain + plain), /found 2/);
  const cert = await generateCertificate({ subject: "CN=No Key" });
  assert.throws(() => privateKeyFromPem(cert.cert), /found 0/);
});

Deno.test("RFC 5915 §3: `openssl ecparam -genkey` output and a SEC 1 key without its public key import", async () => {
  const dir = await tempDir();
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-out", "ecparam.pem"], dir);
  const withParams = await Deno.readTextFile(`${dir}/ecparam.pem`);
  assert.deepEqual(decodePem(withParams).map((b) => b.label), ["EC PARAMETERS", "EC PRIVATE KEY"]);
  await openssl(["ec", "-in", "ecparam.pem", "-no_public", "-out", "nopub.pem"], dir);
  const spki = decodePem(await openssl(["pkey", "-in", "ecparam.pem", "-pubout"], dir))[0].der;
  for (const pem of [withParams, await Deno.readTextFile(`${dir}/nopub.pem`)]) {
    const signer = await webCrypto.importSigningKey(privateKeyFromPem(pem));
    assert.deepEqual(signer.publicKey.spki, spki);
  }
});
