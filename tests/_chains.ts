/**
 * Helpers of the X.509 rule tests and the differential test: a pool of keys made once per process (so that
 * hundreds of chains need no key generation), certificates changed after the fact (an extension added, the
 * signature redone), a verifier call, and a runner with bounded concurrency.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type CertificateErrorCode, CertificateVerificationError } from "../errors.ts";
import { generateKeyPair } from "../crypto/keygen.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import {
  bitString,
  childrenOf,
  contextTag,
  DerReader,
  encode,
  oid,
  sequence,
  Tag,
  TRUE,
} from "../x509/_der.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { encodePem } from "../x509/pem.ts";
import { privateKeyFromPem } from "../x509/private_key.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import type { VerifiedChain } from "../x509/verifier.ts";

/** Keys made once per process, PEM PKCS #8. */
export interface KeyPool {
  /** ECDSA P-256 keys. */
  readonly ec: readonly string[];
  /** One RSA-2048 key. */
  readonly rsa2048: string;
  /** One RSA-1024 key: too weak. */
  readonly rsa1024: string;
}

async function rsa1024(): Promise<string> {
  const pair = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 1024,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  return encodePem("PRIVATE KEY", new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey)));
}

async function makePool(): Promise<KeyPool> {
  const pem = async (algorithm: "ECDSA-P256" | "RSA-2048") =>
    encodePem("PRIVATE KEY", (await generateKeyPair(algorithm)).pkcs8);
  const [ec, rsa2048, weak] = await Promise.all([
    Promise.all(Array.from({ length: 6 }, () => pem("ECDSA-P256"))),
    pem("RSA-2048"),
    rsa1024(),
  ]);
  return { ec, rsa2048, rsa1024: weak };
}

let pool: Promise<KeyPool> | undefined;

/** The key pool of this process. */
export function keyPool(): Promise<KeyPool> {
  pool ??= makePool();
  return pool;
}

/** An extension to add with {@link withExtension}. */
export interface ExtraExtension {
  /** The extension's OID, dotted. */
  readonly oid: string;
  /** Whether it is marked critical. */
  readonly critical: boolean;
  /** The DER of extnValue's contents. */
  readonly value: Uint8Array;
}

/**
 * `der` with `extension` appended to its extensions and signed again with `issuerKey` (PEM), with the same
 * signature algorithm: how the tests make certificates that `generateCertificate` has no option for.
 */
export async function withExtension(
  der: Uint8Array,
  issuerKey: string,
  extension: ExtraExtension,
): Promise<Uint8Array> {
  const cert = decodeCertificate(der);
  const tbs = childrenOf(new DerReader(cert.tbs).read(Tag.SEQUENCE, "tbs"));
  const parts: Uint8Array[] = [];
  let extensions: Uint8Array[] | undefined;
  while (!tbs.done) {
    const tlv = tbs.readAny("tbs field");
    if (tlv.tag !== contextTag(3, true)) {
      parts.push(tlv.bytes);
      continue;
    }
    const list = childrenOf(childrenOf(tlv).read(Tag.SEQUENCE, "extensions"));
    extensions = [];
    while (!list.done) extensions.push(list.readAny("extension").bytes);
  }
  if (!extensions) throw new Error("withExtension: a v3 certificate with extensions is expected");
  extensions.push(
    sequence(
      oid(extension.oid),
      ...(extension.critical ? [TRUE] : []),
      encode(Tag.OCTET_STRING, extension.value),
    ),
  );
  const newTbs = sequence(...parts, encode(contextTag(3, true), sequence(...extensions)));
  const key = await webCrypto.importSigningKey(privateKeyFromPem(issuerKey));
  const signature = await key.sign(cert.signatureAlgorithm!, newTbs);
  const outer = childrenOf(new DerReader(der).read(Tag.SEQUENCE, "Certificate"));
  outer.readAny("tbs");
  const algorithm = outer.readAny("signatureAlgorithm").bytes;
  return sequence(newTbs, algorithm, bitString(signature));
}

/** An unknown private extension, for the unknown critical extension rule. */
export const UNKNOWN_EXTENSION_OID = "1.3.6.1.4.1.55555.1";

/** A copy of `der` with the last byte of its signature changed. */
export function flipSignature(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

/** Verifies `chain` (DER, leaf first) for `serverName` against `roots` (PEM) at `now`. */
export function verifyChain(
  roots: readonly string[],
  chain: readonly Uint8Array[],
  serverName: string,
  now = new Date(),
): Promise<VerifiedChain> {
  return createCertificateVerifier({ caCerts: roots, crypto: webCrypto }).verifyServer({
    chain,
    serverName,
    now,
  });
}

/**
 * Asserts that `promise` fails with a CertificateVerificationError of `code`, about the certificate `subject`
 * when given; returns the error.
 */
export async function assertRejects(
  promise: Promise<unknown>,
  code: CertificateErrorCode,
  subject?: string,
): Promise<CertificateVerificationError> {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof CertificateVerificationError)) throw e;
    assert.equal(e.code, code, `expected ${code}, got: ${e.message}`);
    if (subject !== undefined) assert.equal(e.subject, subject, e.message);
    return e;
  }
  assert.fail(`expected a ${code} failure, but verification succeeded`);
}

/** Runs `task` on every item with at most `limit` running at once; results in item order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
