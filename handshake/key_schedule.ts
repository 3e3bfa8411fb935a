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

async function emptyHash(crypto: CryptoProvider, suite: Tls13Suite): Promise<Uint8Array> {
  return await crypto.hash(suite.hash, new Uint8Array(0));
}

/** Stage 1: the Early Secret, from a PSK or from zeros. */
export class EarlySecret {
  readonly #secret: Uint8Array;
  private constructor(private readonly crypto: CryptoProvider, readonly suite: Tls13Suite, secret: Uint8Array) {
    this.#secret = secret;
  }

  /** HKDF-Extract(0, PSK or 0…0). */
  static async create(crypto: CryptoProvider, suite: Tls13Suite, psk?: Uint8Array): Promise<EarlySecret> {
    const zeros = new Uint8Array(suite.hashLength);
    return new EarlySecret(crypto, suite, await crypto.hkdfExtract(suite.hash, zeros, psk ?? zeros));
  }

  /** binder_key for a resumption ("res binder") or external ("ext binder") PSK. */
  async binderKey(resumption: boolean): Promise<Uint8Array> {
    const { crypto, suite } = this;
    const label = resumption ? "res binder" : "ext binder";
    return deriveSecret(crypto, suite.hash, suite.hashLength, this.#secret, label, await emptyHash(crypto, suite));
  }

  /** Advances with the (EC)DHE shared secret to the Handshake Secret. */
  async advance(sharedSecret: Uint8Array): Promise<HandshakeSecret> {
    const { crypto, suite } = this;
    const derived = await deriveSecret(
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

  /** Advances to the Master Secret. */
  async advance(): Promise<MasterSecret> {
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
  const finishedKey = await hkdfExpandLabel(
    crypto,
    suite.hash,
    baseKey,
    "finished",
    new Uint8Array(0),
    suite.hashLength,
  );
  return crypto.hmac(suite.hash, finishedKey, transcriptHash);
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
