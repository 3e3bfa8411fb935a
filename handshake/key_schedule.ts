/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1), as stages that can only be advanced in order:
 *
 * ```text
 *              0
 *              |
 *    PSK ->  HKDF-Extract = Early Secret
 *              |
 *              +-----> Derive-Secret(., "ext binder" | "res binder", "") = binder_key
 *              v
 *        Derive-Secret(., "derived", "")
 *              |
 *  (EC)DHE -> HKDF-Extract = Handshake Secret
 *              |
 *              +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
 *              +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
 *              v
 *        Derive-Secret(., "derived", "")
 *              |
 *     0 -> HKDF-Extract = Master Secret
 *              |
 *              +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
 *              +-----> Derive-Secret(., "res master", ClientHello...client Finished)
 * ```
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import { deriveSecret, hkdfExpandLabel } from "../crypto/tls13_hkdf.ts";
import type { Tls13Suite } from "./constants.ts";

/** A pair of traffic secrets, one per direction. */
export interface TrafficSecrets {
  readonly client: Uint8Array;
  readonly server: Uint8Array;
}

/** The write key and IV derived from a traffic secret (RFC 8446 §7.3). */
export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/**
 * Values of the key schedule that depend on the hash alone, so that a full handshake spends no crypto call
 * (each an asynchronous hop) on them: Hash(""), the Early Secret without a PSK (HKDF-Extract(0, 0)) and its
 * Derive-Secret(., "derived", ""). The SHA-256 ones are those of RFC 8448 §3; `tests/key_schedule_test.ts`
 * recomputes them all through the provider.
 */
export const HASH_ONLY_VALUES: Readonly<
  Record<"SHA-256" | "SHA-384", { emptyHash: string; zeroEarlySecret: string; zeroDerived: string }>
> = {
  "SHA-256": {
    emptyHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    zeroEarlySecret: "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a",
    zeroDerived: "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba",
  },
  "SHA-384": {
    emptyHash:
      "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
    zeroEarlySecret:
      "7ee8206f5570023e6dc7519eb1073bc4e791ad37b5c382aa10ba18e2357e716971f9362f2c2fe2a76bfd78dfec4ea9b5",
    zeroDerived:
      "1591dac5cbbf0330a4a84de9c753330e92d01f0a88214b4464972fd668049e93e52f2b16fad922fdc0584478428f282b",
  },
};

function hashOnly(suite: Tls13Suite) {
  return HASH_ONLY_VALUES[suite.hash as keyof typeof HASH_ONLY_VALUES] as
    | (typeof HASH_ONLY_VALUES)["SHA-256"]
    | undefined;
}

async function emptyHash(crypto: CryptoProvider, suite: Tls13Suite): Promise<Uint8Array> {
  const known = hashOnly(suite);
  return known ? Uint8Array.fromHex(known.emptyHash) : await crypto.hash(suite.hash, new Uint8Array(0));
}

/** Stage 1: the Early Secret, from a PSK or from zeros. */
export class EarlySecret {
  readonly #secret: Uint8Array;
  /** Whether this is the Early Secret without a PSK, whose "derived" secret is known in advance. */
  readonly #zero: boolean;
  private constructor(
    private readonly crypto: CryptoProvider,
    readonly suite: Tls13Suite,
    secret: Uint8Array,
    zero = false,
  ) {
    this.#secret = secret;
    this.#zero = zero;
  }

  /** HKDF-Extract(0, PSK or 0…0). */
  static async create(crypto: CryptoProvider, suite: Tls13Suite, psk?: Uint8Array): Promise<EarlySecret> {
    const known = psk === undefined ? hashOnly(suite) : undefined;
    if (known) return new EarlySecret(crypto, suite, Uint8Array.fromHex(known.zeroEarlySecret), true);
    const zeros = new Uint8Array(suite.hashLength);
    return new EarlySecret(crypto, suite, await crypto.hkdfExtract(suite.hash, zeros, psk ?? zeros));
  }

  /** binder_key for a resumption ("res binder") or external ("ext binder") PSK. */
  async binderKey(resumption: boolean): Promise<Uint8Array> {
    const { crypto, suite } = this;
    const label = resumption ? "res binder" : "ext binder";
    return deriveSecret(
      crypto,
      suite.hash,
      suite.hashLength,
      this.#secret,
      label,
      await emptyHash(crypto, suite),
    );
  }

  /** Advances with the (EC)DHE shared secret to the Handshake Secret. */
  async advance(sharedSecret: Uint8Array): Promise<HandshakeSecret> {
    const { crypto, suite } = this;
    const known = this.#zero ? hashOnly(suite) : undefined;
    const derived = known ? Uint8Array.fromHex(known.zeroDerived) : await deriveSecret(
      crypto,
      suite.hash,
      suite.hashLength,
      this.#secret,
      "derived",
      await emptyHash(crypto, suite),
    );
    return new HandshakeSecret(crypto, suite, await crypto.hkdfExtract(suite.hash, derived, sharedSecret));
  }
}

