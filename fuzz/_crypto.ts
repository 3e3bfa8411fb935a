/**
 * A deterministic crypto provider for the fuzzer: WebCrypto for everything, but randomness and ephemeral
 * key-exchange keys drawn from a seeded generator that {@link DeterministicCrypto.reset} rewinds. An engine
 * that runs the same handshake twice with the same provider state then sends the same bytes, so a recorded
 * peer flight stays valid for every fresh engine of a fuzz case. (ECDSA and RSA-PSS signatures stay
 * randomized; a server whose flight must be reproducible signs with Ed25519.)
 *
 * @module
 */

import type { CryptoProvider, GroupName, KeyExchange, KeyExchangeResponse } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { importEcdhKeyExchange, importX25519MlKem768KeyExchange } from "../crypto/key_exchange.ts";
import { Rng } from "./_rng.ts";

/** A crypto provider whose random choices repeat after {@link DeterministicCrypto.reset}. */
export interface DeterministicCrypto extends CryptoProvider {
  /** Rewinds the random sequence to its start. */
  reset(): void;
}

/** A private scalar for `group` (X25519: any 32 bytes; P-256/P-384: below the order, in practice). */
function scalar(rng: Rng, group: Exclude<GroupName, "X25519MLKEM768">): Uint8Array {
  const key = rng.bytes(group === "P-384" ? 48 : 32);
  if (group !== "X25519") key[0] &= 0x7f; // well below the group order
  return key;
}

/** The provider for `seed`. X25519MLKEM768 can start (client) deterministically but not respond (server). */
export function deterministicCrypto(seed: number): DeterministicCrypto {
  let rng = new Rng(seed);
  const startKeyExchange = (group: GroupName): Promise<KeyExchange> => {
    if (group === "X25519MLKEM768") {
      return importX25519MlKem768KeyExchange(rng.bytes(64), scalar(rng, "X25519"));
    }
    return importEcdhKeyExchange(group, scalar(rng, group));
  };
  return {
    ...webCrypto,
    reset() {
      rng = new Rng(seed);
    },
    randomBytes(n: number): Uint8Array {
      return rng.bytes(n);
    },
    startKeyExchange,
    async respondKeyExchange(group: GroupName, peerShare: Uint8Array): Promise<KeyExchangeResponse> {
      if (group === "X25519MLKEM768") return await webCrypto.respondKeyExchange(group, peerShare);
      const exchange = await startKeyExchange(group);
      return { publicKey: exchange.publicKey, sharedSecret: await exchange.complete(peerShare) };
    },
  };
}
