/**
 * Signature and public-key algorithm identifiers of X.509 (RFC 5280 §4.1.1.2, RFC 4055, RFC 5480, RFC 5758,
 * RFC 8410), mapped to and from the crypto provider's {@link SignatureAlgorithm} and {@link PublicKeyInfo}.
 *
 * @module
 */

import { asn1Ecc, asn1Rsa, asn1Schema } from "../deps.ts";
import type { CurveName, HashName, PublicKeyInfo, SignatureAlgorithm } from "../crypto/provider.ts";
import { isEcPointOnCurve } from "../crypto/signature.ts";
import {
  childrenOf,
  decodeOid,
  DerError,
  DerReader,
  encode,
  NULL,
  oid,
  sequence,
  smallInteger,
  Tag,
} from "./_der.ts";

/** Object identifiers of the algorithms this module knows. */
export const Oid = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsassaPss: "1.2.840.113549.1.1.10",
  mgf1: "1.2.840.113549.1.1.8",
  ecPublicKey: "1.2.840.10045.2.1",
  ed25519: "1.3.101.112",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
} as const;

const HASH_BY_OID: Record<string, HashName> = {
  [Oid.sha256]: "SHA-256",
  [Oid.sha384]: "SHA-384",
  [Oid.sha512]: "SHA-512",
};
const OID_BY_HASH: Record<HashName, string> = {
  "SHA-256": Oid.sha256,
  "SHA-384": Oid.sha384,
  "SHA-512": Oid.sha512,
};
const HASH_LENGTH: Record<HashName, number> = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

const RSA_PKCS1: Record<string, HashName> = {
  "1.2.840.113549.1.1.11": "SHA-256",
  "1.2.840.113549.1.1.12": "SHA-384",
  "1.2.840.113549.1.1.13": "SHA-512",
};
const ECDSA: Record<string, HashName> = {
  "1.2.840.10045.4.3.2": "SHA-256",
  "1.2.840.10045.4.3.3": "SHA-384",
  "1.2.840.10045.4.3.4": "SHA-512",
};
const CURVES: Record<string, { curve: CurveName; pointLength: number }> = {
  "1.2.840.10045.3.1.7": { curve: "P-256", pointLength: 65 },
  "1.3.132.0.34": { curve: "P-384", pointLength: 97 },
  "1.3.132.0.35": { curve: "P-521", pointLength: 133 },
};

/** Names of algorithms that are recognised only to be refused, for error messages. */
const KNOWN_NAMES: Record<string, string> = {
  "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
  "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
  "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
  "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
  "1.2.840.10045.4.1": "ecdsa-with-SHA1",
  "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
  "1.2.840.10040.4.1": "id-dsa",
  "1.2.840.10040.4.3": "id-dsa-with-sha1",
  "1.3.101.113": "Ed448",
  "1.3.101.110": "X25519",
  [Oid.rsaEncryption]: "rsaEncryption",
  [Oid.rsassaPss]: "RSASSA-PSS",
  [Oid.ecPublicKey]: "id-ecPublicKey",
  [Oid.ed25519]: "Ed25519",
};

/** A signature AlgorithmIdentifier, decoded: `algorithm` is undefined when it is not supported. */
export interface DecodedSignatureAlgorithm {
  readonly algorithm?: SignatureAlgorithm;
  /** A readable name, e.g. `"ecdsa-with-SHA256"` or `"sha1WithRSAEncryption"`. */
  readonly name: string;
}

/** A SubjectPublicKeyInfo, decoded: `key` is undefined when the key type is not supported. */
export interface DecodedPublicKey {
  readonly key?: PublicKeyInfo;
  /** A readable name, e.g. `"EC P-256"`, `"RSA 2048"` or `"id-dsa"`. */
  readonly name: string;
  /** RSA modulus length in bits. */
  readonly modulusBits?: number;
}

function nameOf(oidText: string): string {
  return KNOWN_NAMES[oidText] ?? oidText;
}

