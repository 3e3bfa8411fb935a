/**
 * Key exchange for the TLS 1.3 key_share extension (RFC 8446 §4.2.8): ECDHE over X25519 and X448 (RFC 7748),
 * P-256, P-384 and P-521 (uncompressed points, RFC 8446 §4.2.8.2), and the hybrid X25519MLKEM768 of
 * draft-ietf-tls-ecdhe-mlkem (ML-KEM-768 of FIPS 203 combined with X25519):
 *
 * ```
 * client share  = ML-KEM-768 encapsulation key (1184) ‖ X25519 public key (32)
 * server share  = ML-KEM-768 ciphertext (1088)        ‖ X25519 public key (32)
 * shared secret = ML-KEM-768 shared secret (32)      ‖ X25519 shared secret (32)
 * ```
 *
 * Every malformed or invalid peer share is rejected with {@link CryptoInputError}.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import { CryptoInputError, type GroupName, type KeyExchange, type KeyExchangeResponse } from "./provider.ts";
import { encodeOid, encodeTlv, Oid, Tag } from "./_der.ts";
import { CURVES, isValidUncompressedPoint } from "./_ec.ts";
import {
  decapsulate,
  encapsulate,
  generateMlKem768,
  importMlKem768Seed,
  isValidEncapsulationKey,
  MLKEM768,
  type MlKemKeyPair,
} from "./_mlkem.ts";
import { buf, fixedSize, isAllZero } from "./_util.ts";

/** The groups that are a plain Diffie-Hellman exchange. */
export type EcdhGroupName = Exclude<GroupName, "X25519MLKEM768">;

interface EcdhGroup {
  /** Length of a key share: 32 for X25519, 56 for X448, 1 + 2·size for an uncompressed NIST point. */
  readonly shareLength: number;
  /** Length of the shared secret in bytes (the x-coordinate for the NIST curves, RFC 8446 §7.4.2). */
  readonly secretLength: number;
  readonly algorithm: Algorithm | EcKeyImportParams;
}

const ECDH_GROUPS: Readonly<Record<EcdhGroupName, EcdhGroup>> = {
  "X25519": { shareLength: 32, secretLength: 32, algorithm: { name: "X25519" } },
  "P-256": { shareLength: 65, secretLength: 32, algorithm: { name: "ECDH", namedCurve: "P-256" } },
  "P-384": { shareLength: 97, secretLength: 48, algorithm: { name: "ECDH", namedCurve: "P-384" } },
  "P-521": { shareLength: 133, secretLength: 66, algorithm: { name: "ECDH", namedCurve: "P-521" } },
  "X448": { shareLength: 56, secretLength: 56, algorithm: { name: "X448" } },
};

/** The Montgomery curves of RFC 7748, whose shares are u-coordinates rather than points to validate. */
function isMontgomery(group: EcdhGroupName): group is "X25519" | "X448" {
  return group === "X25519" || group === "X448";
}

const X25519_SHARE_LENGTH = ECDH_GROUPS.X25519.shareLength;
const HYBRID_CLIENT_SHARE_LENGTH = MLKEM768.encapsulationKeyLength + X25519_SHARE_LENGTH;
const HYBRID_SERVER_SHARE_LENGTH = MLKEM768.ciphertextLength + X25519_SHARE_LENGTH;

function ecdhGroup(group: EcdhGroupName): EcdhGroup {
  const g = ECDH_GROUPS[group];
  if (!g) throw new TypeError(`unsupported key exchange group ${group}`);
  return g;
}

/** A fresh ephemeral key pair: the private key (non-extractable) and the encoded public share. */
async function generateEcdh(group: EcdhGroupName): Promise<{ privateKey: CryptoKey; share: Uint8Array }> {
  const { algorithm } = ecdhGroup(group);
  // Cast: the typings return `CryptoKey | CryptoKeyPair` for a bare Algorithm; X25519/ECDH make a pair.
  const pair = await crypto.subtle.generateKey(algorithm, false, ["deriveBits"]) as CryptoKeyPair;
  // A generated public key is always extractable; "raw" is the TLS encoding (u-coordinate or 0x04 ‖ X ‖ Y).
  return {
    privateKey: pair.privateKey,
    share: new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)),
  };
}

