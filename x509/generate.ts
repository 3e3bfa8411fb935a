/**
 * The library's own certificate maker: X.509 v3 certificates (RFC 5280 §4.1) for demos and tests, self-signed
 * or issued by a given CA, so that no OpenSSL is needed. Keys are made by `crypto/keygen.ts` and signatures
 * by the crypto provider.
 *
 * @module
 */

import { equal } from "../bytes.ts";
import type { CryptoProvider, HashName, SignatureAlgorithm, SigningKey } from "../crypto/provider.ts";
import { generateKeyPair, type KeyPairAlgorithm } from "../crypto/keygen.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import {
  bitString,
  childrenOf,
  contextTag,
  DerReader,
  encode,
  oid,
  sequence,
  smallInteger,
  Tag,
  TRUE,
  unsignedInteger,
} from "./_der.ts";
import { encodeSignatureAlgorithm } from "./_algorithms.ts";
import { encodeName } from "./_dn.ts";
import {
  decodeCertificate,
  ExtensionOid,
  KEY_USAGE_BITS,
  KeyPurposeOid,
  type KeyUsageName,
} from "./certificate.ts";
import { parseIpAddress } from "./names.ts";
import { decodePem, encodePem } from "./pem.ts";
import { privateKeyFromPem } from "./private_key.ts";

/**
 * Changes to a generated certificate that no conformant certificate has, for tests that check the verifier
 * refuses them. Applied after the extensions are made, before signing.
 */
export interface CertificateOverrides {
  /** The contents of the serialNumber INTEGER, as is (zero, negative or too long on purpose). */
  readonly serialNumber?: Uint8Array;
  /** The DER issuer Name to write instead of the issuer's subject. */
  readonly issuerName?: Uint8Array;
  /**
   * Extensions by OID: `false` leaves one out; `{ critical, value }` changes its criticality or its DER value
   * (the contents of extnValue); an OID the certificate does not have is appended.
   */
  readonly extensions?: Readonly<
    Record<string, false | { readonly critical?: boolean; readonly value?: Uint8Array }>
  >;
}

/** Options of {@link generateCertificate}. */
export interface GenerateCertificateOptions {
  /**
   * The subject: an RFC 4514 string such as `"CN=localhost, O=Example"`, or just a common name. `""` is the
   * empty Name, for a certificate identified by its subjectAltName only (which is then marked critical, as
   * RFC 5280 §4.2.1.6 requires).
   */
  readonly subject: string;
  /**
   * DNS names and IP literals for the subjectAltName extension. When omitted, a certificate that is not a CA
   * gets its common name, if that is a host name or an IP literal; `[]` means no extension.
   */
  readonly subjectAltNames?: readonly string[];
  /** The issuing CA's certificate and private key, PEM; omitted: the certificate is self-signed. */
  readonly issuer?: { readonly cert: string; readonly key: string };
  /** The type of the new key (default `"ECDSA-P256"`); ignored when `key` is given. */
  readonly keyAlgorithm?: KeyPairAlgorithm;
  /** An existing private key to certify instead of generating one: PEM, PKCS #8, PKCS #1 (RSA) or SEC 1 (EC). */
  readonly key?: string;
  /** Default: one minute ago. */
  readonly notBefore?: Date;
  /** Default: 365 days after `notBefore`. */
  readonly notAfter?: Date;
  /** Whether the certificate is a CA (basicConstraints cA); default false. */
  readonly isCA?: boolean;
  /** pathLenConstraint of a CA certificate. */
  readonly pathLength?: number;
  /**
   * Key usage bits. Default: `digitalSignature`, plus `keyCertSign` and `cRLSign` for a CA; `[]` means no
   * extension.
   */
  readonly keyUsage?: readonly KeyUsageName[];
  /** Extended key usage. Default: serverAuth and clientAuth for a certificate that is not a CA, none for a CA. */
  readonly extKeyUsage?: readonly ("serverAuth" | "clientAuth")[];
  /**
   * Name constraints of a CA certificate (RFC 5280 §4.2.1.10), as a critical extension: DNS names (with a
   * leading dot for the names below only, e.g. `".example.com"`) and IP ranges in CIDR form
   * (`"10.0.0.0/8"`, `"fd00::/8"`). A development CA constrained to `localhost` and `127.0.0.0/8` cannot
   * vouch for anything else, even if it leaks.
   */
  readonly nameConstraints?: {
    readonly permitted?: readonly string[];
    readonly excluded?: readonly string[];
  };
  /** Hash of the issuer's signature (not for Ed25519). Default: SHA-384 for P-384, SHA-512 for P-521, else SHA-256. */
  readonly signatureHash?: HashName;
  /** @ignore The provider that signs (tests: deterministic keys); default the WebCrypto provider. */
  readonly crypto?: CryptoProvider;
  /** @ignore Non-conformant changes, for tests of the verifier. */
  readonly overrides?: CertificateOverrides;
}

