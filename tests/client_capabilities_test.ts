/** Suites and groups are fitted to what the platform's WebCrypto can run (Chromium lacks some). */
import assert from "node:assert/strict";
import { resolveClientConfig } from "../connection/client.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsError } from "../errors.ts";

const limited: CryptoProvider = {
  ...webCrypto,
  capabilities: () =>
    Promise.resolve({ aeads: ["AES-128-GCM", "AES-256-GCM"], groups: ["X25519", "P-256", "P-384"] }),
};

Deno.test("capabilities: defaults leave out what the platform lacks (no ChaCha20-Poly1305, no ML-KEM)", async () => {
  const c = await resolveClientConfig({ caCerts: [] }, { crypto: limited });
  assert.deepEqual(c.suites.map((s) => s.name), ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]);
  assert.ok(c.tls12?.suites.every((s) => s.aead !== "ChaCha20-Poly1305"));
  assert.deepEqual(c.groups, ["X25519", "P-256", "P-384"]);
  assert.deepEqual(c.keyShareGroups, ["X25519"]);
});

Deno.test("capabilities: a suite or group named explicitly but missing is a clear TlsError", async () => {
  await assert.rejects(
    resolveClientConfig({ caCerts: [], groups: ["X25519MLKEM768"] }, { crypto: limited }),
    (e) => e instanceof TlsError && /X25519MLKEM768 is not available/.test(e.message),
  );
  await assert.rejects(
    resolveClientConfig({ caCerts: [], cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] }, { crypto: limited }),
    (e) => e instanceof TlsError && /ChaCha20-Poly1305/.test(e.message),
  );
});

Deno.test("capabilities: with everything available the defaults are unchanged", async () => {
  const c = await resolveClientConfig({ caCerts: [] });
  assert.equal(c.suites.length, 3);
  assert.deepEqual(c.keyShareGroups, ["X25519MLKEM768", "X25519"]);
});
