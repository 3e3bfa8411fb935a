/**
 * Custom verification with `verifyPeer`: pin the server's certificate by its SHA-256 fingerprint, on top of
 * the built-in checks (trusted issuer, validity, signature, name). `verifyPeer` runs after those checks
 * passed; throwing from it rejects the server with a `bad_certificate` alert, and the handshake fails with a
 * `CertificateVerificationError` of code `rejected_by_callback`.
 *
 * The fingerprint is what `deno task probe host` prints as "SHA-256" (colons and case do not matter here).
 *
 * ```sh
 * deno run -A examples/custom_verification.ts
 * ```
 *
 * @module
 */

import { CertificateVerificationError, connectTls, type VerifyPeer } from "../mod.ts";
import { startLocalServer } from "./_local_server.ts";

/** Hex SHA-256 of `bytes`, as `openssl x509 -fingerprint -sha256` and the probe show it (without colons). */
async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes))).toHex();
}

/** A `verifyPeer` that accepts only a leaf certificate whose SHA-256 fingerprint is `pin`. */
function pinLeaf(pin: string): VerifyPeer {
  const expected = pin.replaceAll(":", "").toLowerCase();
  return async ({ certificates }) => {
    const actual = await sha256Hex(certificates[0].der);
    if (actual !== expected) {
      throw new Error(`certificate fingerprint ${actual} is not the pinned ${expected}`);
    }
  };
}

await using server = await startLocalServer();
const options = {
  hostname: "127.0.0.1",
  port: server.port,
  serverName: "localhost",
  caCerts: [server.caCert],
};

// The pin, learnt out of band: here from the server's certificate file.
const der = Uint8Array.fromBase64(server.cert.replace(/-----[A-Z ]+-----|\s+/g, ""));
const pin = await sha256Hex(der);

// 1. The pinned certificate: accepted.
const conn = await connectTls({ ...options, verifyPeer: pinLeaf(pin) });
console.log(`pinned ${pin.slice(0, 16)}…: accepted (${(await conn.handshake()).cipherSuite})`);
conn.close();

// 2. Another pin (as after the server's key changed, or a machine in the middle with a trusted CA): refused.
// connectTls resolves once TCP is connected; the handshake's outcome comes from handshake() (or the first
// read or write).
try {
  const refused = await connectTls({ ...options, verifyPeer: pinLeaf("00".repeat(32)) });
  using _ = refused;
  await refused.handshake();
  throw new Error("a certificate that does not match the pin was accepted");
} catch (e) {
  if (!(e instanceof CertificateVerificationError)) throw e;
  console.log(`other pin: refused, ${e.code} (alert ${e.alert})`);
  if (e.code !== "rejected_by_callback") throw new Error(`unexpected code ${e.code}`);
}
