/**
 * Feature detection of WebCrypto (`crypto/capabilities.ts`): in Deno every AEAD and group works; with
 * ChaCha20-Poly1305 and ML-KEM made to fail (older Chromium releases lack them; Debian's Chromium 156 has both),
 * they are left out and the rest still reported.
 */
import assert from "node:assert/strict";
import { ALL_AEADS, ALL_GROUPS, detectCapabilities } from "../crypto/capabilities.ts";
import { createWebCryptoProvider, webCrypto } from "../crypto/webcrypto.ts";

Deno.test("capabilities: in Deno every AEAD and every group is detected, in the library's order", async () => {
  const caps = await webCrypto.capabilities();
  assert.deepEqual(caps.aeads, ["AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305"]);
  assert.deepEqual(caps.groups, ["X25519MLKEM768", "X25519", "P-256", "P-384", "P-521", "X448"]);
  assert.deepEqual(caps.aeads, ALL_AEADS);
  assert.deepEqual(caps.groups, ALL_GROUPS);
  assert.ok(Object.isFrozen(caps) && Object.isFrozen(caps.aeads) && Object.isFrozen(caps.groups));
});

Deno.test("capabilities: detected once per provider, then the same promise is returned", async () => {
  const provider = createWebCryptoProvider();
  const first = provider.capabilities();
  assert.equal(provider.capabilities(), first);
  assert.equal(await provider.capabilities(), await first);
  // Another provider detects on its own (no module-level state).
  const other = createWebCryptoProvider().capabilities();
  assert.notEqual(other, first);
  assert.deepEqual(await other, await first);
});

/**
 * Runs `fn` with `crypto.subtle.importKey` and `generateKey` refusing what Chromium 156 refuses:
 * ChaCha20-Poly1305 keys, ML-KEM-768 and X448 key pairs (NotSupportedError, as Chromium throws).
 */
async function withChromiumLikeSubtle<T>(fn: () => Promise<T>): Promise<T> {
  const subtle = crypto.subtle;
  const importKey = subtle.importKey.bind(subtle);
  const generateKey = subtle.generateKey.bind(subtle);
  const nameOf = (algorithm: unknown) =>
    typeof algorithm === "string" ? algorithm : (algorithm as { name?: string }).name;
  const refuse = (name: string | undefined) =>
    new DOMException(`Unrecognized name ${name}`, "NotSupportedError");
  Object.defineProperty(subtle, "importKey", {
    configurable: true,
    value: (...args: Parameters<SubtleCrypto["importKey"]>) =>
      nameOf(args[2]) === "ChaCha20-Poly1305" ? Promise.reject(refuse(nameOf(args[2]))) : importKey(...args),
  });
  Object.defineProperty(subtle, "generateKey", {
    configurable: true,
    value: (...args: Parameters<SubtleCrypto["generateKey"]>) =>
      ["ML-KEM-768", "X448"].includes(nameOf(args[0]) ?? "")
        ? Promise.reject(refuse(nameOf(args[0])))
        : generateKey(...args),
  });
  try {
    return await fn();
  } finally {
    delete (subtle as unknown as Record<string, unknown>).importKey;
    delete (subtle as unknown as Record<string, unknown>).generateKey;
  }
}

Deno.test("capabilities: a platform without ChaCha20-Poly1305, ML-KEM and X448 (as older Chromium) has them left out", async () => {
  const caps = await withChromiumLikeSubtle(() => createWebCryptoProvider().capabilities());
  assert.deepEqual(caps.aeads, ["AES-128-GCM", "AES-256-GCM"]);
  assert.deepEqual(caps.groups, ["X25519", "P-256", "P-384", "P-521"]);
  // The stubs are gone again.
  assert.deepEqual((await detectCapabilities()).aeads, ALL_AEADS);
});

Deno.test("capabilities: an algorithm that imports but fails to seal is not counted", async () => {
  const subtle = crypto.subtle;
  const encrypt = subtle.encrypt.bind(subtle);
  Object.defineProperty(subtle, "encrypt", {
    configurable: true,
    value: (...args: Parameters<SubtleCrypto["encrypt"]>) =>
      (args[0] as Algorithm).name === "AES-GCM"
        ? Promise.reject(new DOMException("not here", "OperationError"))
        : encrypt(...args),
  });
  try {
    const caps = await detectCapabilities();
    assert.deepEqual(caps.aeads, ["ChaCha20-Poly1305"]);
  } finally {
    delete (subtle as unknown as Record<string, unknown>).encrypt;
  }
});

Deno.test("capabilities: without crypto.subtle (an insecure browser context) nothing is supported, no rejection", async () => {
  const descriptor = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(crypto), "subtle")!;
  Object.defineProperty(crypto, "subtle", { configurable: true, get: () => undefined });
  try {
    const caps = await detectCapabilities();
    assert.deepEqual(caps, { aeads: [], groups: [] });
  } finally {
    delete (crypto as unknown as Record<string, unknown>).subtle;
  }
  assert.ok(descriptor.get && crypto.subtle);
});
