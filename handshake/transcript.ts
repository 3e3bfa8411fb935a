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

  /** Appends a whole handshake message (header ‖ body). */
  add(message: Uint8Array): void {
    this.#messages.push(message);
  }

  /** The concatenation of every message so far. */
  bytes(): Uint8Array {
    return concat(...this.#messages);
  }

  /** Transcript-Hash of the messages so far. */
  hash(crypto: CryptoProvider, hash: HashName): Promise<Uint8Array> {
    return crypto.hash(hash, this.bytes());
  }

  /**
   * Replaces ClientHello1 with the synthetic `message_hash` message after a HelloRetryRequest
   * (RFC 8446 §4.4.1): `message_hash ‖ 00 00 Hash.length ‖ Hash(ClientHello1)`.
   */
  async replaceWithMessageHash(crypto: CryptoProvider, hash: HashName): Promise<void> {
    const digest = await this.hash(crypto, hash);
    this.#messages = [concat(new Uint8Array([HandshakeType.message_hash, 0, 0, digest.length]), digest)];
  }
}
