/**
 * A small, strict DER reader and writer (X.690 §10), enough for the key containers the crypto layer must look
 * into: SubjectPublicKeyInfo (RFC 5280 §4.1), PrivateKeyInfo (RFC 5208 §5) and ECDSA-Sig-Value (RFC 3279
 * §2.2.3). Private to `crypto/`.
 *
 * @module
 */

/** Raised for input that is not valid DER; callers turn it into the error their API promises. */
export class DerError extends Error {
  override name = "DerError";
}

/** Universal tags used here. */
export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
} as const;

/** One element: its tag, its contents and its whole encoding. */
export interface Tlv {
  readonly tag: number;
  readonly value: Uint8Array;
  readonly raw: Uint8Array;
}

/** Reads consecutive DER elements from `bytes`; every length must be definite and minimal. */
export class DerReader {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.#offset === this.#bytes.length;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.#bytes[this.#offset];
  }

  /** Reads the next element. */
  read(field: string): Tlv {
    const b = this.#bytes;
    const start = this.#offset;
    if (start + 2 > b.length) throw new DerError(`${field}: truncated`);
    const tag = b[start];
    if ((tag & 0x1f) === 0x1f) throw new DerError(`${field}: high tag numbers are not supported`);
    let length = b[start + 1];
    let offset = start + 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0) throw new DerError(`${field}: indefinite length is not DER`);
      if (n > 4) throw new DerError(`${field}: length too large`);
      if (offset + n > b.length) throw new DerError(`${field}: truncated length`);
      if (b[offset] === 0) throw new DerError(`${field}: non-minimal length`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[offset + i];
      if (length < 0x80) throw new DerError(`${field}: long form for a short length`);
      offset += n;
    }
    if (offset + length > b.length) throw new DerError(`${field}: truncated contents`);
    this.#offset = offset + length;
    return { tag, value: b.subarray(offset, offset + length), raw: b.subarray(start, offset + length) };
  }

  /** Reads the next element and checks its tag. */
  expect(tag: number, field: string): Tlv {
    const tlv = this.read(field);
    if (tlv.tag !== tag) {
      throw new DerError(`${field}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
    }
    return tlv;
  }

  /** Throws unless everything has been read. */
  end(field: string): void {
    if (!this.done) throw new DerError(`${field}: trailing bytes`);
  }
}

/** Reads exactly one element of tag `tag` from `bytes` (nothing may follow it). */
export function readSingle(bytes: Uint8Array, tag: number, field: string): Tlv {
  const r = new DerReader(bytes);
  const tlv = r.expect(tag, field);
  r.end(field);
  return tlv;
}

/**
 * The magnitude of a non-negative DER INTEGER's contents, without its sign octet. Rejects an empty encoding,
 * a negative value and a non-minimal encoding (X.690 §8.3.2).
 */
export function unsignedInteger(value: Uint8Array, field: string): Uint8Array {
  if (value.length === 0) throw new DerError(`${field}: empty INTEGER`);
  if (value[0] & 0x80) throw new DerError(`${field}: negative INTEGER`);
  if (value.length > 1 && value[0] === 0 && (value[1] & 0x80) === 0) {
    throw new DerError(`${field}: non-minimal INTEGER`);
  }
  return value[0] === 0 ? value.subarray(1) : value;
}

/** Encodes one element. */
export function encodeTlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  const header: number[] = [tag];
  if (length < 0x80) {
    header.push(length);
  } else {
    const lengthBytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n & 0xff);
    header.push(0x80 | lengthBytes.length, ...lengthBytes);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const c of contents) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Encodes a non-negative integer given as big-endian magnitude bytes (leading zeros allowed). */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const digits = magnitude.subarray(i);
  if (digits.length === 0) return encodeTlv(Tag.INTEGER, new Uint8Array(1));
  return digits[0] & 0x80
    ? encodeTlv(Tag.INTEGER, new Uint8Array([0]), digits)
    : encodeTlv(Tag.INTEGER, digits);
}

/** Contents octets of the object identifiers the crypto layer recognises (hex). */
export const Oid = {
  ecPublicKey: "2a8648ce3d0201", // 1.2.840.10045.2.1
  secp256r1: "2a8648ce3d030107", // 1.2.840.10045.3.1.7
  secp384r1: "2b81040022", // 1.3.132.0.34
  secp521r1: "2b81040023", // 1.3.132.0.35
  rsaEncryption: "2a864886f70d010101", // 1.2.840.113549.1.1.1
  rsassaPss: "2a864886f70d01010a", // 1.2.840.113549.1.1.10
  ed25519: "2b6570", // 1.3.101.112
  x25519: "2b656e", // 1.3.101.110
  x448: "2b656f", // 1.3.101.111
  sha256: "608648016503040201", // 2.16.840.1.101.3.4.2.1
  sha384: "608648016503040202", // 2.16.840.1.101.3.4.2.2
  sha512: "608648016503040203", // 2.16.840.1.101.3.4.2.3
} as const;

/** Encodes an OBJECT IDENTIFIER from its contents given in hex. */
export function encodeOid(contentsHex: string): Uint8Array {
  return encodeTlv(Tag.OID, Uint8Array.fromHex(contentsHex));
}