/** Checks and imports the peer's share (RFC 8446 §4.2.8.2, RFC 7748 §5). */
async function importPeerShare(group: EcdhGroupName, share: Uint8Array): Promise<CryptoKey> {
  const { shareLength, algorithm } = ecdhGroup(group);
  if (share.length !== shareLength) {
    throw new CryptoInputError(`${group} key share must be ${shareLength} bytes, got ${share.length}`);
  }
  if (!isMontgomery(group) && !isValidUncompressedPoint(CURVES[group], share)) {
    throw new CryptoInputError(
      `${group} key share is not an uncompressed point on the curve (RFC 8446 §4.2.8.2)`,
    );
  }
  try {
    return await crypto.subtle.importKey("raw", buf(share), algorithm, true, []);
  } catch (cause) {
    throw new CryptoInputError(`${group} key share cannot be imported`, { cause });
  }
}

/** ECDH(private, peer share); for X25519 and X448 the all-zero result is refused (RFC 7748 §6, RFC 8446 §7.4.2). */
async function deriveEcdh(
  group: EcdhGroupName,
  privateKey: CryptoKey,
  peerShare: Uint8Array,
): Promise<Uint8Array> {
  const { secretLength, algorithm } = ecdhGroup(group);
  const peer = await importPeerShare(group, peerShare);
  let secret: Uint8Array;
  try {
    secret = new Uint8Array(
      await crypto.subtle.deriveBits({ name: algorithm.name, public: peer }, privateKey, secretLength * 8),
    );
  } catch (cause) {
    // Deno refuses an all-zero X25519 or X448 result itself, with an OperationError.
    throw new CryptoInputError(`${group} key agreement failed (e.g. a low-order share)`, { cause });
  }
  if (isMontgomery(group) && isAllZero(secret)) {
    throw new CryptoInputError(`${group} shared secret is all zeros (RFC 7748 §6, RFC 8446 §7.4.2)`);
  }
  return secret;
}

class EcdhKeyExchange implements KeyExchange {
  readonly group: EcdhGroupName;
  readonly publicKey: Uint8Array;
  readonly #privateKey: CryptoKey;

  constructor(group: EcdhGroupName, privateKey: CryptoKey, publicKey: Uint8Array) {
    this.group = group;
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
  }

  complete(peerShare: Uint8Array): Promise<Uint8Array> {
    return deriveEcdh(this.group, this.#privateKey, peerShare);
  }
}

class X25519MlKem768KeyExchange implements KeyExchange {
  readonly group = "X25519MLKEM768" as const;
  readonly publicKey: Uint8Array;
  readonly #mlkem: CryptoKey;
  readonly #x25519: CryptoKey;

  constructor(mlkem: MlKemKeyPair, x25519: CryptoKey, x25519Share: Uint8Array) {
    this.#mlkem = mlkem.decapsulationKey;
    this.#x25519 = x25519;
    this.publicKey = concat(mlkem.encapsulationKey, x25519Share);
  }

