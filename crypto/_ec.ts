/**
 * The NIST prime curves (FIPS 186-5 / SEC 2 §2.4, §2.5) as data, and the public-key validation that WebCrypto
 * leaves out: Deno's `importKey` accepts an uncompressed point that is not on the curve and only fails later
 * with an unrelated error. Private to `crypto/`.
 *
 * @module
 */

import type { CurveName } from "./provider.ts";
import { Oid } from "./_der.ts";
import { toBigInt } from "./_util.ts";

/** A short-Weierstrass curve y² = x³ − 3x + b over GF(p). */
export interface Curve {
  readonly name: CurveName;
  /** Size of a field element (and of the group order) in bytes. */
  readonly size: number;
  readonly p: bigint;
  readonly b: bigint;
  /** Contents of the namedCurve OBJECT IDENTIFIER (hex). */
  readonly oid: string;
}

/** The curves by WebCrypto name. */
export const CURVES: Readonly<Record<CurveName, Curve>> = {
  "P-256": {
    name: "P-256",
    size: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    oid: Oid.secp256r1,
  },
  "P-384": {
    name: "P-384",
    size: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    oid: Oid.secp384r1,
  },
  "P-521": {
    name: "P-521",
    size: 66,
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    oid: Oid.secp521r1,
  },
};

/** The curve whose namedCurve OID contents are `oidHex`, if it is one of ours. */
export function curveByOid(oidHex: string): Curve | undefined {
  return Object.values(CURVES).find((c) => c.oid === oidHex);
}

/**
 * True when `point` is an uncompressed point 0x04 ‖ X ‖ Y of exactly 1 + 2·size bytes whose coordinates are
 * field elements satisfying the curve equation (SEC 1 §3.2.2.1 partial public-key validation, which is what
 * RFC 8446 §4.2.8.2 asks of a key share). The point at infinity has no such encoding, so it is rejected too.
 */
export function isValidUncompressedPoint(curve: Curve, point: Uint8Array): boolean {
  if (point.length !== 1 + 2 * curve.size || point[0] !== 0x04) return false;
  const { p, b } = curve;
  const x = toBigInt(point.subarray(1, 1 + curve.size));
  const y = toBigInt(point.subarray(1 + curve.size));
  if (x >= p || y >= p) return false;
  const lhs = (y * y) % p;
  const rhs = (((x * x) % p) * x - 3n * x + b) % p;
  return lhs === (rhs + p) % p;
}
