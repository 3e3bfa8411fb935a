/**
 * Byte helpers shared by every layer: concatenation, comparison (constant time where secrets are compared),
 * and the `Reader`/`Writer` pair that every wire codec is written with.
 *
 * @module
 */

/** Raised by {@link Reader} when the input is truncated, over-long or otherwise malformed. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/** Concatenates byte arrays into a new one. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Ordinary equality of two byte arrays (not for secrets: it returns at the first difference). */
export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Equality in time that depends only on the lengths, for Finished data, binders and MACs.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytes.toHex();
}

/** Bytes of a hex string (whitespace ignored). */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.fromHex(hex.replace(/\s+/g, ""));
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Encodes `value` as a big-endian unsigned integer of `length` bytes. */
export function uintBytes(value: number | bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * A synchronous reader over one complete message. Every method throws {@link DecodeError} naming the
 * field when the input is too short; `end()` throws when bytes are left over.
 */
export class Reader {
  #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  /** Current offset from the start of the input. */
  get offset(): number {
    return this.#offset;
  }

  /** Reads `n` bytes (a view into the input, not a copy). */
  bytes(n: number, field = "field"): Uint8Array {
    if (n > this.remaining) {
      throw new DecodeError(`${field}: needs ${n} bytes, ${this.remaining} left`);
    }
    const out = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** Reads the rest of the input. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  u8(field = "u8"): number {
    return this.bytes(1, field)[0];
  }

  u16(field = "u16"): number {
    const b = this.bytes(2, field);
    return (b[0] << 8) | b[1];
  }

  u24(field = "u24"): number {
    const b = this.bytes(3, field);
    return (b[0] << 16) | (b[1] << 8) | b[2];
  }

  u32(field = "u32"): number {
    const b = this.bytes(4, field);
    return ((b[0] << 24) >>> 0) + ((b[1] << 16) | (b[2] << 8) | b[3]);
  }

  /** Reads a vector with a `lengthBytes`-byte length prefix; `min`/`max` bound its length (RFC 8446 §3.4). */
  vector(lengthBytes: 1 | 2 | 3, field: string, min = 0, max = Infinity): Uint8Array {
    const n = lengthBytes === 1 ? this.u8(field) : lengthBytes === 2 ? this.u16(field) : this.u24(field);
    if (n < min || n > max) throw new DecodeError(`${field}: length ${n} outside ${min}..${max}`);
    return this.bytes(n, field);
  }

  /** Reads a length-prefixed vector and hands a sub-reader to `body`, which must consume it exactly. */
  sub<T>(lengthBytes: 1 | 2 | 3, field: string, body: (r: Reader) => T, min = 0, max = Infinity): T {
    const r = new Reader(this.vector(lengthBytes, field, min, max));
    const value = body(r);
    r.end(field);
    return value;
  }

  /** Throws unless every byte has been read. */
  end(field = "message"): void {
    if (this.remaining !== 0) throw new DecodeError(`${field}: ${this.remaining} trailing bytes`);
  }
}

/**
 * Builds a message. Length prefixes are written by `vector(n, body)`, which fills the prefix in after `body`
 * has written the contents, so no prefix can be left open.
 */
export class Writer {
  #buf: Uint8Array;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.#length;
  }

  #reserve(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    let cap = Math.max(16, this.#buf.length * 2);
    while (cap < this.#length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#length));
    this.#buf = next;
  }

  u8(v: number): this {
    this.#reserve(1);
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.#reserve(2);
    this.#buf[this.#length++] = (v >>> 8) & 0xff;
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.#reserve(3);
    this.#buf[this.#length++] = (v >>> 16) & 0xff;
    this.#buf[this.#length++] = (v >>> 8) & 0xff;
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.#reserve(4);
    this.#buf[this.#length++] = (v >>> 24) & 0xff;
    this.#buf[this.#length++] = (v >>> 16) & 0xff;
    this.#buf[this.#length++] = (v >>> 8) & 0xff;
    this.#buf[this.#length++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#length);
    this.#length += b.length;
    return this;
  }

  /** Writes a vector whose `lengthBytes`-byte length prefix covers whatever `body` writes. */
  vector(lengthBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const start = this.#length;
    this.#reserve(lengthBytes);
    this.#length += lengthBytes;
    body(this);
    const n = this.#length - start - lengthBytes;
    const max = 2 ** (8 * lengthBytes) - 1;
    if (n > max) throw new RangeError(`vector of ${n} bytes does not fit a ${lengthBytes}-byte length`);
    for (let i = 0; i < lengthBytes; i++) {
      this.#buf[start + i] = (n >>> (8 * (lengthBytes - 1 - i))) & 0xff;
    }
    return this;
  }

  /** Writes `b` with a `lengthBytes`-byte length prefix. */
  opaque(lengthBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.vector(lengthBytes, (w) => w.bytes(b));
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#length);
  }
}