  async complete(peerShare: Uint8Array): Promise<Uint8Array> {
    if (peerShare.length !== HYBRID_SERVER_SHARE_LENGTH) {
      throw new CryptoInputError(
        `X25519MLKEM768 server share must be ${HYBRID_SERVER_SHARE_LENGTH} bytes, got ${peerShare.length}`,
      );
    }
    const ciphertext = peerShare.subarray(0, MLKEM768.ciphertextLength);
    const x25519Share = peerShare.subarray(MLKEM768.ciphertextLength);
    const [kemSecret, ecdhSecret] = await Promise.all([
      decapsulate(this.#mlkem, ciphertext).catch((cause) => {
        throw new CryptoInputError("ML-KEM-768 decapsulation failed", { cause });
      }),
      deriveEcdh("X25519", this.#x25519, x25519Share),
    ]);
    return concat(kemSecret, ecdhSecret);
  }
}

/**
 * Starts a key exchange as the client: a fresh key pair (for X25519MLKEM768, an ML-KEM-768 key pair and an
 * X25519 key pair). `publicKey` is the key_share to send.
 *
 * @example
 * ```ts
 * const kx = await startKeyExchange("X25519");
 * // send kx.publicKey; later: const secret = await kx.complete(serverShare);
 * ```
 */
export async function startKeyExchange(group: GroupName): Promise<KeyExchange> {
  if (group === "X25519MLKEM768") {
    const [mlkem, x25519] = await Promise.all([generateMlKem768(), generateEcdh("X25519")]);
    return new X25519MlKem768KeyExchange(mlkem, x25519.privateKey, x25519.share);
  }
  const { privateKey, share } = await generateEcdh(group);
  return new EcdhKeyExchange(group, privateKey, share);
}

/**
 * Responds to a client's share as the server: for ECDH a fresh key pair and the shared secret; for
 * X25519MLKEM768 an encapsulation to the client's ML-KEM key (after the FIPS 203 §7.2 key check) plus X25519.
 * Throws {@link CryptoInputError} for a malformed or invalid client share.
 */
export async function respondKeyExchange(
  group: GroupName,
  peerShare: Uint8Array,
): Promise<KeyExchangeResponse> {
  if (group === "X25519MLKEM768") return await respondHybrid(peerShare);
  const { privateKey, share } = await generateEcdh(group);
  return { publicKey: share, sharedSecret: await deriveEcdh(group, privateKey, peerShare) };
}

async function respondHybrid(peerShare: Uint8Array): Promise<KeyExchangeResponse> {
  if (peerShare.length !== HYBRID_CLIENT_SHARE_LENGTH) {
    throw new CryptoInputError(
      `X25519MLKEM768 client share must be ${HYBRID_CLIENT_SHARE_LENGTH} bytes, got ${peerShare.length}`,
    );
  }
  const encapsulationKey = peerShare.subarray(0, MLKEM768.encapsulationKeyLength);
  const x25519Share = peerShare.subarray(MLKEM768.encapsulationKeyLength);
  if (!isValidEncapsulationKey(encapsulationKey)) {
    throw new CryptoInputError("ML-KEM-768 encapsulation key fails the FIPS 203 §7.2 modulus check");
  }
  // The encapsulation and the whole X25519 exchange (key generation, then agreement) run side by side.
  const [kem, [x25519, ecdhSecret]] = await Promise.all([
    encapsulate(encapsulationKey).catch((cause) => {
      throw new CryptoInputError("ML-KEM-768 encapsulation failed", { cause });
    }),
    generateEcdh("X25519").then(async (pair) =>
      [pair, await deriveEcdh("X25519", pair.privateKey, x25519Share)] as const
    ),
  ]);
  return {
    publicKey: concat(kem.ciphertext, x25519.share),
    sharedSecret: concat(kem.sharedSecret, ecdhSecret),
  };
}

/** PKCS#8 PrivateKeyInfo (RFC 5208 §5) around a raw private key of `group`. */
function privateKeyInfo(group: EcdhGroupName, privateKey: Uint8Array): Uint8Array {
  const version = encodeTlv(Tag.INTEGER, new Uint8Array(1));
  if (isMontgomery(group)) {
    // RFC 8410 §7: AlgorithmIdentifier { id-X25519 / id-X448 }, privateKey = OCTET STRING { CurvePrivateKey }.
    const { shareLength } = ecdhGroup(group);
    if (privateKey.length !== shareLength) {
      throw new RangeError(`${group} private key must be ${shareLength} bytes, got ${privateKey.length}`);
    }
    const inner = encodeTlv(Tag.OCTET_STRING, privateKey);
    return encodeTlv(
      Tag.SEQUENCE,
      version,
      encodeTlv(Tag.SEQUENCE, encodeOid(group === "X25519" ? Oid.x25519 : Oid.x448)),
      encodeTlv(Tag.OCTET_STRING, inner),
    );
  }
  // RFC 5915 §3: ECPrivateKey { version 1, privateKey OCTET STRING of the field size }.
  const curve = CURVES[group];
  const scalar = fixedSize(privateKey, curve.size);
  if (!scalar) throw new RangeError(`${group} private key is longer than ${curve.size} bytes`);
  const ecPrivateKey = encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(Tag.INTEGER, Uint8Array.of(1)),
    encodeTlv(Tag.OCTET_STRING, scalar),
  );
  const algorithm = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.ecPublicKey), encodeOid(curve.oid));
  return encodeTlv(Tag.SEQUENCE, version, algorithm, encodeTlv(Tag.OCTET_STRING, ecPrivateKey));
}

