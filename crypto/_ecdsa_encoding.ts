/**
 * ECDSA signature encodings: TLS (RFC 8446 §4.2.3) and X.509 carry the DER ECDSA-Sig-Value of RFC 3279
 * §2.2.3, `SEQUENCE { r INTEGER, s INTEGER }`; WebCrypto signs and verifies the fixed-size r ‖ s of
 * IEEE P1363. Private to `crypto/`.
 *
 * @module
 */

import {
  DerError,
  DerReader,
  encodeTlv,
  encodeUnsignedInteger,
  readSingle,
  Tag,
  unsignedInteger,
} from "./_der.ts";
import { fixedSize } from "./_util.ts";

/**
 * The r ‖ s form (each `size` bytes) of a DER ECDSA-Sig-Value, or undefined when the encoding is not strict
 * DER (long-form or non-minimal lengths, non-minimal or negative integers, trailing bytes) or when r or s is
 * zero or too large for the curve.
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const sequence = readSingle(der, Tag.SEQUENCE, "ECDSA-Sig-Value");
    const r = new DerReader(sequence.value);
    const rBytes = unsignedInteger(r.expect(Tag.INTEGER, "r").value, "r");
    const sBytes = unsignedInteger(r.expect(Tag.INTEGER, "s").value, "s");
    r.end("ECDSA-Sig-Value");
    const rFixed = fixedSize(rBytes, size);
    const sFixed = fixedSize(sBytes, size);
    if (!rFixed || !sFixed) return undefined;
    if (rFixed.every((b) => b === 0) || sFixed.every((b) => b === 0)) return undefined;
    const raw = new Uint8Array(2 * size);
    raw.set(rFixed, 0);
    raw.set(sFixed, size);
    return raw;
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/** The DER ECDSA-Sig-Value of an r ‖ s signature (two halves of equal size). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new RangeError(`r ‖ s of odd length ${raw.length}`);
  const half = raw.length / 2;
  return encodeTlv(
    Tag.SEQUENCE,
    encodeUnsignedInteger(raw.subarray(0, half)),
    encodeUnsignedInteger(raw.subarray(half)),
  );
}