/** A generated certificate and its private key. */
export interface GeneratedCertificate {
  /** The certificate, PEM. */
  readonly cert: string;
  /** The subject's private key, PEM PKCS #8. */
  readonly key: string;
  /** The certificate, DER. */
  readonly der: Uint8Array;
}

/** The only block of `pem`, which must carry `label`. */
function singlePem(pem: string, label: string, what: string): Uint8Array {
  const blocks = decodePem(pem, label);
  if (blocks.length !== 1) {
    throw new TypeError(`${what}: expected one ${label} PEM block, found ${blocks.length}`);
  }
  return blocks[0].der;
}

/** The subjectPublicKey BIT STRING contents of an SPKI, without the unused-bits octet. */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const seq = childrenOf(new DerReader(spki).read(Tag.SEQUENCE, "SubjectPublicKeyInfo"));
  seq.read(Tag.SEQUENCE, "algorithm");
  return seq.read(Tag.BIT_STRING, "subjectPublicKey").value.subarray(1);
}

/** RFC 7093 §2 method 1: the leftmost 160 bits of the SHA-256 hash of the subjectPublicKey bits. */
async function keyIdentifier(provider: CryptoProvider, spki: Uint8Array): Promise<Uint8Array> {
  return (await provider.hash("SHA-256", publicKeyBits(spki))).slice(0, 20);
}

/** The signature algorithm a key of this type signs certificates with. */
function signatureAlgorithmFor(key: SigningKey, hash: HashName | undefined): SignatureAlgorithm {
  switch (key.keyType) {
    case "EC":
      return {
        kind: "ecdsa",
        hash: hash ?? (key.curve === "P-384" ? "SHA-384" : key.curve === "P-521" ? "SHA-512" : "SHA-256"),
      };
    case "RSA":
      return { kind: "rsa-pkcs1", hash: hash ?? "SHA-256" };
    case "RSA-PSS":
      return { kind: "rsa-pss", hash: hash ?? "SHA-256" };
    case "Ed25519":
      return { kind: "ed25519" };
  }
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), to the second, in UTC. */
function encodeTime(date: Date): Uint8Array {
  if (Number.isNaN(date.getTime())) throw new TypeError("invalid date");
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "");
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) {
    return encode(Tag.UTC_TIME, new TextEncoder().encode(`${digits.slice(2)}Z`));
  }
  if (year < 0 || year > 9999) throw new TypeError("dates must lie between the years 0 and 9999");
  return encode(Tag.GENERALIZED_TIME, new TextEncoder().encode(`${digits}Z`));
}

/** One extension before encoding. */
interface ExtensionSpec {
  readonly id: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

function extension(id: string, critical: boolean, value: Uint8Array): ExtensionSpec {
  return { id, critical, value };
}

/** The extensions with `overrides` applied, encoded. */
function encodeExtensions(
  specs: readonly ExtensionSpec[],
  overrides: CertificateOverrides["extensions"] = {},
): Uint8Array[] {
  const out: ExtensionSpec[] = [];
  for (const spec of specs) {
    const change = overrides[spec.id];
    if (change === false) continue;
    out.push({ ...spec, ...change });
  }
  for (const [id, change] of Object.entries(overrides)) {
    if (change && !specs.some((s) => s.id === id)) {
      if (!change.value) throw new TypeError(`overrides: extension ${id} needs a value`);
      out.push({ id, critical: change.critical ?? false, value: change.value });
    }
  }
  return out.map((e) =>
    sequence(oid(e.id), ...(e.critical ? [TRUE] : []), encode(Tag.OCTET_STRING, e.value))
  );
}

/** A named-bit BIT STRING without trailing zero bits (X.690 §11.2.2). */
function encodeKeyUsage(usages: readonly KeyUsageName[]): Uint8Array {
  const indexes = usages.map((u) => {
    const i = KEY_USAGE_BITS.indexOf(u);
    if (i < 0) throw new TypeError(`unknown key usage "${u}"`);
    return i;
  });
  const highest = Math.max(...indexes);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const i of indexes) bytes[i >> 3] |= 0x80 >> (i & 7);
  return encode(Tag.BIT_STRING, new Uint8Array([7 - (highest & 7)]), bytes);
}

