/**
 * A minimal strict DER reader and writer (X.690 §8, §10), used where the exact bytes of a certificate part
 * matter: the TBSCertificate that was signed, the issuer and subject Names that chain matching compares, the
 * SubjectPublicKeyInfo handed to the crypto provider. Typed decoding of the rest is left to
 * `@peculiar/asn1-x509`.
 *
 * Only low tag numbers (< 31) and definite, minimally encoded lengths are accepted, as DER requires.
 *
 * @module
 */

/** A DER encoding is broken; `what` names the field being read. */
export class DerError extends Error {
  /** Always `"DerError"`. */
  override name = "DerError";
}

/** DER tags used by X.509. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** The tag of a context-specific field `[n]`, constructed (EXPLICIT or a structure) or primitive. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One tag-length-value element: `bytes` is the whole encoding, `value` the contents. */
export interface Tlv {
  readonly tag: number;
  readonly bytes: Uint8Array;
  readonly value: Uint8Array;
}

/** Reads consecutive DER elements from `data`. */
export class DerReader {
  #data: Uint8Array;
  #pos = 0;

  constructor(data: Uint8Array) {
    this.#data = data;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.#pos >= this.#data.length;
  }

  /** The tag of the next element, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.#data[this.#pos];
  }

  /** Reads the next element, which must carry `tag`. */
  read(tag: number, what: string): Tlv {
    const tlv = this.readAny(what);
    if (tlv.tag !== tag) {
      throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
    }
    return tlv;
  }

  /** Reads the next element if it carries `tag`. */
  readOptional(tag: number, what: string): Tlv | undefined {
    return this.peekTag() === tag ? this.read(tag, what) : undefined;
  }

  /** Reads the next element, whatever its tag. */
  readAny(what: string): Tlv {
    const d = this.#data;
    const start = this.#pos;
    if (start + 2 > d.length) throw new DerError(`${what}: truncated`);
    const tag = d[start];
    if ((tag & 0x1f) === 0x1f) throw new DerError(`${what}: high tag numbers are not supported`);
    let length = d[start + 1];
    let header = 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0) throw new DerError(`${what}: indefinite length is not DER`);
      if (n > 4) throw new DerError(`${what}: length too large`);
      if (start + 2 + n > d.length) throw new DerError(`${what}: truncated length`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + d[start + 2 + i];
      if (d[start + 2] === 0 || length < 0x80) throw new DerError(`${what}: length not minimally encoded`);
      header += n;
    }
    const end = start + header + length;
    if (end > d.length) throw new DerError(`${what}: truncated`);
    this.#pos = end;
    return { tag, bytes: d.subarray(start, end), value: d.subarray(start + header, end) };
  }

  /** Throws unless every byte has been read. */
  expectEnd(what: string): void {
    if (!this.done) throw new DerError(`${what}: ${this.#data.length - this.#pos} unexpected trailing bytes`);
  }
}

/** A reader over the contents of a constructed element. */
export function childrenOf(tlv: Tlv): DerReader {
  return new DerReader(tlv.value);
}

/** Decodes an OBJECT IDENTIFIER's contents to dotted form (X.690 §8.19). */
export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) throw new DerError("empty OBJECT IDENTIFIER");
  const arcs: bigint[] = [];
  let acc = 0n;
  for (let i = 0; i < value.length; i++) {
    const b = value[i];
    if (acc === 0n && b === 0x80) throw new DerError("OBJECT IDENTIFIER arc not minimally encoded");
    acc = (acc << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(acc);
      acc = 0n;
    } else if (i === value.length - 1) {
      throw new DerError("truncated OBJECT IDENTIFIER");
    }
  }
  const first = arcs[0] < 80n ? arcs[0] / 40n : 2n;
  return [first, arcs[0] - first * 40n, ...arcs.slice(1)].join(".");
}

/** Encodes `tag` with `parts` as its contents. */
export function encode(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const lengthBytes: number[] = [];
  if (length < 0x80) {
    lengthBytes.push(length);
  } else {
    for (let n = length; n > 0; n = Math.floor(n / 256)) lengthBytes.unshift(n % 256);
    lengthBytes.unshift(0x80 | lengthBytes.length);
  }
  const out = new Uint8Array(1 + lengthBytes.length + length);
  out[0] = tag;
  out.set(lengthBytes, 1);
  let pos = 1 + lengthBytes.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** A SEQUENCE of `parts`. */
export function sequence(...parts: Uint8Array[]): Uint8Array {
  return encode(Tag.SEQUENCE, ...parts);
}

/** An OBJECT IDENTIFIER from dotted form. */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => BigInt(a));
  const bytes: number[] = [];
  for (const arc of [arcs[0] * 40n + arcs[1], ...arcs.slice(2)]) {
    const group = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...group);
  }
  return encode(Tag.OID, new Uint8Array(bytes));
}

/** A non-negative INTEGER from big-endian magnitude bytes (a zero byte is prefixed when the top bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m[0] & 0x80 ? encode(Tag.INTEGER, new Uint8Array([0]), m) : encode(Tag.INTEGER, m);
}

/** A small non-negative INTEGER. */
export function smallInteger(n: number): Uint8Array {
  const bytes = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return unsignedInteger(new Uint8Array(bytes.length ? bytes : [0]));
}

/** A BIT STRING with no unused bits. */
export function bitString(bytes: Uint8Array): Uint8Array {
  return encode(Tag.BIT_STRING, new Uint8Array([0]), bytes);
}

/** The DER BOOLEAN TRUE. */
export const TRUE: Uint8Array = new Uint8Array([Tag.BOOLEAN, 1, 0xff]);

/** The DER NULL. */
export const NULL: Uint8Array = new Uint8Array([Tag.NULL, 0]);
