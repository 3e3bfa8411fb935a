/**
 * What a TLS 1.2 handshake state may ask of the connection engine: the TLS 1.3 {@link HandshakeIo} minus its
 * TLS 1.3 key installation, plus the TLS 1.2 record-layer events — installing a key block per direction and
 * ChangeCipherSpec (RFC 5246 §7.1), which in TLS 1.2 is a record of its own and switches the write keys.
 *
 * The peer's ChangeCipherSpec reaches the states through {@link Tls12HandshakeState.handleChangeCipherSpec};
 * only the states that wait for it define that method, so a ChangeCipherSpec anywhere else is
 * `unexpected_message`, decided by the engine in one place.
 *
 * @module
 */

import type { CipherSuiteName, Tls12CipherSuiteName, Tls12Suite } from "./constants.ts";
import type { HandshakeIo, TlsHandshakeInfo } from "./context.ts";
import type { HandshakeMessage } from "./messages.ts";

/** One direction's TLS 1.2 write key and write IV (the AES-GCM salt or the ChaCha20-Poly1305 IV). */
export interface Tls12TrafficKeys {
  /** The write key. */
  readonly key: Uint8Array;
  /** The write IV: the AES-GCM salt (4 bytes) or the ChaCha20-Poly1305 IV (12). */
  readonly iv: Uint8Array;
}

/** What `handshake()` reports for a TLS 1.2 connection. */
export interface Tls12HandshakeInfo extends Omit<TlsHandshakeInfo, "protocol" | "cipherSuite"> {
  /** Always TLS 1.2. */
  readonly protocol: "TLSv1.2";
  /** IANA name of the negotiated TLS 1.2 suite. */
  readonly cipherSuite: Tls12CipherSuiteName;
}

/** The handshake info of either version; `TlsHandshakeInfo.cipherSuite` widens to this in the integration. */
export type AnyHandshakeInfo = TlsHandshakeInfo | Tls12HandshakeInfo;

/** The engine calls a TLS 1.2 handshake relies on, beyond those of TLS 1.3. */
export interface Tls12IoAdditions {
  /**
   * The version is TLS 1.2 from now on: records up to 2^14 + 2048 bytes, ChangeCipherSpec delivered to the
   * state rather than dropped, protected records keep their content type, no KeyUpdate.
   */
  useTls12(): void;
  /**
   * Installs the read protection of `keys` (called on the peer's ChangeCipherSpec). A partial handshake
   * message must not be pending (RFC 5246 §7.1: ChangeCipherSpec falls on a message boundary).
   */
  setReadKeys12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void>;
  /**
   * Queues a ChangeCipherSpec record under the current write protection and switches the write protection
   * to `keys` right after it, with no other record in between (RFC 5246 §7.1).
   */
  changeWriteCipherSpec12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void>;
}

/** The engine as a TLS 1.2 handshake sees it. */
export interface Tls12HandshakeIo
  extends Omit<HandshakeIo, "handshakeComplete" | "setReadSecret" | "setWriteSecret">, Tls12IoAdditions {
  /** Reports that the handshake is complete. */
  handshakeComplete(info: Tls12HandshakeInfo): void;
}

/** A TLS 1.2 handshake state: one class per thing it waits for. */
export interface Tls12HandshakeState {
  /** Name for errors and traces, e.g. `"ExpectServerKeyExchange"`. */
  readonly name: string;
  /** Handles one handshake message; one the state does not expect is `unexpected_message`. */
  handle(message: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState>;
  /** Present only on states that wait for the peer's ChangeCipherSpec. */
  handleChangeCipherSpec?(io: Tls12HandshakeIo): Promise<Tls12HandshakeState>;
}

/** Name of a suite of either version. */
export type AnyCipherSuiteName = CipherSuiteName | Tls12CipherSuiteName;