/** Stage 2: the Handshake Secret. */
export class HandshakeSecret {
  readonly #secret: Uint8Array;
  #master: Promise<MasterSecret> | undefined;
  constructor(private readonly crypto: CryptoProvider, readonly suite: Tls13Suite, secret: Uint8Array) {
    this.#secret = secret;
  }

  /** client/server handshake traffic secrets over Transcript-Hash(ClientHello…ServerHello). */
  async trafficSecrets(helloHash: Uint8Array): Promise<TrafficSecrets> {
    const { crypto, suite } = this;
    const [client, server] = await Promise.all([
      deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, "c hs traffic", helloHash),
      deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, "s hs traffic", helloHash),
    ]);
    return { client, server };
  }

  /**
   * Advances to the Master Secret. It needs no transcript, so a handshake can start it early (as soon as
   * the Handshake Secret exists) and await it where it is needed; every call gives the same promise.
   */
  advance(): Promise<MasterSecret> {
    this.#master ??= this.#advance();
    return this.#master;
  }

  async #advance(): Promise<MasterSecret> {
    const { crypto, suite } = this;
    const derived = await deriveSecret(
      crypto,
      suite.hash,
      suite.hashLength,
      this.#secret,
      "derived",
      await emptyHash(crypto, suite),
    );
    const zeros = new Uint8Array(suite.hashLength);
    return new MasterSecret(crypto, suite, await crypto.hkdfExtract(suite.hash, derived, zeros));
  }
}

/** Stage 3: the Master Secret. */
export class MasterSecret {
  readonly #secret: Uint8Array;
  constructor(private readonly crypto: CryptoProvider, readonly suite: Tls13Suite, secret: Uint8Array) {
    this.#secret = secret;
  }

  /** client/server application traffic secrets and the exporter master secret over ClientHello…server Finished. */
  async applicationSecrets(
    serverFinishedHash: Uint8Array,
  ): Promise<TrafficSecrets & { readonly exporter: Uint8Array }> {
    const { crypto, suite } = this;
    const [client, server, exporter] = await Promise.all([
      deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, "c ap traffic", serverFinishedHash),
      deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, "s ap traffic", serverFinishedHash),
      deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, "exp master", serverFinishedHash),
    ]);
    return { client, server, exporter };
  }

  /** resumption_master_secret over ClientHello…client Finished. */
  resumptionSecret(clientFinishedHash: Uint8Array): Promise<Uint8Array> {
    const { crypto, suite } = this;
    return deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, "res master", clientFinishedHash);
  }
}

/** [sender]_write_key and [sender]_write_iv (RFC 8446 §7.3). */
export async function trafficKeys(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  secret: Uint8Array,
): Promise<TrafficKeys> {
  const empty = new Uint8Array(0);
  const [key, iv] = await Promise.all([
    hkdfExpandLabel(crypto, suite.hash, secret, "key", empty, suite.keyLength),
    hkdfExpandLabel(crypto, suite.hash, secret, "iv", empty, 12),
  ]);
  return { key, iv };
}

/** verify_data = HMAC(finished_key, Transcript-Hash) with finished_key from `baseKey` (RFC 8446 §4.4.4). */
export async function finishedVerifyData(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return verifyDataWith(crypto, suite, await finishedKey(crypto, suite, baseKey), transcriptHash);
}

/**
 * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (RFC 8446 §4.4.4): it depends on
 * the traffic secret only, so it can be derived while the transcript is still growing.
 */
export function finishedKey(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  baseKey: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(crypto, suite.hash, baseKey, "finished", new Uint8Array(0), suite.hashLength);
}

/** verify_data = HMAC(finished_key, Transcript-Hash) (RFC 8446 §4.4.4), from a derived finished_key. */
export function verifyDataWith(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  key: Uint8Array,
  transcriptHash: Uint8Array,
): Promise<Uint8Array> {
  return crypto.hmac(suite.hash, key, transcriptHash);
}

/** application_traffic_secret_N+1 (RFC 8446 §7.2). */
export function nextTrafficSecret(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  secret: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(crypto, suite.hash, secret, "traffic upd", new Uint8Array(0), suite.hashLength);
}

/** PSK for a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length) (§4.6.1). */
export function ticketPsk(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  resumptionSecret: Uint8Array,
  ticketNonce: Uint8Array,
): Promise<Uint8Array> {
  return hkdfExpandLabel(crypto, suite.hash, resumptionSecret, "resumption", ticketNonce, suite.hashLength);
}