/** Splits an AlgorithmIdentifier into its OID and its parameters (undefined when absent). */
function splitAlgorithmIdentifier(der: Uint8Array): { oid: string; params?: Uint8Array } {
  const outer = new DerReader(der);
  const seq = childrenOf(outer.read(Tag.SEQUENCE, "AlgorithmIdentifier"));
  outer.expectEnd("AlgorithmIdentifier");
  const algorithm = decodeOid(seq.read(Tag.OID, "AlgorithmIdentifier.algorithm").value);
  const params = seq.done ? undefined : seq.readAny("AlgorithmIdentifier.parameters").bytes;
  seq.expectEnd("AlgorithmIdentifier");
  return { oid: algorithm, params };
}

function isNull(params: Uint8Array | undefined): boolean {
  return params !== undefined && params.length === 2 && params[0] === Tag.NULL && params[1] === 0;
}

/** Decodes RSASSA-PSS-params (RFC 4055 §3.1); undefined when they are not ones TLS can use. */
function decodePssParams(params: Uint8Array): HashName | undefined {
  let p: InstanceType<typeof asn1Rsa.RsaSaPssParams>;
  try {
    p = asn1Schema.AsnParser.parse(params, asn1Rsa.RsaSaPssParams);
  } catch (e) {
    throw new DerError(`RSASSA-PSS-params: ${(e as Error).message}`);
  }
  const hash = HASH_BY_OID[p.hashAlgorithm.algorithm];
  if (!hash || p.maskGenAlgorithm.algorithm !== Oid.mgf1 || !p.maskGenAlgorithm.parameters) return undefined;
  const mgfHash = splitAlgorithmIdentifier(new Uint8Array(p.maskGenAlgorithm.parameters)).oid;
  if (HASH_BY_OID[mgfHash] !== hash || p.saltLength !== HASH_LENGTH[hash] || p.trailerField !== 1) {
    return undefined;
  }
  return hash;
}

/**
 * Decodes a signature AlgorithmIdentifier. Throws {@link DerError} when the parameters are malformed for the
 * algorithm; returns no `algorithm` for one that is recognised but not supported (SHA-1, MD5, DSA, …).
 */
export function decodeSignatureAlgorithm(der: Uint8Array): DecodedSignatureAlgorithm {
  const { oid: id, params } = splitAlgorithmIdentifier(der);
  if (id in RSA_PKCS1) {
    // RFC 4055 §5: the parameters MUST be NULL; absent ones are accepted, as RFC 4055 asks of implementations.
    if (params !== undefined && !isNull(params)) throw new DerError("RSA PKCS #1 parameters must be NULL");
    const hash = RSA_PKCS1[id];
    return {
      algorithm: { kind: "rsa-pkcs1", hash },
      name: `${hash.replace("-", "").toLowerCase()}WithRSAEncryption`,
    };
  }
  if (id in ECDSA) {
    // RFC 5758 §3.2: the parameters MUST be absent.
    if (params !== undefined) throw new DerError("ECDSA signature algorithm parameters must be absent");
    const hash = ECDSA[id];
    return { algorithm: { kind: "ecdsa", hash }, name: `ecdsa-with-${hash.replace("-", "")}` };
  }
  if (id === Oid.ed25519) {
    // RFC 8410 §3: the parameters MUST be absent.
    if (params !== undefined) throw new DerError("Ed25519 parameters must be absent");
    return { algorithm: { kind: "ed25519" }, name: "Ed25519" };
  }
  if (id === Oid.rsassaPss) {
    if (params === undefined) throw new DerError("RSASSA-PSS signature parameters are required");
    const hash = decodePssParams(params);
    return hash
      ? { algorithm: { kind: "rsa-pss", hash }, name: `RSASSA-PSS with ${hash}` }
      : { name: "RSASSA-PSS with parameters other than SHA-2, MGF1 with the same hash, salt = hash length" };
  }
  return { name: nameOf(id) };
}

/** The bit length of a big-endian unsigned integer. */
function bitLength(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return i === bytes.length ? 0 : (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]));
}

