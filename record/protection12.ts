/**
 * TLS 1.2 AEAD record protection (RFC 5246 §6.2.3.3) for AES-GCM (RFC 5288 §3) and ChaCha20-Poly1305
 * (RFC 7905 §2):
 *
 * ```text
 * additional_data = seq_num (8) ‖ TLSCompressed.type ‖ TLSCompressed.version ‖ TLSCompressed.length
 * AES-GCM:            nonce = client/server_write_IV (4, "salt") ‖ nonce_explicit (8, sent before the ciphertext)
 * ChaCha20-Poly1305:  nonce = client/server_write_IV (12) XOR left-padded seq_num; nothing sent
 * ```
 *
 * The explicit nonce we send is the record's sequence number, which never repeats under one key. Unlike
 * TLS 1.3, the record header carries the real content type and there is no padding.
 *
 * As in `protection13.ts`, the sequence number of a record is fixed synchronously when `seal`/`open` is
 * called, so several records' AEAD operations can be in flight at once while their order stays the call order.
 *
 * @module
 */

import { type Aead, AeadDecryptError } from "../crypto/provider.ts";
import { TlsAlertError } from "../errors.ts";
import {
  HEADER_LENGTH,
  MAX_CIPHERTEXT_TLS12,
  MAX_PLAINTEXT,
  recordHeader,
  type TlsRecord,
} from "./framing.ts";
import { recordNonce } from "./protection13.ts";

const TAG_LENGTH = 16;
/** The record version of TLS 1.2 (RFC 5246 §6.2.1). */
const TLS12_VERSION = 0x0303;
/** Length of the AES-GCM explicit nonce (record_iv_length, RFC 5288 §3). */
const EXPLICIT_NONCE_LENGTH = 8;

/** A decrypted TLS 1.2 record: its content type and content. */
export interface Tls12Plaintext {
  /** The record's content type. */
  readonly type: number;
  /** The decrypted content. */
  readonly content: Uint8Array;
}

/** seq_num as 8 big-endian bytes (RFC 5246 §6.1). */
function sequenceBytes(seq: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, seq);
  return out;
}

/** additional_data of RFC 5246 §6.2.3.3. */
export function additionalData12(seq: bigint, type: number, version: number, length: number): Uint8Array {
  const aad = new Uint8Array(13);
  aad.set(sequenceBytes(seq), 0);
  aad[8] = type;
  aad[9] = version >> 8;
  aad[10] = version & 0xff;
  aad[11] = length >> 8;
  aad[12] = length & 0xff;
  return aad;
}

/**
 * One direction's TLS 1.2 record protection for one key block. `fixedIv` is the 4-byte salt for AES-GCM or
 * the 12-byte IV for ChaCha20-Poly1305; a length that does not fit the AEAD throws `RangeError`.
 *
 * @example
 * ```ts ignore
 * const write = new Tls12RecordProtection(await crypto.importAead("AES-128-GCM", key), salt);
 * const record = await write.seal(ContentType.application_data, data);
 * ```
 */
export class Tls12RecordProtection {
  readonly #aead: Aead;
  readonly #iv: Uint8Array;
  /** Whether nonces are salt ‖ explicit nonce (AES-GCM) rather than IV XOR seq (ChaCha20-Poly1305). */
  readonly #explicit: boolean;
  #seq = 0n;

  /** `fixedIv`: the AES-GCM salt (4 bytes) or the ChaCha20-Poly1305 IV (12). */
  constructor(aead: Aead, fixedIv: Uint8Array) {
    this.#explicit = aead.name !== "ChaCha20-Poly1305";
    const expected = this.#explicit ? 4 : 12;
    if (fixedIv.length !== expected) {
      throw new RangeError(
        `${aead.name} in TLS 1.2 needs a ${expected}-byte write IV, got ${fixedIv.length}`,
      );
    }
    this.#aead = aead;
    this.#iv = fixedIv.slice();
  }

