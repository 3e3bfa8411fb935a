/**
 * The TLS 1.2 pseudorandom function and the secrets derived with it (RFC 5246 §5, §6.3, §7.4.9, §8.1;
 * RFC 7627 §4), on the provider's HMAC:
 *
 * ```text
 * P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 * PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 *
 * master_secret          = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]
 * extended master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47]
 * key_block              = PRF(master_secret, "key expansion", server_random + client_random)
 * verify_data            = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11]
 * ```
 *
 * @module
 */

import { concat, utf8 } from "../bytes.ts";
import type { HmacKey, HmacKeyCapability } from "./hmac_key.ts";
import type { CryptoProvider, HashName } from "./provider.ts";

/** What the PRF needs of a provider: `hmac`, and `importHmacKey` when it has that optional capability. */
export type PrfCrypto = Pick<CryptoProvider, "hmac"> & Partial<HmacKeyCapability>;

/** Length of the master secret (RFC 5246 §8.1). */
export const MASTER_SECRET_LENGTH = 48;
/** Length of verify_data in every TLS 1.2 cipher suite of this library (RFC 5246 §7.4.9). */
export const VERIFY_DATA_LENGTH = 12;

const HASH_LENGTH: Readonly<Record<HashName, number>> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/** Largest PRF output this module produces; the key block is at most 2·32 + 2·12 = 88 bytes. */
const MAX_PRF_LENGTH = 1024;

async function macKey(crypto: PrfCrypto, hash: HashName, secret: Uint8Array): Promise<HmacKey> {
  if (crypto.importHmacKey) return await crypto.importHmacKey(hash, secret);
  return { sign: (data) => crypto.hmac(hash, secret, data) };
}

/**
 * P_hash(secret, seed) cut to `length` bytes (RFC 5246 §5). The A(i) chain is sequential; the output blocks
 * are computed together once their A(i) are known.
 */
async function pHash(
  crypto: PrfCrypto,
  hash: HashName,
  secret: Uint8Array,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const key = await macKey(crypto, hash, secret);
  const blocks = Math.ceil(length / HASH_LENGTH[hash]);
  const a: Uint8Array[] = [];
  let previous = seed;
  for (let i = 0; i < blocks; i++) {
    previous = await key.sign(previous);
    a.push(previous);
  }
  const outputs = await Promise.all(a.map((ai) => key.sign(concat(ai, seed))));
  return concat(...outputs).slice(0, length);
}

/**
 * PRF(secret, label, seed) = P_<hash>(secret, label ‖ seed), `length` bytes (RFC 5246 §5). `label` is ASCII.
 *
 * @example
 * ```ts
 * import { webCrypto } from "./webcrypto.ts";
 * const out = await prf(webCrypto, "SHA-256", new Uint8Array(48), "key expansion", new Uint8Array(64), 40);
 * ```
 */
export function prf(
  crypto: PrfCrypto,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_PRF_LENGTH) {
    return Promise.reject(new RangeError(`PRF: length ${length} outside 0..${MAX_PRF_LENGTH}`));
  }
  if (length === 0) return Promise.resolve(new Uint8Array(0));
  return pHash(crypto, hash, secret, concat(utf8(label), seed), length);
}

/** master_secret = PRF(pre_master_secret, "master secret", ClientHello.random ‖ ServerHello.random)[0..47] (RFC 5246 §8.1). */
export function masterSecret(
  crypto: PrfCrypto,
  hash: HashName,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Uint8Array> {
  return prf(
    crypto,
    hash,
    preMasterSecret,
    "master secret",
    concat(clientRandom, serverRandom),
    MASTER_SECRET_LENGTH,
  );
}

/**
 * master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47] (RFC 7627 §4), where
 * session_hash is the PRF hash of the handshake messages up to and including the ClientKeyExchange.
 */
export function extendedMasterSecret(
  crypto: PrfCrypto,
  hash: HashName,
  preMasterSecret: Uint8Array,
  sessionHash: Uint8Array,
): Promise<Uint8Array> {
  return prf(crypto, hash, preMasterSecret, "extended master secret", sessionHash, MASTER_SECRET_LENGTH);
}

/** What the key block depends on in a suite (a structural subset of the handshake's `Tls12Suite`). */
export interface KeyBlockParameters {
  /** The PRF hash. */
  readonly hash: HashName;
  /** enc_key_length. */
  readonly keyLength: number;
  /** fixed_iv_length: the AES-GCM salt (4) or the ChaCha20-Poly1305 IV (12). */
  readonly fixedIvLength: number;
}

/** The write keys and IVs of both directions (RFC 5246 §6.3; AEAD suites have no MAC keys). */
export interface KeyBlock {
  /** client_write_key. */
  readonly clientWriteKey: Uint8Array;
  /** server_write_key. */
  readonly serverWriteKey: Uint8Array;
  /** client_write_IV: the implicit salt (AES-GCM, RFC 5288 §3) or the IV (ChaCha20-Poly1305, RFC 7905 §2). */
  readonly clientWriteIv: Uint8Array;
  /** server_write_IV. */
  readonly serverWriteIv: Uint8Array;
}

/**
 * key_block = PRF(master_secret, "key expansion", server_random ‖ client_random), partitioned as
 * client_write_key, server_write_key, client_write_IV, server_write_IV (RFC 5246 §6.3).
 */
export async function keyBlock(
  crypto: PrfCrypto,
  suite: KeyBlockParameters,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<KeyBlock> {
  const { keyLength: k, fixedIvLength: v } = suite;
  const block = await prf(
    crypto,
    suite.hash,
    master,
    "key expansion",
    concat(serverRandom, clientRandom),
    2 * (k + v),
  );
  return {
    clientWriteKey: block.slice(0, k),
    serverWriteKey: block.slice(k, 2 * k),
    clientWriteIv: block.slice(2 * k, 2 * k + v),
    serverWriteIv: block.slice(2 * k + v, 2 * (k + v)),
  };
}

/**
 * verify_data = PRF(master_secret, "client finished" | "server finished", Hash(handshake_messages))[0..11]
 * (RFC 5246 §7.4.9); `handshakeHash` is the PRF hash of every handshake message before this Finished.
 */
export function finishedVerifyData12(
  crypto: PrfCrypto,
  hash: HashName,
  master: Uint8Array,
  sender: "client" | "server",
  handshakeHash: Uint8Array,
): Promise<Uint8Array> {
  return prf(crypto, hash, master, `${sender} finished`, handshakeHash, VERIFY_DATA_LENGTH);
}
