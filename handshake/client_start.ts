/**
 * The client's first step, for every version setting: the ClientHello of TLS 1.3 (which also offers TLS 1.2
 * when enabled, see `version_negotiation.ts`) or, when TLS 1.3 is off, a TLS 1.2-only ClientHello — with a
 * cached TLS 1.2 session wired in when there is a session cache (`session12.ts`).
 *
 * @module
 */

import { startTls12Client } from "./client12_hello.ts";
import { startClientHandshake } from "./client13_hello.ts";
import type { ClientConfig } from "./client_config.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import { withTls12Sessions } from "./session12.ts";
import { clientOffersTls13 } from "./version_negotiation.ts";

/**
 * Sends the ClientHello that `config` calls for and returns the state that waits for the ServerHello.
 *
 * @example
 * ```ts ignore
 * const engine = new TlsEngine({ crypto: config.crypto, begin: (io) => startClient(config, io) });
 * ```
 */
export async function startClient(config: ClientConfig, io: HandshakeIo): Promise<HandshakeState> {
  const withSessions = await withTls12Sessions(config);
  if (withSessions.tls12 && !clientOffersTls13(withSessions)) {
    return startTls12Client(withSessions, withSessions.tls12, io);
  }
  return await startClientHandshake(withSessions, io);
}