  /** Records protected (or opened) so far under this key. */
  get sequenceNumber(): bigint {
    return this.#seq;
  }

  /** Records protected (or opened) so far under this key, as a number. */
  get records(): number {
    return Number(this.#seq);
  }

  /** Bytes a record grows by: explicit nonce (AES-GCM) and tag. */
  get overhead(): number {
    return (this.#explicit ? EXPLICIT_NONCE_LENGTH : 0) + TAG_LENGTH;
  }

  #nextSequence(): bigint {
    // RFC 5246 §6.1: sequence numbers may not wrap; renegotiation (which we refuse) would be required.
    if (this.#seq >= 0xffffffffffffffffn) {
      throw new TlsAlertError("internal_error", "local", "record sequence number exhausted (RFC 5246 §6.1)");
    }
    return this.#seq++;
  }

  #nonce(seq: bigint, explicit: Uint8Array): Uint8Array {
    if (!this.#explicit) return recordNonce(this.#iv, seq);
    const nonce = new Uint8Array(12);
    nonce.set(this.#iv, 0);
    nonce.set(explicit, 4);
    return nonce;
  }

  /**
   * Protects `content` (at most 2^14 bytes, else `RangeError`) of content type `type` into a whole
   * TLSCiphertext record, header included.
   */
  seal(type: number, content: Uint8Array): Promise<Uint8Array> {
    if (content.length > MAX_PLAINTEXT) throw new RangeError("record content larger than 2^14 bytes");
    const seq = this.#nextSequence();
    const explicit = this.#explicit ? sequenceBytes(seq) : new Uint8Array(0);
    const aad = additionalData12(seq, type, TLS12_VERSION, content.length);
    const header = recordHeader(type, TLS12_VERSION, explicit.length + content.length + TAG_LENGTH);
    return this.#aead.seal(this.#nonce(seq, explicit), aad, content).then((ciphertext) => {
      const record = new Uint8Array(HEADER_LENGTH + explicit.length + ciphertext.length);
      record.set(header, 0);
      record.set(explicit, HEADER_LENGTH);
      record.set(ciphertext, HEADER_LENGTH + explicit.length);
      return record;
    });
  }

  /**
   * Removes protection from a received record of any content type. Throws `TlsAlertError` with
   * `record_overflow` for a fragment over 2^14 + 2048 bytes or a plaintext over 2^14 bytes (RFC 5246 §6.2.3),
   * and `bad_record_mac` when the record is too short to hold a nonce and tag or fails authentication.
   */
  async open(record: TlsRecord): Promise<Tls12Plaintext> {
    const fragment = record.fragment;
    if (fragment.length > MAX_CIPHERTEXT_TLS12) {
      throw new TlsAlertError(
        "record_overflow",
        "local",
        "TLSCiphertext exceeds 2^14 + 2048 bytes (RFC 5246 §6.2.3)",
      );
    }
    const seq = this.#nextSequence();
    const overhead = this.overhead;
    if (fragment.length < overhead) {
      throw new TlsAlertError("bad_record_mac", "local", "protected record too short for its nonce and tag");
    }
    const length = fragment.length - overhead;
    if (length > MAX_PLAINTEXT) {
      throw new TlsAlertError(
        "record_overflow",
        "local",
        "record plaintext exceeds 2^14 bytes (RFC 5246 §6.2.3)",
      );
    }
    const explicit = fragment.subarray(0, overhead - TAG_LENGTH);
    const aad = additionalData12(seq, record.type, record.version, length);
    let content: Uint8Array;
    try {
      content = await this.#aead.open(this.#nonce(seq, explicit), aad, fragment.subarray(explicit.length));
    } catch (e) {
      if (e instanceof AeadDecryptError) {
        throw new TlsAlertError(
          "bad_record_mac",
          "local",
          "record failed authentication (RFC 5246 §6.2.3.3)",
        );
      }
      throw e;
    }
    return { type: record.type, content };
  }
}
