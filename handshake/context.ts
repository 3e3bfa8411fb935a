/**
 * What a handshake state may ask of the connection engine. The handshake never touches records or sockets:
 * it asks the engine to send messages and to install keys, through this narrow interface.
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import type { PeerCertificate } from "../x509/verifier.ts";
import type { CipherSuiteName, Tls13Suite } from "./constants.ts";
import type { HandshakeMessage } from "./messages.ts";

/** What `TlsConn.handshake()` reports once the handshake is complete. */
export interface TlsHandshakeInfo {
  /** The negotiated protocol version. */
  readonly protocol: "TLSv1.3" | "TLSv1.2";
  /** IANA name of the negotiated cipher suite. */
  readonly cipherSuite: CipherSuiteName;
  /** The key-exchange group, e.g. `"X25519"`, or `null` when none was used. */
  readonly group: string | null;
  /** The ALPN protocol the peers agreed on, or `null`. */
  readonly alpnProtocol: string | null;
  /** The server name the client asked for (SNI), or `null` when none was sent — on either side. */
  readonly serverName: string | null;
  /**
   * The peer's certificates, leaf first, as it sent them: on a client the server's chain; on a server the
   * client's chain, empty when the server did not ask for one or the client sent none.
   */
  readonly peerCertificates: readonly PeerCertificate[];
  /** Whether the session was resumed from a ticket. */
  readonly resumed: boolean;
}

/** The engine side of the handshake: I/O and key installation, applied in the order they are asked for. */
export interface HandshakeIo {
  readonly crypto: CryptoProvider;
  /** Queues a handshake message (header included) under the current write protection. */
  sendHandshake(message: Uint8Array): void;
  /** Queues a plaintext ChangeCipherSpec record (middlebox compatibility, RFC 8446 §D.4). */
  sendChangeCipherSpec(): void;
  /** Installs the protection for records read from now on; a partial handshake message must not be pending. */
  setReadSecret(suite: Tls13Suite, secret: Uint8Array): Promise<void>;
  /**
   * Installs the protection for records written from now on. When `lastMessage` is given it is queued under
   * the old protection immediately before the switch, with no other record in between (KeyUpdate, Finished).
   */
  setWriteSecret(suite: Tls13Suite, secret: Uint8Array, lastMessage?: Uint8Array): Promise<void>;
  /** Reports a secret for the NSS key log (label such as `CLIENT_HANDSHAKE_TRAFFIC_SECRET`). */
  logSecret(label: string, secret: Uint8Array): void;
  /** Reports that the handshake is complete. */
  handshakeComplete(info: TlsHandshakeInfo): void;
}

/** A handshake state: one class per thing it waits for. */
export interface HandshakeState {
  /** Name for errors and traces, e.g. `"ExpectServerHello"`. */
  readonly name: string;
  /** Handles one handshake message and returns the next state; unexpected messages are `unexpected_message`. */
  handle(message: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState>;
}
