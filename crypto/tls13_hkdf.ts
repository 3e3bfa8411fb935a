/**
 * The TLS 1.3 HKDF helpers of RFC 8446 §7.1: HKDF-Expand-Label and Derive-Secret, built on the provider's
 * HKDF-Expand.
 *
 * @module
 */

import { Writer } from "../bytes.ts";
import type { CryptoProvider, HashName } from "./provider.ts";

const encoder = new TextEncoder();

/** The HkdfLabel structure of RFC 8446 §7.1: length, "tls13 " ‖ label, context. */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const fullLabel = encoder.encode("tls13 " + label);
  return new Writer(4 + fullLabel.length + context.length)
    .u16(length)
    .opaque(1, fullLabel)
    .opaque(1, context)
    .finish();
}

/** HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1). */
export function hkdfExpandLabel(
  crypto: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return crypto.hkdfExpand(hash, secret, hkdfLabel(label, context, length), length);
}

/** Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length). */
export function deriveSecret(
  crypto: CryptoProvider,
  hash: HashName,
  hashLength: number,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(crypto, hash, secret, label, transcriptHash, hashLength);
}
