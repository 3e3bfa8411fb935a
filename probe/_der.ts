/**
 * A minimal DER reader (X.690 §8, §10) for the few certificate fields the probe shows that the library's
 * `PeerCertificate` does not carry: serial number, signature algorithm and public key type. Private to
 * `probe/`; malformed input throws {@link Error} naming the field.
 *
 * @module
 */

/** One tag-length-value element. */
export interface Tlv {
  readonly tag: number;
  /** The contents octets. */
  readonly value: Uint8Array;
  /** The whole encoding, header included. */
  readonly raw: Uint8Array;
}

/** Reads consecutive elements from `bytes`. */
export class DerReader {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** True when every element has been read. */
  get done(): boolean {
    return this.#offset >= this.#bytes.length;
  }

  /** The next element (single-byte tags only, definite lengths only). */
  read(field: string): Tlv {
    const b = this.#bytes;
    const start = this.#offset;
    if (start + 2 > b.length) throw new Error(`DER: ${field} is truncated`);
    const tag = b[start];
    if ((tag & 0x1f) === 0x1f) throw new Error(`DER: ${field} has a multi-byte tag`);
    let length = b[start + 1];
    let header = 2;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0 || n > 4) throw new Error(`DER: ${field} has an unsupported length`);
      if (start + 2 + n > b.length) throw new Error(`DER: ${field} is truncated`);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[start + 2 + i];
      header += n;
    }
    const end = start + header + length;
    if (end > b.length) throw new Error(`DER: ${field} is truncated`);
    this.#offset = end;
    return { tag, value: b.subarray(start + header, end), raw: b.subarray(start, end) };
  }

  /** The next element, which must have tag `tag`. */
  expect(tag: number, field: string): Tlv {
    const tlv = this.read(field);
    if (tlv.tag !== tag) {
      throw new Error(`DER: ${field} has tag 0x${tlv.tag.toString(16)}, expected 0x${tag.toString(16)}`);
    }
    return tlv;
  }
}

/** Universal tags used here. */
export const Tag = { INTEGER: 0x02, BIT_STRING: 0x03, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30 } as const;

/** The dotted form of an OBJECT IDENTIFIER's contents (X.690 §8.19). */
export function oidToString(value: Uint8Array): string {
  if (value.length === 0) throw new Error("DER: empty OBJECT IDENTIFIER");
  const arcs: number[] = [];
  let n = 0;
  for (const byte of value) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(n);
      n = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0] / 40), 2);
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join(".");
}
