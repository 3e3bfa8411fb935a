/**
 * Just enough of SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) and PrivateKeyInfo (RFC 5208 §5, RFC 5958 §2) to
 * tell which kind of key is inside, and the rewrite that lets WebCrypto import an RSASSA-PSS key: its
 * AlgorithmIdentifier id-RSASSA-PSS (RFC 4055 §3.1) is replaced by rsaEncryption, since the RSA key bits are
 * the same RSAPublicKey / RSAPrivateKey (RFC 8017 §A.1) in both. Private to `crypto/`.
 *
 * @module
 */

import type { CurveName, HashName, PublicKeyInfo } from "./provider.ts";
import { DerError, DerReader, encodeOid, encodeTlv, Oid, readSingle, Tag, type Tlv } from "./_der.ts";
import { curveByOid } from "./_ec.ts";

/** What an AlgorithmIdentifier says about a key. */
export interface KeyAlgorithm {
  readonly keyType: PublicKeyInfo["keyType"];
  readonly curve?: CurveName;
  /**
   * For id-RSASSA-PSS keys with parameters: the only hash the key may be used with (RFC 4055 §3.1), or
   * `"unsupported"` when it names one outside {@link HashName} (including the SHA-1 default). Absent when the
   * key is not restricted.
   */
  readonly pssHash?: HashName | "unsupported";
}

/** A parsed SubjectPublicKeyInfo. */
export interface ParsedSpki {
  readonly algorithm: KeyAlgorithm;
  /** The whole AlgorithmIdentifier encoding. */
  readonly algorithmIdentifier: Uint8Array;
  /** The subjectPublicKey BIT STRING's key bits (without the unused-bits octet). */
  readonly publicKey: Uint8Array;
}

/** A parsed PrivateKeyInfo / OneAsymmetricKey. */
export interface ParsedPkcs8 {
  readonly algorithm: KeyAlgorithm;
  /** The whole AlgorithmIdentifier encoding. */
  readonly algorithmIdentifier: Uint8Array;
}

const HASH_BY_OID: Readonly<Record<string, HashName>> = {
  [Oid.sha256]: "SHA-256",
  [Oid.sha384]: "SHA-384",
  [Oid.sha512]: "SHA-512",
};

/** RSASSA-PSS-params (RFC 4055 §3.1): only hashAlgorithm [0] matters here; absent means SHA-1. */
function pssHashOf(params: Tlv): HashName | "unsupported" {
  if (params.tag !== Tag.SEQUENCE) throw new DerError("RSASSA-PSS-params: not a SEQUENCE");
  const r = new DerReader(params.value);
  while (!r.done) {
    const field = r.read("RSASSA-PSS-params field");
    if (field.tag === 0xa0) {
      const hashAlgorithm = readSingle(field.value, Tag.SEQUENCE, "hashAlgorithm");
      const oid = new DerReader(hashAlgorithm.value).expect(Tag.OID, "hashAlgorithm.algorithm");
      return HASH_BY_OID[oid.value.toHex()] ?? "unsupported";
    }
  }
  return "unsupported";
}

/** Parses an AlgorithmIdentifier (RFC 5280 §4.1.1.2) of one of the key types we support. */
function parseAlgorithmIdentifier(tlv: Tlv): KeyAlgorithm {
  if (tlv.tag !== Tag.SEQUENCE) throw new DerError("AlgorithmIdentifier: not a SEQUENCE");
  const r = new DerReader(tlv.value);
  const oid = r.expect(Tag.OID, "AlgorithmIdentifier.algorithm").value.toHex();
  const params = r.done ? undefined : r.read("AlgorithmIdentifier.parameters");
  r.end("AlgorithmIdentifier");
  switch (oid) {
    case Oid.ecPublicKey: {
      // RFC 5480 §2.1.1: namedCurve is the only form allowed.
      if (params?.tag !== Tag.OID) throw new DerError("EC key: parameters must be a namedCurve");
      const curve = curveByOid(params.value.toHex());
      if (!curve) throw new DerError("EC key: unsupported curve");
      return { keyType: "EC", curve: curve.name };
    }
    case Oid.rsaEncryption:
      // RFC 3279 §2.3.1: parameters NULL (absent is tolerated, as many decoders do).
      if (params && (params.tag !== Tag.NULL || params.value.length !== 0)) {
        throw new DerError("RSA key: parameters must be NULL");
      }
      return { keyType: "RSA" };
    case Oid.rsassaPss:
      return params ? { keyType: "RSA-PSS", pssHash: pssHashOf(params) } : { keyType: "RSA-PSS" };
    case Oid.ed25519:
      // RFC 8410 §3: parameters MUST be absent.
      if (params) throw new DerError("Ed25519 key: parameters must be absent");
      return { keyType: "Ed25519" };
    default:
      throw new DerError(`unsupported key algorithm OID ${oid}`);
  }
}

