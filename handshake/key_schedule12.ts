/**
 * The TLS 1.2 key schedule (RFC 5246 §6.3, §8.1; RFC 7627 §4) as the handshake uses it:
 *
 * ```text
 * pre_master_secret ──PRF("extended master secret", session_hash)──▶ master_secret   (RFC 7627, always here)
 *                   └─PRF("master secret", client_random ‖ server_random)──▶ master_secret   (legacy)
 * master_secret ──PRF("key expansion", server_random ‖ client_random)──▶ client/server write key, write IV
 * master_secret ──PRF("client finished" | "server finished", Hash(handshake_messages))──▶ verify_data
 * ```
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import { extendedMasterSecret, finishedVerifyData12, keyBlock, masterSecret } from "../crypto/tls12_prf.ts";
import type { Tls12Suite } from "./constants.ts";
import type { Tls12TrafficKeys } from "./context12.ts";
import type { Transcript } from "./transcript.ts";

/** The traffic keys of both directions of one TLS 1.2 connection. */
export interface Tls12SessionKeys {
  /** The client's write key and IV. */
  readonly client: Tls12TrafficKeys;
  /** The server's write key and IV. */
  readonly server: Tls12TrafficKeys;
}

/**
 * The master secret from the premaster secret: with `extended`, over session_hash = Hash(handshake messages
 * up to and including the ClientKeyExchange), which `transcript` must then hold exactly (RFC 7627 §4); else
 * over the two randoms (RFC 5246 §8.1).
 */
export async function deriveMasterSecret(
  crypto: CryptoProvider,
  suite: Tls12Suite,
  preMasterSecret: Uint8Array,
  extended: boolean,
  transcript: Transcript,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Uint8Array> {
  if (extended) {
    const sessionHash = await transcript.hash(crypto, suite.hash);
    return extendedMasterSecret(crypto, suite.hash, preMasterSecret, sessionHash);
  }
  return masterSecret(crypto, suite.hash, preMasterSecret, clientRandom, serverRandom);
}

/** The write keys and IVs of both directions (RFC 5246 §6.3). */
export async function sessionKeys(
  crypto: CryptoProvider,
  suite: Tls12Suite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Promise<Tls12SessionKeys> {
  const block = await keyBlock(crypto, suite, master, clientRandom, serverRandom);
  return {
    client: { key: block.clientWriteKey, iv: block.clientWriteIv },
    server: { key: block.serverWriteKey, iv: block.serverWriteIv },
  };
}

/** verify_data of `sender`'s Finished over every handshake message in `transcript` (RFC 5246 §7.4.9). */
export async function verifyData(
  crypto: CryptoProvider,
  suite: Tls12Suite,
  master: Uint8Array,
  sender: "client" | "server",
  transcript: Transcript,
): Promise<Uint8Array> {
  return finishedVerifyData12(crypto, suite.hash, master, sender, await transcript.hash(crypto, suite.hash));
}
