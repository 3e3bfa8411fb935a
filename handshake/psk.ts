/**
 * The pre_shared_key extension (RFC 8446 §4.2.11) — its ClientHello and ServerHello forms — and the PSK
 * binder (§4.2.11.2), which both sides compute the same way:
 *
 * ```text
 * struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
 * opaque PskBinderEntry<32..255>;
 * struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; } OfferedPsks;
 * ServerHello: uint16 selected_identity;
 *
 * binder_key   = Derive-Secret(Early Secret(PSK), "res binder", "")
 * finished_key = HKDF-Expand-Label(binder_key, "finished", "", Hash.length)
 * binder       = HMAC(finished_key, Transcript-Hash(…, Truncate(ClientHello)))
 * ```
 *
 * Truncate(ClientHello) is the whole ClientHello message, header included, without the binders list
 * (pre_shared_key is the last extension, so the binders are the message's last bytes). After a
 * HelloRetryRequest the transcript before it is message_hash(ClientHello1) ‖ HelloRetryRequest.
 *
 * @module
 */

import { concat, DecodeError, Reader, Writer } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { ExtensionType, type Tls13Suite } from "./constants.ts";
import { EarlySecret, finishedVerifyData } from "./key_schedule.ts";
import type { Extension } from "./messages.ts";

/** One offered PSK identity (RFC 8446 §4.2.11). */
export interface PskIdentity {
  /** `opaque identity<1..2^16-1>`: for a resumption PSK, the ticket. */
  readonly identity: Uint8Array;
  /** The ticket's age in milliseconds plus ticket_age_add, modulo 2^32 (0 for external PSKs). */
  readonly obfuscatedTicketAge: number;
}

/** The ClientHello form of pre_shared_key: the identities and one binder for each (RFC 8446 §4.2.11). */
export interface OfferedPsks {
  /** `PskIdentity identities<7..2^16-1>`: at least one. */
  readonly identities: readonly PskIdentity[];
  /** `PskBinderEntry binders<33..2^16-1>`, each `<32..255>` bytes: one per identity, in order. */
  readonly binders: readonly Uint8Array[];
}

function checkLength(field: string, n: number, min: number, max: number): void {
  if (n < min || n > max) throw new RangeError(`${field}: length ${n} outside ${min}..${max}`);
}

/** Length of the encoded binders list, its uint16 prefix included: what Truncate() removes. */
export function bindersLength(binders: readonly Uint8Array[]): number {
  return binders.reduce((n, b) => n + 1 + b.length, 2);
}

/**
 * Encodes the ClientHello form of pre_shared_key. Throws a `RangeError` for what the decoder would reject:
 * no identity, an empty identity, a binder outside 32..255 bytes, or binders that do not pair with
 * identities.
 *
 * @example
 * ```ts
 * const data = encodePreSharedKeyClient({
 *   identities: [{ identity: new Uint8Array([1, 2, 3]), obfuscatedTicketAge: 1000 }],
 *   binders: [new Uint8Array(32)],
 * });
 * ```
 */
export function encodePreSharedKeyClient(offered: OfferedPsks): Uint8Array {
  if (offered.identities.length !== offered.binders.length) {
    throw new RangeError("OfferedPsks: one binder per identity is required");
  }
  const size = offered.identities.reduce((n, i) => n + 6 + i.identity.length, 2);
  const w = new Writer(size + bindersLength(offered.binders));
  w.vector(2, (list) => {
    for (const { identity, obfuscatedTicketAge } of offered.identities) {
      checkLength("PskIdentity.identity", identity.length, 1, 0xffff);
      if (
        !Number.isInteger(obfuscatedTicketAge) || obfuscatedTicketAge < 0 || obfuscatedTicketAge > 0xffffffff
      ) {
        throw new RangeError(`PskIdentity.obfuscated_ticket_age: ${obfuscatedTicketAge} is not a uint32`);
      }
      list.opaque(2, identity).u32(obfuscatedTicketAge);
    }
  });
  checkLength("OfferedPsks.identities", size - 2, 7, 0xffff);
  w.vector(2, (list) => {
    for (const binder of offered.binders) {
      checkLength("PskBinderEntry", binder.length, 32, 255);
      list.opaque(1, binder);
    }
  });
  return w.finish();
}

