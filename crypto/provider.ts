/**
 * The crypto provider interface: the only door through which the protocol layers reach cryptography.
 * Everything behind it is executed by WebCrypto (`crypto.subtle`); see `webcrypto.ts` for the implementation.
 *
 * Algorithms are plain data (names in tables); capabilities are narrow: an AEAD key can only seal and open,
 * a key exchange can only give its public share and complete with the peer's.
 *
 * @module
 */

import type { HmacKey } from "./hmac_key.ts";

/** Hash functions used by TLS (transcript, HKDF, PRF) and by certificate signatures. */
export type HashName = "SHA-256" | "SHA-384" | "SHA-512";

/** AEAD algorithms of the TLS cipher suites. */
export type AeadName = "AES-128-GCM" | "AES-256-GCM" | "ChaCha20-Poly1305";

/** Key-exchange groups (IANA "TLS Supported Groups" names as used in this library's options). */
export type GroupName = "X25519MLKEM768" | "X25519" | "P-256" | "P-384" | "P-521" | "X448";

/** Elliptic curves of ECDSA keys. */
export type CurveName = "P-256" | "P-384" | "P-521";

/** Raised by {@link Aead.open} when the tag does not verify (maps to the `bad_record_mac` alert). */
export class AeadDecryptError extends Error {
  override name = "AeadDecryptError";
}

/** Raised for a malformed peer public key share or signature encoding (maps to `illegal_parameter`/`decrypt_error`). */
export class CryptoInputError extends Error {
  override name = "CryptoInputError";
}

/** An AEAD key imported once; seals and opens with 12-byte nonces and 16-byte tags. */
export interface Aead {
  readonly name: AeadName;
  /** Key length in bytes (16 or 32). */
  readonly keyLength: number;
  /** Encrypts `plaintext`, returning ciphertext ‖ tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Decrypts ciphertext ‖ tag; throws {@link AeadDecryptError} when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** The initiating side of a key exchange (the TLS client): a fresh ephemeral key pair (or KEM key). */
export interface KeyExchange {
  readonly group: GroupName;
  /** The key_share this side sends (RFC 8446 §4.2.8; for X25519MLKEM768 the ML-KEM key then X25519). */
  readonly publicKey: Uint8Array;
  /** Completes with the peer's share; throws {@link CryptoInputError} if it is malformed or invalid. */
  complete(peerShare: Uint8Array): Promise<Uint8Array>;
}

/** What the responding side (the TLS server) gets from a key exchange: its share and the shared secret. */
export interface KeyExchangeResponse {
  readonly publicKey: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/** A public key as found in a certificate: the DER SubjectPublicKeyInfo and what kind of key it is. */
export interface PublicKeyInfo {
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly keyType: "EC" | "RSA" | "RSA-PSS" | "Ed25519";
  /** For EC keys. */
  readonly curve?: CurveName;
}

/**
 * A signature algorithm. `ecdsa` signatures are DER-encoded (as TLS and X.509 carry them); `curve`, when given,
 * must be the key's curve (TLS 1.3 ties each ECDSA scheme to one curve). `rsa-pss` salt length equals the hash
 * length, as TLS requires.
 */
export type SignatureAlgorithm =
  | { readonly kind: "ecdsa"; readonly hash: HashName; readonly curve?: CurveName }
  | { readonly kind: "rsa-pkcs1"; readonly hash: HashName }
  | { readonly kind: "rsa-pss"; readonly hash: HashName }
  | { readonly kind: "ed25519" };

/** A private key imported for signing. */
export interface SigningKey {
  readonly keyType: PublicKeyInfo["keyType"];
  readonly curve?: CurveName;
  /** RSA modulus length in bits. */
  readonly modulusBits?: number;
  /** The matching public key. */
  readonly publicKey: PublicKeyInfo;
  /** Signs `message`; ECDSA signatures come back DER-encoded. */
  sign(algorithm: SignatureAlgorithm, message: Uint8Array): Promise<Uint8Array>;
}

/**
 * What a provider can do on the platform it runs on: the AEADs and key-exchange groups that work there, each in
 * the library's order. In Deno every one works; in Chromium ChaCha20-Poly1305 and X25519MLKEM768 are missing.
 */
export interface CryptoCapabilities {
  /** The AEADs that can seal and open. */
  readonly aeads: readonly AeadName[];
  /** The groups whose key exchange completes on both sides. */
  readonly groups: readonly GroupName[];
}

/** Every cryptographic operation the protocol needs. */
export interface CryptoProvider {
  /**
   * The AEADs and groups that work on this platform, found by trying each once, the first time this is
   * called; later calls give the same promise. Options that name something missing can then be refused
   * up front, and defaults can leave it out.
   */
  capabilities(): Promise<CryptoCapabilities>;
  /** `n` random bytes. */
  randomBytes(n: number): Uint8Array;
  hash(hash: HashName, data: Uint8Array): Promise<Uint8Array>;
  hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Extract (RFC 5869 §2.2); an empty salt means a string of hash-length zeros. */
  hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array>;
  /** HKDF-Expand (RFC 5869 §2.3). */
  hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  /** Imports an AEAD key once, for the life of one traffic key. */
  importAead(name: AeadName, key: Uint8Array): Promise<Aead>;
  /** Starts a key exchange as the initiator (client). */
  startKeyExchange(group: GroupName): Promise<KeyExchange>;
  /** Responds to the initiator's share (server): for ECDH a fresh key pair, for ML-KEM an encapsulation. */
  respondKeyExchange(group: GroupName, peerShare: Uint8Array): Promise<KeyExchangeResponse>;
  /** Verifies `signature` over `message` with `key`; false for a signature that does not verify or is malformed. */
  verify(
    algorithm: SignatureAlgorithm,
    key: PublicKeyInfo,
    message: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean>;
  /** Imports a PKCS#8 DER private key for signing. */
  importSigningKey(pkcs8: Uint8Array): Promise<SigningKey>;
  /**
   * Optional: imports an HMAC key once for many MACs (the TLS 1.2 PRF runs several under one secret). Without
   * it the PRF makes one `hmac` call, and so one key import, per MAC.
   */
  importHmacKey?(hash: HashName, key: Uint8Array): Promise<HmacKey>;
}
