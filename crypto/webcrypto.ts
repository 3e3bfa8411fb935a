/**
 * The {@link CryptoProvider} backed by WebCrypto (`crypto.subtle`), the only code of the library that performs
 * cryptography. Each capability lives in its own file: `hash.ts` (hashes, HMAC, HKDF), `aead.ts`,
 * `key_exchange.ts`, `signature.ts` and `signing_key.ts`.
 *
 * @module
 */

import type { CryptoCapabilities, CryptoProvider } from "./provider.ts";
import { importAead } from "./aead.ts";
import { detectCapabilities } from "./capabilities.ts";
import { cachingHmacFunctions, hash } from "./hash.ts";
import { respondKeyExchange, startKeyExchange } from "./key_exchange.ts";
import { verify } from "./signature.ts";
import { importSigningKey } from "./signing_key.ts";
import { importHmacKey } from "./hmac_key.ts";

/** Options of {@link createWebCryptoProvider}. */
export interface WebCryptoProviderOptions {
  /**
   * The source of `randomBytes` (client/server random, session IDs, ticket nonces), e.g. a fixed sequence for
   * deterministic tests. It must return exactly `n` bytes. Key generation always uses WebCrypto's own
   * randomness; for fixed keys in tests see `importX25519KeyExchange` in `key_exchange.ts`.
   */
  readonly random?: (n: number) => Uint8Array;
}

/** `crypto.getRandomValues` fills at most 65536 bytes per call (WebCrypto §10.1.1). */
const MAX_RANDOM_CHUNK = 65536;

function systemRandom(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += MAX_RANDOM_CHUNK) {
    crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + MAX_RANDOM_CHUNK)));
  }
  return out;
}

/**
 * Creates a WebCrypto-backed provider; the returned object is frozen.
 *
 * @example
 * ```ts
 * const provider = createWebCryptoProvider();
 * const digest = await provider.hash("SHA-256", new TextEncoder().encode("abc"));
 * ```
 */
export function createWebCryptoProvider(options: WebCryptoProviderOptions = {}): CryptoProvider {
  const random = options.random ?? systemRandom;
  // Detected on first use, not at creation: importing the library costs no crypto calls.
  let capabilities: Promise<CryptoCapabilities> | undefined;
  return Object.freeze({
    capabilities(): Promise<CryptoCapabilities> {
      capabilities ??= detectCapabilities();
      return capabilities;
    },
    randomBytes(n: number): Uint8Array {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`randomBytes: bad length ${n}`);
      const bytes = random(n);
      if (bytes.length !== n) throw new RangeError(`random source returned ${bytes.length} bytes, not ${n}`);
      return bytes;
    },
    hash,
    // HMAC keys imported once per secret, for this provider's connections.
    ...cachingHmacFunctions(),
    importAead,
    startKeyExchange,
    respondKeyExchange,
    verify,
    importSigningKey,
    importHmacKey,
  });
}

/** The default WebCrypto provider, with system randomness (frozen). */
export const webCrypto: CryptoProvider = createWebCryptoProvider();
