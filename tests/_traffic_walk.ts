/**
 * An independent reader of one direction of a TLS 1.3 connection, for tests that must prove what went on the
 * wire: from the direction's `*_TRAFFIC_SECRET_0` in the NSS key log it derives every later traffic secret
 * itself (RFC 8446 §7.2, "traffic upd"), opens each record under the (epoch, sequence number) it must have
 * (§5.3), and follows the KeyUpdates it finds (§4.6.3). It calls `crypto.subtle` directly, not the library,
 * so that a fault in the library's key schedule or record layer cannot hide itself.
 *
 * @module
 */
import { concat } from "../bytes.ts";

/** The TLS 1.3 suites, by IANA name: hash, AEAD and key length. */
const SUITES = {
  TLS_AES_128_GCM_SHA256: { hash: "SHA-256", hashLength: 32, aead: "AES-GCM", keyLength: 16 },
  TLS_AES_256_GCM_SHA384: { hash: "SHA-384", hashLength: 48, aead: "AES-GCM", keyLength: 32 },
  TLS_CHACHA20_POLY1305_SHA256: { hash: "SHA-256", hashLength: 32, aead: "ChaCha20-Poly1305", keyLength: 32 },
} as const;

/** A TLS 1.3 suite the walker knows. */
export type WalkSuite = keyof typeof SUITES;

/** One record as the walker opened it. */
export interface WalkedRecord {
  /** 0 for application_traffic_secret_0, +1 after each KeyUpdate (RFC 8446 §7.2). */
  readonly epoch: number;
  /** The record's sequence number under its epoch's key (RFC 8446 §5.3). */
  readonly seq: number;
  /** The real content type (RFC 8446 §5.4). */
  readonly type: number;
  readonly content: Uint8Array;
}

/** The secret of `label` for the connection in NSS key-log `lines` (there must be exactly one). */
export function keyLogSecret(lines: readonly string[], label: string): Uint8Array {
  const found = lines.filter((l) => l.startsWith(`${label} `));
  if (found.length !== 1) throw new Error(`${found.length} key-log lines for ${label}`);
  return Uint8Array.fromHex(found[0].split(" ")[2]);
}

/** A copy backed by a plain ArrayBuffer, as WebCrypto's types want. */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(bytes);

/** HKDF-Expand-Label(secret, label, "", length) for length ≤ Hash.length: one HMAC block (RFC 8446 §7.1). */
async function expandLabel(hash: string, secret: Uint8Array, label: string, length: number) {
  const full = new TextEncoder().encode(`tls13 ${label}`);
  const info = concat(Uint8Array.of(length >> 8, length & 0xff, full.length), full, Uint8Array.of(0, 1));
  const key = await crypto.subtle.importKey("raw", own(secret), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, own(info))).slice(0, length);
}

interface EpochKey {
  readonly secret: Uint8Array;
  readonly key: CryptoKey;
  readonly iv: Uint8Array;
}

async function epochKey(suite: typeof SUITES[WalkSuite], secret: Uint8Array): Promise<EpochKey> {
  const raw = await expandLabel(suite.hash, secret, "key", suite.keyLength);
  const iv = await expandLabel(suite.hash, secret, "iv", 12);
  const format = suite.aead === "AES-GCM" ? "raw" : "raw-secret";
  const key = await crypto.subtle.importKey(format, own(raw), { name: suite.aead }, false, ["decrypt"]);
  return { secret, key, iv };
}

/** Splits a byte stream into whole records (header ‖ fragment); a partial record at the end is an error. */
export function splitRecords(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < stream.length) {
    if (i + 5 > stream.length) throw new Error("partial record header at the end of the stream");
    const end = i + 5 + ((stream[i + 3] << 8) | stream[i + 4]);
    if (end > stream.length) throw new Error("partial record at the end of the stream");
    out.push(stream.subarray(i, end));
    i = end;
  }
  return out;
}

/**
 * Opens `records` (whole protected records, in wire order) of one direction, starting from its
 * application_traffic_secret_0. Throws, naming the record, when one does not open under the epoch and
 * sequence number that come next — what a reused or skipped nonce, or a key change the peer cannot follow,
 * looks like.
 */
export async function walkTraffic(
  records: readonly Uint8Array[],
  secret0: Uint8Array,
  suiteName: WalkSuite,
): Promise<WalkedRecord[]> {
  const suite = SUITES[suiteName];
  let epoch = 0;
  let seq = 0;
  let current = await epochKey(suite, secret0);
  const out: WalkedRecord[] = [];
  for (const [index, record] of records.entries()) {
    if (record[0] !== 23) {
      throw new Error(`record ${index} has outer type ${record[0]}, not application_data`);
    }
    const nonce = current.iv.slice();
    for (let i = 0, s = BigInt(seq); i < 8; i++, s >>= 8n) nonce[11 - i] ^= Number(s & 0xffn);
    let inner: Uint8Array;
    try {
      inner = new Uint8Array(
        await crypto.subtle.decrypt(
          { name: suite.aead, iv: nonce, additionalData: own(record.subarray(0, 5)) },
          current.key,
          own(record.subarray(5)),
        ),
      );
    } catch {
      throw new Error(`record ${index} of ${records.length} does not open as (epoch ${epoch}, seq ${seq})`);
    }
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    if (end < 0) throw new Error(`record ${index} has no content type`);
    const type = inner[end];
    const content = inner.subarray(0, end);
    out.push({ epoch, seq, type, content });
    seq++;
    // RFC 8446 §4.6.3: a KeyUpdate (handshake type 24) ends its record; the next one is under the next key.
    if (type === 22 && content[0] === 24) {
      if (content.length !== 5) throw new Error(`record ${index}: KeyUpdate not alone in its record`);
      current = await epochKey(
        suite,
        await expandLabel(suite.hash, current.secret, "traffic upd", suite.hashLength),
      );
      epoch++;
      seq = 0;
    }
  }
  return out;
}