function fromBase64Url(s: string | undefined): Uint8Array {
  if (s === undefined) throw new TypeError("JWK is missing a coordinate");
  return Uint8Array.fromBase64(s, { alphabet: "base64url" });
}

/** Imports a fixed private key of `group`; the public share is computed by WebCrypto (read from a JWK export). */
async function importEcdhPrivateKey(
  group: EcdhGroupName,
  privateKey: Uint8Array,
): Promise<{ privateKey: CryptoKey; share: Uint8Array }> {
  const { algorithm } = ecdhGroup(group);
  const pkcs8 = buf(privateKeyInfo(group, privateKey));
  // Imported once extractable only to read the public key, then again non-extractable for use.
  const jwk = await crypto.subtle.exportKey(
    "jwk",
    await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, true, ["deriveBits"]),
  );
  const share = isMontgomery(group)
    ? fromBase64Url(jwk.x)
    : concat(Uint8Array.of(0x04), fromBase64Url(jwk.x), fromBase64Url(jwk.y));
  return {
    privateKey: await crypto.subtle.importKey("pkcs8", pkcs8, algorithm, false, ["deriveBits"]),
    share,
  };
}

/**
 * A key exchange with a fixed private key, for deterministic tests (RFC 8448 traces, Wycheproof vectors):
 * 32 bytes for X25519 and 56 for X448 (RFC 7748 §5, clamped by the implementation), a big-endian scalar for
 * P-256 / P-384 / P-521 (leading zero bytes allowed). Throws `RangeError` for a key of the wrong length.
 */
export async function importEcdhKeyExchange(
  group: EcdhGroupName,
  privateKey: Uint8Array,
): Promise<KeyExchange> {
  const imported = await importEcdhPrivateKey(group, privateKey);
  return new EcdhKeyExchange(group, imported.privateKey, imported.share);
}

/**
 * An X25519 key exchange with a fixed 32-byte private key (for RFC 8448 tests, which inject the client's and
 * server's private keys).
 *
 * @example
 * ```ts
 * const kx = await importX25519KeyExchange(Uint8Array.fromHex(
 *   "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", // RFC 7748 §6.1, Alice
 * ));
 * kx.publicKey; // 8520f009…4e6a
 * ```
 */
export function importX25519KeyExchange(privateKey: Uint8Array): Promise<KeyExchange> {
  return importEcdhKeyExchange("X25519", privateKey);
}

/**
 * An X25519MLKEM768 client key exchange with fixed keys, for deterministic tests: the ML-KEM-768 key pair of
 * the 64-byte seed d ‖ z (FIPS 203 Algorithm 16) and the X25519 key `x25519PrivateKey`.
 * Throws `RangeError` for a seed or private key of the wrong length.
 */
export async function importX25519MlKem768KeyExchange(
  seed: Uint8Array,
  x25519PrivateKey: Uint8Array,
): Promise<KeyExchange> {
  const [mlkem, x25519] = await Promise.all([
    importMlKem768Seed(seed),
    importEcdhPrivateKey("X25519", x25519PrivateKey),
  ]);
  return new X25519MlKem768KeyExchange(mlkem, x25519.privateKey, x25519.share);
}
