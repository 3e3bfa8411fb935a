/**
 * The handshake transcript (RFC 8446 §4.4.1): the handshake messages in order, hashed at the points the key
 * schedule and the Finished/CertificateVerify messages need.
 *
 * WebCrypto has no incremental hash, so the transcript keeps the messages and hashes the concatenation once
 * per point that needs it.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import type { CryptoProvider, HashName } from "../crypto/provider.ts";
import { HandshakeType } from "./constants.ts";

/** An append-only list of handshake messages. */
export class Transcript {
  #messages: Uint8Array[] = [];
  /** The last hash asked for and the point it covers: asking again at the same point costs no crypto call. */
  #last: { count: number; hash: HashName; digest: Promise<Uint8Array> } | undefined;

  /** Appends a whole handshake message (header ‖ body). */
  add(message: Uint8Array): void {
    this.#messages.push(message);
  }

  /** The concatenation of every message so far. */
  bytes(): Uint8Array {
    return concat(...this.#messages);
  }

  /**
   * Transcript-Hash of the messages so far. The messages are taken when this is called, so the hash of one
   * point can be started early and awaited after more messages were added.
   */
  hash(crypto: CryptoProvider, hash: HashName): Promise<Uint8Array> {
    const count = this.#messages.length;
    const last = this.#last;
    if (last && last.count === count && last.hash === hash) return last.digest;
    const digest = crypto.hash(hash, this.bytes());
    this.#last = { count, hash, digest };
    return digest;
  }

  /**
   * Replaces ClientHello1 with the synthetic `message_hash` message after a HelloRetryRequest
   * (RFC 8446 §4.4.1): `message_hash ‖ 00 00 Hash.length ‖ Hash(ClientHello1)`.
   */
  async replaceWithMessageHash(crypto: CryptoProvider, hash: HashName): Promise<void> {
    const digest = await this.hash(crypto, hash);
    this.#messages = [concat(new Uint8Array([HandshakeType.message_hash, 0, 0, digest.length]), digest)];
    this.#last = undefined;
  }
}