/** Decodes a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7); throws {@link DerError} when it is malformed. */
export function decodePublicKey(spki: Uint8Array): DecodedPublicKey {
  const outer = new DerReader(spki);
  const seq = childrenOf(outer.read(Tag.SEQUENCE, "SubjectPublicKeyInfo"));
  outer.expectEnd("SubjectPublicKeyInfo");
  const { oid: id, params } = splitAlgorithmIdentifier(
    seq.read(Tag.SEQUENCE, "SubjectPublicKeyInfo.algorithm").bytes,
  );
  const bits = seq.read(Tag.BIT_STRING, "SubjectPublicKeyInfo.subjectPublicKey").value;
  seq.expectEnd("SubjectPublicKeyInfo");
  if (bits.length === 0 || bits[0] !== 0) throw new DerError("subjectPublicKey has unused bits");
  const key = bits.subarray(1);
  if (id === Oid.ecPublicKey) {
    if (params === undefined) throw new DerError("EC public key without parameters");
    const ecParams = asn1Schema.AsnParser.parse(params, asn1Ecc.ECParameters);
    const curve = ecParams.namedCurve ? CURVES[ecParams.namedCurve] : undefined;
    if (!curve) return { name: `EC ${ecParams.namedCurve ?? "explicit curve"}` };
    // Only uncompressed points (SEC 1 §2.3.3), which every CA issues and WebCrypto imports.
    if (key.length !== curve.pointLength || key[0] !== 4) {
      return { name: `EC ${curve.curve} with a compressed or malformed point` };
    }
    // A CA may sign a key that is not a point on its curve; WebCrypto would fail on it only when verifying.
    if (!isEcPointOnCurve(curve.curve, key)) {
      throw new DerError(`EC public key is not a point on ${curve.curve} (SEC 1 §3.2.2.1)`);
    }
    return { key: { spki, keyType: "EC", curve: curve.curve }, name: `EC ${curve.curve}` };
  }
  if (id === Oid.rsaEncryption || id === Oid.rsassaPss) {
    if (id === Oid.rsaEncryption && !isNull(params)) {
      throw new DerError("rsaEncryption parameters must be NULL");
    }
    const rsaKey = asn1Schema.AsnParser.parse(key, asn1Rsa.RSAPublicKey);
    const modulusBits = bitLength(new Uint8Array(rsaKey.modulus));
    const keyType = id === Oid.rsaEncryption ? "RSA" : "RSA-PSS";
    return { key: { spki, keyType }, name: `${keyType} ${modulusBits}`, modulusBits };
  }
  if (id === Oid.ed25519) {
    if (params !== undefined) throw new DerError("Ed25519 key parameters must be absent");
    if (key.length !== 32) throw new DerError("Ed25519 public key must be 32 bytes");
    return { key: { spki, keyType: "Ed25519" }, name: "Ed25519" };
  }
  return { name: nameOf(id) };
}

/** Whether a signature of `algorithm` can have been made by a key of type `key` (RFC 4055 §1.2, RFC 8410). */
export function keyFitsAlgorithm(key: PublicKeyInfo, algorithm: SignatureAlgorithm): boolean {
  switch (algorithm.kind) {
    case "ecdsa":
      return key.keyType === "EC";
    case "rsa-pkcs1":
      return key.keyType === "RSA";
    case "rsa-pss":
      return key.keyType === "RSA" || key.keyType === "RSA-PSS";
    case "ed25519":
      return key.keyType === "Ed25519";
  }
}

function hashIdentifier(hash: HashName): Uint8Array {
  // RFC 4055 §2.1: NULL parameters, as CAs and OpenSSL write them.
  return sequence(oid(OID_BY_HASH[hash]), NULL);
}

/** The DER AlgorithmIdentifier of `algorithm`, as a certificate signature algorithm. */
export function encodeSignatureAlgorithm(algorithm: SignatureAlgorithm): Uint8Array {
  switch (algorithm.kind) {
    case "ecdsa": {
      const id = Object.keys(ECDSA).find((k) => ECDSA[k] === algorithm.hash)!;
      return sequence(oid(id));
    }
    case "rsa-pkcs1": {
      const id = Object.keys(RSA_PKCS1).find((k) => RSA_PKCS1[k] === algorithm.hash)!;
      return sequence(oid(id), NULL);
    }
    case "rsa-pss":
      return sequence(
        oid(Oid.rsassaPss),
        sequence(
          encode(0xa0, hashIdentifier(algorithm.hash)),
          encode(0xa1, sequence(oid(Oid.mgf1), hashIdentifier(algorithm.hash))),
          encode(0xa2, smallInteger(HASH_LENGTH[algorithm.hash])),
        ),
      );
    case "ed25519":
      return sequence(oid(Oid.ed25519));
  }
}
