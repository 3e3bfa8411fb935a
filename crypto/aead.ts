/**
 * The AEADs of the TLS 1.3 cipher suites (RFC 8446 §5.2, RFC 5116): AES-128-GCM, AES-256-GCM
 * (NIST SP 800-38D) and ChaCha20-Poly1305 (RFC 8439), each with 12-byte nonces and 16-byte tags.
 *
 * @module
 */

import { type Aead, AeadDecryptError, type AeadName } from "./provider.ts";
import { buf } from "./_util.ts";

/** Nonce length N_MIN = N_MAX = 12 (RFC 5116 §5.1, RFC 8439 §2.8). */
const NONCE_LENGTH = 12;
/** Tag length in bytes. */
const TAG_LENGTH = 16;

/** Key length in bytes and WebCrypto algorithm of each AEAD. */
const AEADS: Readonly<Record<AeadName, { keyLength: number; webCryptoName: string }>> = {
  "AES-128-GCM": { keyLength: 16, webCryptoName: "AES-GCM" },
  "AES-256-GCM": { keyLength: 32, webCryptoName: "AES-GCM" },
  "ChaCha20-Poly1305": { keyLength: 32, webCryptoName: "ChaCha20-Poly1305" },
};

/** The key length in bytes of `name`. */
export function aeadKeyLength(name: AeadName): number {
  return AEADS[name].keyLength;
}

class WebCryptoAead implements Aead {
  readonly name: AeadName;
  readonly keyLength: number;
  readonly #key: CryptoKey;
  readonly #webCryptoName: string;

  constructor(name: AeadName, key: CryptoKey) {
    this.name = name;
    this.keyLength = AEADS[name].keyLength;
    this.#key = key;
    this.#webCryptoName = AEADS[name].webCryptoName;
  }

  #params(nonce: Uint8Array, aad: Uint8Array): AesGcmParams {
    if (nonce.length !== NONCE_LENGTH) {
      throw new RangeError(`${this.name}: nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
    }
    // ChaCha20-Poly1305 takes the same { iv, additionalData } members; its tag is always 128 bits.
    return this.#webCryptoName === "AES-GCM"
      ? { name: "AES-GCM", iv: buf(nonce), additionalData: buf(aad), tagLength: TAG_LENGTH * 8 }
      : { name: this.#webCryptoName, iv: buf(nonce), additionalData: buf(aad) };
  }

  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const params = this.#params(nonce, aad);
    return new Uint8Array(await crypto.subtle.encrypt(params, this.#key, buf(plaintext)));
  }

  async open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    const params = this.#params(nonce, aad);
    if (ciphertext.length < TAG_LENGTH) {
      throw new AeadDecryptError(
        `${this.name}: ciphertext of ${ciphertext.length} bytes has no room for a tag`,
      );
    }
    try {
      return new Uint8Array(await crypto.subtle.decrypt(params, this.#key, buf(ciphertext)));
    } catch (cause) {
      throw new AeadDecryptError(`${this.name}: authentication failed`, { cause });
    }
  }
}

/**
 * Imports `key` once as a non-extractable WebCrypto key. `seal` and `open` reject (with `RangeError`) a nonce
 * that is not 12 bytes; `open` rejects with {@link AeadDecryptError} when the tag does not verify or the input
 * is shorter than a tag.
 *
 * @example
 * ```ts
 * const aead = await importAead("AES-128-GCM", new Uint8Array(16));
 * const sealed = await aead.seal(new Uint8Array(12), new Uint8Array(0), new TextEncoder().encode("hi"));
 * ```
 */
export async function importAead(name: AeadName, key: Uint8Array): Promise<Aead> {
  const info = AEADS[name];
  if (!info) throw new TypeError(`unknown AEAD ${name}`);
  if (key.length !== info.keyLength) {
    throw new RangeError(`${name}: key must be ${info.keyLength} bytes, got ${key.length}`);
  }
  // "raw-secret" is the format of the WICG modern-algorithms draft; ChaCha20-Poly1305 accepts nothing else.
  const format = info.webCryptoName === "AES-GCM" ? "raw" : "raw-secret";
  const cryptoKey = await crypto.subtle.importKey(format, buf(key), { name: info.webCryptoName }, false, [
    "encrypt",
    "decrypt",
  ]);
  return new WebCryptoAead(name, cryptoKey);
}
