/**
 * ML-KEM-768 (FIPS 203) through WebCrypto's "ML-KEM-768" algorithm of the WICG modern-algorithms draft.
 * Deno implements it, but its TypeScript lib does not declare `encapsulateBits`, `decapsulateBits`,
 * `getPublicKey` or the KEM key usages; the narrow interface below is the only cast. Private to `crypto/`.
 *
 * @module
 */

import { buf } from "./_util.ts";

/** Sizes of ML-KEM-768 (FIPS 203 §8, Table 3). */
export const MLKEM768 = {
  encapsulationKeyLength: 1184,
  ciphertextLength: 1088,
  sharedSecretLength: 32,
  /** The 64-byte seed d ‖ z a decapsulation key is generated from (FIPS 203 Algorithm 19). */
  seedLength: 64,
} as const;

/** Modulus q of ML-KEM (FIPS 203 §2.4). */
const Q = 3329;
const ALGORITHM = { name: "ML-KEM-768" } as const;

/** The members of `SubtleCrypto` that Deno implements for ML-KEM but does not declare. */
interface KemSubtle {
  generateKey(algorithm: typeof ALGORITHM, extractable: boolean, usages: string[]): Promise<CryptoKeyPair>;
  importKey(
    format: "raw-public" | "raw-seed",
    keyData: BufferSource,
    algorithm: typeof ALGORITHM,
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  exportKey(format: "raw-public", key: CryptoKey): Promise<ArrayBuffer>;
  getPublicKey(key: CryptoKey, usages: string[]): Promise<CryptoKey>;
  encapsulateBits(
    algorithm: typeof ALGORITHM,
    encapsulationKey: CryptoKey,
  ): Promise<{ ciphertext: ArrayBuffer; sharedKey: ArrayBuffer }>;
  decapsulateBits(
    algorithm: typeof ALGORITHM,
    decapsulationKey: CryptoKey,
    ciphertext: BufferSource,
  ): Promise<
    ArrayBuffer
  >;
}

/** `crypto.subtle` seen with the ML-KEM members (cast: Deno's lib.dom typings lack them). */
function kemSubtle(): KemSubtle {
  return crypto.subtle as unknown as KemSubtle;
}

/** A decapsulation key and its encoded encapsulation key. */
export interface MlKemKeyPair {
  readonly decapsulationKey: CryptoKey;
  readonly encapsulationKey: Uint8Array;
}

/** A fresh ML-KEM-768 key pair (FIPS 203 Algorithm 19, ML-KEM.KeyGen). */
export async function generateMlKem768(): Promise<MlKemKeyPair> {
  const s = kemSubtle();
  const pair = await s.generateKey(ALGORITHM, false, ["encapsulateBits", "decapsulateBits"]);
  // Public keys are always extractable, whatever `extractable` says for the private one.
  return {
    decapsulationKey: pair.privateKey,
    encapsulationKey: new Uint8Array(await s.exportKey("raw-public", pair.publicKey)),
  };
}

/** The ML-KEM-768 key pair of a 64-byte seed d ‖ z (FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal). */
export async function importMlKem768Seed(seed: Uint8Array): Promise<MlKemKeyPair> {
  if (seed.length !== MLKEM768.seedLength) {
    throw new RangeError(`ML-KEM-768 seed must be ${MLKEM768.seedLength} bytes, got ${seed.length}`);
  }
  const s = kemSubtle();
  const decapsulationKey = await s.importKey("raw-seed", buf(seed), ALGORITHM, false, ["decapsulateBits"]);
  const publicKey = await s.getPublicKey(decapsulationKey, ["encapsulateBits"]);
  return { decapsulationKey, encapsulationKey: new Uint8Array(await s.exportKey("raw-public", publicKey)) };
}

/**
 * The encapsulation key check of FIPS 203 §7.2: the right length, and every 12-bit coefficient of the encoded
 * vector t̂ (the first 384·k bytes, ByteEncode₁₂) below q — i.e. ByteEncode₁₂(ByteDecode₁₂(ek)) = ek.
 */
export function isValidEncapsulationKey(ek: Uint8Array): boolean {
  if (ek.length !== MLKEM768.encapsulationKeyLength) return false;
  const encodedLength = MLKEM768.encapsulationKeyLength - 32; // ρ is the last 32 bytes
  for (let i = 0; i < encodedLength; i += 3) {
    const first = ek[i] | ((ek[i + 1] & 0x0f) << 8);
    const second = (ek[i + 1] >> 4) | (ek[i + 2] << 4);
    if (first >= Q || second >= Q) return false;
  }
  return true;
}

/** ML-KEM.Encaps (FIPS 203 Algorithm 20) to an encapsulation key that passed {@link isValidEncapsulationKey}. */
export async function encapsulate(
  encapsulationKey: Uint8Array,
): Promise<{ ciphertext: Uint8Array; sharedSecret: Uint8Array }> {
  const s = kemSubtle();
  const key = await s.importKey("raw-public", buf(encapsulationKey), ALGORITHM, true, ["encapsulateBits"]);
  const { ciphertext, sharedKey } = await s.encapsulateBits(ALGORITHM, key);
  return { ciphertext: new Uint8Array(ciphertext), sharedSecret: new Uint8Array(sharedKey) };
}

/** ML-KEM.Decaps (FIPS 203 Algorithm 21) of a ciphertext of exactly 1088 bytes. */
export async function decapsulate(decapsulationKey: CryptoKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await kemSubtle().decapsulateBits(ALGORITHM, decapsulationKey, buf(ciphertext)));
}