/** dNSName or iPAddress entries (RFC 5280 §4.2.1.6). */
function encodeSubjectAltName(names: readonly string[]): Uint8Array {
  return sequence(...names.map((name) => {
    const ip = parseIpAddress(name);
    if (ip) return encode(contextTag(7, false), ip);
    if (!/^[\x21-\x7e]+$/.test(name)) {
      throw new TypeError(`subjectAltName "${name}" is not an ASCII DNS name`);
    }
    return encode(contextTag(2, false), new TextEncoder().encode(name));
  }));
}

/** One GeneralSubtree: a dNSName, or an iPAddress with its mask from a CIDR prefix length. */
function encodeSubtree(text: string): Uint8Array {
  const slash = text.lastIndexOf("/");
  const ip = slash > 0 ? parseIpAddress(text.slice(0, slash)) : undefined;
  if (ip) {
    const bits = Number(text.slice(slash + 1));
    if (!/^\d+$/.test(text.slice(slash + 1)) || bits > ip.length * 8) {
      throw new TypeError(`nameConstraints: "${text}" has a bad prefix length`);
    }
    const mask = new Uint8Array(ip.length).map((_, i) =>
      (0xff00 >> Math.min(8, Math.max(0, bits - i * 8))) & 0xff
    );
    return sequence(encode(contextTag(7, false), ip.map((b, i) => b & mask[i]), mask));
  }
  if (!/^\.?([A-Za-z0-9_-]+\.)*[A-Za-z0-9_-]+$/.test(text) && text !== "") {
    throw new TypeError(`nameConstraints: "${text}" is neither a DNS name nor an IP range in CIDR form`);
  }
  return sequence(encode(contextTag(2, false), new TextEncoder().encode(text)));
}

/** The name constraints extension value: permittedSubtrees [0] and excludedSubtrees [1], IMPLICIT. */
function encodeNameConstraints(
  constraints: NonNullable<GenerateCertificateOptions["nameConstraints"]>,
): Uint8Array {
  const { permitted = [], excluded = [] } = constraints;
  if (permitted.length === 0 && excluded.length === 0) {
    throw new TypeError("nameConstraints needs a permitted or an excluded subtree");
  }
  return sequence(
    ...(permitted.length ? [encode(contextTag(0, true), ...permitted.map(encodeSubtree))] : []),
    ...(excluded.length ? [encode(contextTag(1, true), ...excluded.map(encodeSubtree))] : []),
  );
}

/** The common name of a subject string, when it is one the default subjectAltName can use. */
function defaultSubjectAltNames(subject: string): string[] {
  const cn = subject.includes("=")
    ? /(?:^|[,;])\s*CN\s*=\s*([^,;+\\]+?)\s*(?:$|[,;+])/i.exec(subject)?.[1]
    : subject;
  if (cn && (parseIpAddress(cn) || /^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(cn))) return [cn];
  return [];
}

/**
 * Generates a key pair (or takes `key`) and a certificate for it: X.509 v3 with a random positive 16-byte
 * serial number, subject and authority key identifiers, basic constraints, key usage, extended key usage
 * and subjectAltName as the options say, signed by `issuer` (or by itself).
 *
 * @example
 * ```ts
 * import { generateCertificate } from "@subtle/tls";
 *
 * const root = await generateCertificate({ subject: "CN=Test Root", isCA: true });
 * const leaf = await generateCertificate({ subject: "localhost", issuer: root });
 * // leaf.cert and leaf.key (PEM) for a server; root.cert for the client's caCerts.
 * ```
 */
