/**
 * Private keys for signing (server certificates, client certificates): PKCS#8 DER keys of type EC (P-256,
 * P-384, P-521), RSA (rsaEncryption or id-RSASSA-PSS) and Ed25519, imported with WebCrypto.
 *
 * @module
 */

import {
  CryptoInputError,
  type PublicKeyInfo,
  type SignatureAlgorithm,
  type SigningKey,
} from "./provider.ts";
import { DerError } from "./_der.ts";
import { ecdsaRawToDer } from "./_ecdsa_encoding.ts";
import { type KeyAlgorithm, parsePkcs8, pkcs8AsRsaEncryption, withAlgorithmIdentifier } from "./_key_info.ts";
import { signatureParams, type WebCryptoSignature } from "./_signature_params.ts";
import { buf } from "./_util.ts";

/** The JWK members that make up a public key (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2). */
const PUBLIC_JWK_MEMBERS = ["kty", "crv", "x", "y", "n", "e"] as const;

class WebCryptoSigningKey implements SigningKey {
  readonly keyType: PublicKeyInfo["keyType"];
  readonly curve?: PublicKeyInfo["curve"];
  readonly modulusBits?: number;
  readonly publicKey: PublicKeyInfo;
  readonly #algorithm: KeyAlgorithm;
  readonly #pkcs8: Uint8Array<ArrayBuffer>;
  /** Imported keys by {@link WebCryptoSignature.id}: WebCrypto binds an RSA key to one scheme and hash. */
  readonly #keys = new Map<string, Promise<CryptoKey>>();

  constructor(
    algorithm: KeyAlgorithm,
    pkcs8: Uint8Array<ArrayBuffer>,
    publicKey: PublicKeyInfo,
    modulusBits: number | undefined,
  ) {
    this.#algorithm = algorithm;
    this.#pkcs8 = pkcs8;
    this.keyType = algorithm.keyType;
    if (algorithm.curve) this.curve = algorithm.curve;
    if (modulusBits !== undefined) this.modulusBits = modulusBits;
    this.publicKey = publicKey;
  }

  #key(webCrypto: WebCryptoSignature): Promise<CryptoKey> {
    let key = this.#keys.get(webCrypto.id);
    if (!key) {
      key = crypto.subtle.importKey("pkcs8", this.#pkcs8, webCrypto.importAlgorithm, false, ["sign"]);
      this.#keys.set(webCrypto.id, key);
    }
    return key;
  }

  async sign(algorithm: SignatureAlgorithm, message: Uint8Array): Promise<Uint8Array> {
    const webCrypto = signatureParams(algorithm, this.#algorithm);
    if (typeof webCrypto === "string") throw new TypeError(`cannot sign: ${webCrypto}`);
    const signature = new Uint8Array(
      await crypto.subtle.sign(webCrypto.params, await this.#key(webCrypto), buf(message)),
    );
    return algorithm.kind === "ecdsa" ? ecdsaRawToDer(signature) : signature;
  }
}

/** An algorithm any key of this type can be imported with, to read its public half. */
function probeAlgorithm(algorithm: KeyAlgorithm): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  switch (algorithm.keyType) {
    case "EC":
      return { name: "ECDSA", namedCurve: algorithm.curve ?? "" };
    case "RSA":
    case "RSA-PSS":
      return { name: "RSA-PSS", hash: "SHA-256" };
    case "Ed25519":
      return { name: "Ed25519" };
  }
}

/**
 * Imports a PKCS#8 (RFC 5208 / RFC 5958) DER private key for signing. The key type comes from the
 * PrivateKeyInfo's AlgorithmIdentifier: id-ecPublicKey with namedCurve P-256/P-384/P-521, rsaEncryption,
 * id-RSASSA-PSS (imported as rsaEncryption; its public key keeps the id-RSASSA-PSS identifier) or Ed25519.
 * The returned key's `publicKey.spki` is the matching SubjectPublicKeyInfo; `sign` returns DER for ECDSA and
 * throws `TypeError` for an algorithm the key cannot do. Throws {@link CryptoInputError} for a malformed or
 * unsupported key.
 *
 * @example
 * ```ts
 * const key = await importSigningKey(pkcs8Der);
 * const signature = await key.sign({ kind: "ecdsa", hash: "SHA-256", curve: "P-256" }, data);
 * ```
 */
export async function importSigningKey(pkcs8: Uint8Array): Promise<SigningKey> {
  let parsed;
  try {
    parsed = parsePkcs8(pkcs8);
  } catch (cause) {
    if (cause instanceof DerError) {
      throw new CryptoInputError(`malformed or unsupported PKCS#8 key: ${cause.message}`, { cause });
    }
    throw cause;
  }
  const { algorithm } = parsed;
  // A private copy, re-labelled as rsaEncryption for WebCrypto when it is an id-RSASSA-PSS key.
  const importable = new Uint8Array(algorithm.keyType === "RSA-PSS" ? pkcs8AsRsaEncryption(pkcs8) : pkcs8);

  // The public key: import once extractable, keep only the public JWK members, re-import and export SPKI.
  const probe = probeAlgorithm(algorithm);
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("pkcs8", importable, probe, true, ["sign"]);
  } catch (cause) {
    throw new CryptoInputError(`PKCS#8 ${algorithm.keyType} key cannot be imported`, { cause });
  }
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const publicJwk: JsonWebKey = {};
  for (const member of PUBLIC_JWK_MEMBERS) if (jwk[member] !== undefined) publicJwk[member] = jwk[member];
  const publicCryptoKey = await crypto.subtle.importKey("jwk", publicJwk, probe, true, ["verify"]);
  let spki: Uint8Array = new Uint8Array(await crypto.subtle.exportKey("spki", publicCryptoKey));
  if (algorithm.keyType === "RSA-PSS") spki = withAlgorithmIdentifier(spki, parsed.algorithmIdentifier);

  const publicKey: PublicKeyInfo = algorithm.curve
    ? { spki, keyType: algorithm.keyType, curve: algorithm.curve }
    : { spki, keyType: algorithm.keyType };
  const modulusBits = algorithm.keyType === "RSA" || algorithm.keyType === "RSA-PSS"
    ? (privateKey.algorithm as RsaHashedKeyAlgorithm).modulusLength
    : undefined;
  return new WebCryptoSigningKey(algorithm, importable, publicKey, modulusBits);
}