/**
 * Decodes the ClientHello form of pre_shared_key. A list shorter than its RFC minimum, an empty identity,
 * a binder outside 32..255 bytes, or a binder count that differs from the identity count (RFC 8446 §4.2.11)
 * is a `DecodeError`.
 */
export function decodePreSharedKeyClient(data: Uint8Array): OfferedPsks {
  const r = new Reader(data);
  const identities = r.sub(
    2,
    "OfferedPsks.identities",
    (list) => {
      const out: PskIdentity[] = [];
      while (list.remaining > 0) {
        const identity = list.vector(2, "PskIdentity.identity", 1, 0xffff).slice();
        out.push({ identity, obfuscatedTicketAge: list.u32("PskIdentity.obfuscated_ticket_age") });
      }
      return out;
    },
    7,
    0xffff,
  );
  const binders = r.sub(
    2,
    "OfferedPsks.binders",
    (list) => {
      const out: Uint8Array[] = [];
      while (list.remaining > 0) out.push(list.vector(1, "PskBinderEntry", 32, 255).slice());
      return out;
    },
    33,
    0xffff,
  );
  r.end("pre_shared_key");
  if (binders.length !== identities.length) {
    throw new DecodeError(
      `OfferedPsks: ${identities.length} identities but ${binders.length} binders (RFC 8446 §4.2.11)`,
    );
  }
  return { identities, binders };
}

/** Encodes the ServerHello form of pre_shared_key: `uint16 selected_identity`. */
export function encodePreSharedKeyServer(selectedIdentity: number): Uint8Array {
  if (!Number.isInteger(selectedIdentity) || selectedIdentity < 0 || selectedIdentity > 0xffff) {
    throw new RangeError(`PreSharedKeyExtension.selected_identity: ${selectedIdentity} is not a uint16`);
  }
  return new Writer(2).u16(selectedIdentity).finish();
}

/** Decodes the ServerHello form of pre_shared_key. */
export function decodePreSharedKeyServer(data: Uint8Array): number {
  const r = new Reader(data);
  const selected = r.u16("PreSharedKeyExtension.selected_identity");
  r.end("pre_shared_key");
  return selected;
}

/** The pre_shared_key extension entry for `offered` (to go last in the ClientHello). */
export function preSharedKeyExtension(offered: OfferedPsks): Extension {
  return { type: ExtensionType.pre_shared_key, data: encodePreSharedKeyClient(offered) };
}

/**
 * Truncate(ClientHello) of RFC 8446 §4.2.11.2: the encoded ClientHello message (header included) without its
 * trailing binders list, whose entries are `binders`.
 */
export function truncateClientHello(message: Uint8Array, binders: readonly Uint8Array[]): Uint8Array {
  const cut = bindersLength(binders);
  if (cut > message.length) throw new RangeError("the binders are longer than the ClientHello");
  return message.subarray(0, message.length - cut);
}

/**
 * The binder of a resumption PSK (RFC 8446 §4.2.11.2): HMAC with the finished_key of the "res binder"
 * binder_key over Transcript-Hash(`transcriptPrefix` ‖ `truncatedHello`), under the hash of `suite`.
 */
export async function resumptionBinder(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  psk: Uint8Array,
  transcriptPrefix: Uint8Array,
  truncatedHello: Uint8Array,
): Promise<Uint8Array> {
  const binderKey = await (await EarlySecret.create(crypto, suite, psk)).binderKey(true);
  const hash = await crypto.hash(suite.hash, concat(transcriptPrefix, truncatedHello));
  return finishedVerifyData(crypto, suite, binderKey, hash);
}