export async function generateCertificate(
  options: GenerateCertificateOptions,
): Promise<GeneratedCertificate> {
  const provider = options.crypto ?? webCrypto;
  const isCA = options.isCA ?? false;
  if (
    options.pathLength !== undefined &&
    (!isCA || !Number.isSafeInteger(options.pathLength) || options.pathLength < 0)
  ) {
    throw new TypeError("pathLength must be a non-negative integer, for a CA certificate only");
  }
  if (options.nameConstraints && !isCA) throw new TypeError("nameConstraints is for a CA certificate only");
  // RFC 5280 §4.1.2.6: a CA needs a subject, and a certificate with an empty one a subjectAltName.
  if (options.subject === "" && !options.overrides) {
    if (isCA) throw new TypeError("a CA certificate needs a subject");
    if (!options.subjectAltNames?.length) throw new TypeError("an empty subject needs subjectAltNames");
  }

  // The subject's key pair.
  let pkcs8: Uint8Array;
  let spki: Uint8Array;
  let subjectKey: SigningKey | undefined;
  if (options.key) {
    pkcs8 = privateKeyFromPem(options.key);
    subjectKey = await provider.importSigningKey(pkcs8);
    spki = subjectKey.publicKey.spki;
  } else {
    ({ pkcs8, spki } = await generateKeyPair(options.keyAlgorithm ?? "ECDSA-P256"));
  }
  const subject = options.subject === "" ? sequence() : encodeName(options.subject);
  const subjectKeyId = await keyIdentifier(provider, spki);

  // The issuer: its Name, its key identifier, its signing key.
  let issuerName = subject;
  let authorityKeyId = subjectKeyId;
  let signingKey: SigningKey;
  if (options.issuer) {
    const issuerCert = decodeCertificate(singlePem(options.issuer.cert, "CERTIFICATE", "issuer.cert"));
    signingKey = await provider.importSigningKey(privateKeyFromPem(options.issuer.key));
    if (!equal(publicKeyBits(signingKey.publicKey.spki), publicKeyBits(issuerCert.spki))) {
      throw new TypeError("issuer.key is not the private key of issuer.cert");
    }
    issuerName = issuerCert.subjectDer;
    authorityKeyId = issuerCert.subjectKeyIdentifier ?? await keyIdentifier(provider, issuerCert.spki);
  } else {
    signingKey = subjectKey ?? await provider.importSigningKey(pkcs8);
  }
  const algorithm = signatureAlgorithmFor(signingKey, options.signatureHash);
  const algorithmIdentifier = encodeSignatureAlgorithm(algorithm);

  // RFC 5280 §4.1.2.2: a positive serial number of at most 20 octets; 0x40 keeps all 16 bytes minimal.
  const serial = provider.randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 365 * 24 * 3600_000);
  if (notAfter < notBefore) throw new TypeError("notAfter is before notBefore");

  const keyUsage = options.keyUsage ??
    (isCA ? ["digitalSignature", "keyCertSign", "cRLSign"] as const : ["digitalSignature"] as const);
  const extKeyUsage = options.extKeyUsage ?? (isCA ? [] : ["serverAuth", "clientAuth"] as const);
  const altNames = options.subjectAltNames ?? (isCA ? [] : defaultSubjectAltNames(options.subject));
  const extensions = [
    extension(
      ExtensionOid.basicConstraints,
      true,
      sequence(
        ...(isCA ? [TRUE] : []),
        ...(options.pathLength !== undefined ? [smallInteger(options.pathLength)] : []),
      ),
    ),
    ...(keyUsage.length ? [extension(ExtensionOid.keyUsage, true, encodeKeyUsage(keyUsage))] : []),
    ...(extKeyUsage.length
      ? [
        extension(
          ExtensionOid.extKeyUsage,
          false,
          sequence(...extKeyUsage.map((p) => oid(KeyPurposeOid[p]))),
        ),
      ]
      : []),
    ...(altNames.length
      ? [extension(ExtensionOid.subjectAltName, options.subject === "", encodeSubjectAltName(altNames))]
      : []),
    ...(options.nameConstraints
      ? [extension(ExtensionOid.nameConstraints, true, encodeNameConstraints(options.nameConstraints))]
      : []),
    extension(ExtensionOid.subjectKeyIdentifier, false, encode(Tag.OCTET_STRING, subjectKeyId)),
    extension(
      ExtensionOid.authorityKeyIdentifier,
      false,
      sequence(encode(contextTag(0, false), authorityKeyId)),
    ),
  ];

  const overrides = options.overrides ?? {};
  const tbs = sequence(
    encode(contextTag(0, true), smallInteger(2)), // v3
    overrides.serialNumber ? encode(Tag.INTEGER, overrides.serialNumber) : unsignedInteger(serial),
    algorithmIdentifier,
    overrides.issuerName ?? issuerName,
    sequence(encodeTime(notBefore), encodeTime(notAfter)),
    subject,
    spki,
    encode(contextTag(3, true), sequence(...encodeExtensions(extensions, overrides.extensions))),
  );
  const signature = await signingKey.sign(algorithm, tbs);
  const der = sequence(tbs, algorithmIdentifier, bitString(signature));
  return { cert: encodePem("CERTIFICATE", der), key: encodePem("PRIVATE KEY", pkcs8), der };
}
