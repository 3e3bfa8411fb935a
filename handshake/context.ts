/**
 * What a handshake state may ask of the connection engine. The handshake never touches records or sockets:
 * it asks the engine to send messages and to install keys, through this narrow interface.
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import type { CertificateVerificationError } from "../errors.ts";
import type { PeerCertificate } from "../x509/verifier.ts";
import type { CipherSuiteName, Tls12CipherSuiteName, Tls12Suite, Tls13Suite } from "./constants.ts";
import type { HandshakeMessage } from "./messages.ts";

/**
 * What `TlsConn.handshake()` reports once the handshake is complete.
 *
 * @example
 * ```ts
 * import { connectTls } from "@subtle/tls";
 *
 * const conn = await connectTls({ hostname: "example.com", port: 443, alpnProtocols: ["h2", "http/1.1"] });
 * const info = await conn.handshake();
 * console.log(`${info.protocol} ${info.cipherSuite} ${info.group} ALPN ${info.alpnProtocol}`);
 * console.log(`resumed: ${info.resumed}; server: ${info.peerCertificates[0]?.subject}`);
 * ```
 */
export interface TlsHandshakeInfo {
  /** The negotiated protocol version. */
  readonly protocol: "TLSv1.3" | "TLSv1.2";
  /** IANA name of the negotiated cipher suite (a TLS 1.3 or a TLS 1.2 suite, as `protocol` says). */
  readonly cipherSuite: CipherSuiteName | Tls12CipherSuiteName;
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
  /**
   * On a client with `unsafelyIgnoreCertificateErrors`: why the server's certificate chain failed
   * verification, the failure that option let through. Absent when the chain verified (and on a server).
   */
  readonly ignoredCertificateError?: CertificateVerificationError;
}

/** One direction's TLS 1.2 write key and write IV (the AES-GCM salt or the ChaCha20-Poly1305 IV). */
export interface Tls12TrafficKeys {
  /** The write key. */
  readonly key: Uint8Array;
  /** The write IV: the AES-GCM salt (4 bytes) or the ChaCha20-Poly1305 IV (12). */
  readonly iv: Uint8Array;
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
  /**
   * TLS 1.3 after the handshake (RFC 8446 §4.6.3): queues `keyUpdate` under the current write key and, in the
   * same synchronous step, switches the write key to `secret`, generation `generation` of the application
   * traffic secret (it may still be being derived). Nothing written afterwards goes out under the old key and
   * no two key changes interleave; any generation but the current one + 1 is refused with internal_error.
   * The promise settles when the new key is ready.
   */
  updateWriteSecret(
    suite: Tls13Suite,
    generation: number,
    secret: Promise<Uint8Array>,
    keyUpdate: Uint8Array,
  ): Promise<void>;
  /**
   * TLS 1.3 after the handshake: installs generation `generation` of the peer's application traffic secret
   * (the current one + 1 only) at once, after a KeyUpdate that ended its record (RFC 8446 §4.6.3, §5.1);
   * throws before installing anything otherwise. The promise settles when the new key is ready.
   */
  updateReadSecret(suite: Tls13Suite, generation: number, secret: Promise<Uint8Array>): Promise<void>;
  /** True once this side's close_notify is queued: nothing, not even a KeyUpdate, may follow it (§6.1). */
  readonly closed: boolean;
  /** Reports a secret for the NSS key log (label such as `CLIENT_HANDSHAKE_TRAFFIC_SECRET`). */
  logSecret(label: string, secret: Uint8Array): void;
  /** Reports that the handshake is complete. */
  handshakeComplete(info: TlsHandshakeInfo): void;
  /**
   * The version is TLS 1.2 from now on (RFC 5246): records up to 2^14 + 2048 bytes, ChangeCipherSpec delivered
   * to the state rather than dropped, protected records keep their content type, no KeyUpdate.
   */
  useTls12(): void;
  /**
   * TLS 1.2: installs the read protection of `keys` (on the peer's ChangeCipherSpec). A partial handshake
   * message must not be pending (RFC 5246 §7.1: ChangeCipherSpec falls on a message boundary).
   */
  setReadKeys12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void>;
  /**
   * TLS 1.2: queues a ChangeCipherSpec record under the current write protection and switches the write
   * protection to `keys` right after it, with no other record in between (RFC 5246 §7.1).
   */
  changeWriteCipherSpec12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void>;
  /**
   * TLS 1.3 server, after a ClientHello with early_data answered without accepting 0-RTT (RFC 8446 §4.2.10):
   * drop the application_data records that follow and cannot be deprotected with the read key in force (or
   * come before there is one), up to `maxBytes` of them, until one that can.
   */
  skipEarlyData?(maxBytes: number): void;
}

/** A handshake state: one class per thing it waits for. */
export interface HandshakeState {
  /** Name for errors and traces, e.g. `"ExpectServerHello"`. */
  readonly name: string;
  /** Handles one handshake message and returns the next state; unexpected messages are `unexpected_message`. */
  handle(message: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState>;
  /**
   * TLS 1.2: handles the peer's ChangeCipherSpec (RFC 5246 §7.1). Only the states that wait for one define
   * it, so a ChangeCipherSpec anywhere else is `unexpected_message`, decided by the engine in one place.
   */
  handleChangeCipherSpec?(io: HandshakeIo): Promise<HandshakeState>;
}