/** Parses a DER SubjectPublicKeyInfo; throws {@link DerError}. */
export function parseSpki(spki: Uint8Array): ParsedSpki {
  const outer = readSingle(spki, Tag.SEQUENCE, "SubjectPublicKeyInfo");
  const r = new DerReader(outer.value);
  const algorithmIdentifier = r.expect(Tag.SEQUENCE, "SubjectPublicKeyInfo.algorithm");
  const bits = r.expect(Tag.BIT_STRING, "SubjectPublicKeyInfo.subjectPublicKey");
  r.end("SubjectPublicKeyInfo");
  if (bits.value.length === 0 || bits.value[0] !== 0) {
    throw new DerError("subjectPublicKey: unused bits are not allowed");
  }
  return {
    algorithm: parseAlgorithmIdentifier(algorithmIdentifier),
    algorithmIdentifier: algorithmIdentifier.raw,
    publicKey: bits.value.subarray(1),
  };
}

/** Parses a DER PrivateKeyInfo / OneAsymmetricKey (version 0 or 1); throws {@link DerError}. */
export function parsePkcs8(pkcs8: Uint8Array): ParsedPkcs8 {
  const outer = readSingle(pkcs8, Tag.SEQUENCE, "PrivateKeyInfo");
  const r = new DerReader(outer.value);
  const version = r.expect(Tag.INTEGER, "PrivateKeyInfo.version").value;
  if (version.length !== 1 || version[0] > 1) throw new DerError("PrivateKeyInfo: unsupported version");
  const algorithmIdentifier = r.expect(Tag.SEQUENCE, "PrivateKeyInfo.privateKeyAlgorithm");
  r.expect(Tag.OCTET_STRING, "PrivateKeyInfo.privateKey");
  return {
    algorithm: parseAlgorithmIdentifier(algorithmIdentifier),
    algorithmIdentifier: algorithmIdentifier.raw,
  };
}

/** AlgorithmIdentifier { rsaEncryption, NULL }. */
const RSA_ENCRYPTION_ALGORITHM = encodeTlv(Tag.SEQUENCE, encodeOid(Oid.rsaEncryption), encodeTlv(Tag.NULL));

/** Replaces the AlgorithmIdentifier of a SEQUENCE whose first (SPKI) or second (PKCS#8) element it is. */
function replaceAlgorithm(der: Uint8Array, index: 0 | 1, algorithm: Uint8Array): Uint8Array {
  const outer = readSingle(der, Tag.SEQUENCE, "key container");
  const r = new DerReader(outer.value);
  const parts: Uint8Array[] = [];
  for (let i = 0; !r.done; i++) {
    const tlv = r.read("key container element");
    parts.push(i === index ? algorithm : tlv.raw);
  }
  return encodeTlv(Tag.SEQUENCE, ...parts);
}

/** An id-RSASSA-PSS SubjectPublicKeyInfo re-labelled as rsaEncryption, for `importKey("spki")`. */
export function spkiAsRsaEncryption(spki: Uint8Array): Uint8Array {
  return replaceAlgorithm(spki, 0, RSA_ENCRYPTION_ALGORITHM);
}

/** An id-RSASSA-PSS PrivateKeyInfo re-labelled as rsaEncryption, for `importKey("pkcs8")`. */
export function pkcs8AsRsaEncryption(pkcs8: Uint8Array): Uint8Array {
  return replaceAlgorithm(pkcs8, 1, RSA_ENCRYPTION_ALGORITHM);
}

/** An SPKI carrying `algorithmIdentifier` (whole encoding) instead of the one in `spki`. */
export function withAlgorithmIdentifier(spki: Uint8Array, algorithmIdentifier: Uint8Array): Uint8Array {
  return replaceAlgorithm(spki, 0, algorithmIdentifier);
}
