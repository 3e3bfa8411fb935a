/**
 * TLS 1.2 names for the handshake interfaces of `context.ts`, which serve both versions: the engine's
 * {@link HandshakeIo} carries the TLS 1.2 record-layer events — installing a key block per direction and
 * ChangeCipherSpec (RFC 5246 §7.1), which in TLS 1.2 is a record of its own and switches the write keys.
 *
 * The peer's ChangeCipherSpec reaches the states through {@link HandshakeState.handleChangeCipherSpec};
 * only the states that wait for it define that method, so a ChangeCipherSpec anywhere else is
 * `unexpected_message`, decided by the engine in one place.
 *
 * @module
 */

import type { Tls12CipherSuiteName } from "./constants.ts";
import type { HandshakeIo, HandshakeState, TlsHandshakeInfo } from "./context.ts";

export type { Tls12TrafficKeys } from "./context.ts";

/** What `handshake()` reports for a TLS 1.2 connection. */
export interface Tls12HandshakeInfo extends Omit<TlsHandshakeInfo, "protocol" | "cipherSuite"> {
  /** Always TLS 1.2. */
  readonly protocol: "TLSv1.2";
  /** IANA name of the negotiated TLS 1.2 suite. */
  readonly cipherSuite: Tls12CipherSuiteName;
}

/** The engine as a TLS 1.2 handshake sees it: the one {@link HandshakeIo} of both versions. */
export type Tls12HandshakeIo = HandshakeIo;

/** A TLS 1.2 handshake state: a {@link HandshakeState}, with `handleChangeCipherSpec` where it waits for one. */
export type Tls12HandshakeState = HandshakeState;
