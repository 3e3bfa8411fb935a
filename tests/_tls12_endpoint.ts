/**
 * A test driver for TLS 1.2 handshakes over the real engine (`connection/engine.ts`): each endpoint is a
 * `TlsEngine` whose handshake states are watched (every handshake message type received, and "CCS" for each
 * ChangeCipherSpec), whose key log is kept, and whose output is taken as bytes — so that the TLS 1.2 state
 * machines can run against each other in memory, with a man in the middle changing what they send.
 *
 * @module
 */

import { concat, fromHex } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsEngine } from "../connection/engine.ts";
import type { CertifiedKey } from "../handshake/certified_key.ts";
import type { ClientConfig } from "../handshake/client_config.ts";
import { startTls12Client } from "../handshake/client12_hello.ts";
import { TLS12_SUITES, TLS13_SUITES } from "../handshake/constants.ts";
import type { Tls12ClientConfig, Tls12ServerConfig } from "../handshake/config12.ts";
import type { HandshakeIo, HandshakeState, TlsHandshakeInfo } from "../handshake/context.ts";
import { answerTls12ClientHello } from "../handshake/server12_hello.ts";
import type { ServerConfig } from "../handshake/server_config.ts";
import { SessionTicketKeys } from "../handshake/ticket_keys.ts";
import {
  ContentType,
  encodeRecord,
  MAX_CIPHERTEXT_TLS12,
  RecordReader,
  type TlsRecord,
} from "../record/framing.ts";
import { encodeHandshake } from "../handshake/messages.ts";
import type { CertificateVerifier } from "../x509/verifier.ts";

/** What an endpoint saw: each handshake message type, and "CCS" for each ChangeCipherSpec. */
type Received = (number | "CCS")[];

/** `state` with every message and ChangeCipherSpec it handles written to `received`, and so its successors. */
function watched(state: HandshakeState, received: Received): HandshakeState {
  const out: HandshakeState = {
    name: state.name,
    handle: async (m, io) => {
      received.push(m.type);
      return watched(await state.handle(m, io), received);
    },
  };
  const ccs = state.handleChangeCipherSpec?.bind(state);
  if (ccs) {
    out.handleChangeCipherSpec = async (io) => {
      received.push("CCS");
      return watched(await ccs(io), received);
    };
  }
  return out;
}

/** One side of a connection: a `TlsEngine` driven by hand. */
export class Tls12Endpoint {
  /** The engine under test. */
  readonly engine: TlsEngine;
  /** Key-log secrets by label (`CLIENT_RANDOM` → master secret). */
  readonly secrets = new Map<string, Uint8Array>();
  /** Application data received, chunk by chunk. */
  readonly plaintext: Uint8Array[] = [];
  /** Every handshake message type received, in order, and "CCS" for ChangeCipherSpec records. */
  readonly received: Received = [];
  readonly #started: Promise<void>;

  /** `begin` sends what the side sends first and returns its first state, as `EngineOptions.begin`. */
  constructor(crypto: CryptoProvider, begin: (io: HandshakeIo) => HandshakeState | Promise<HandshakeState>) {
    this.engine = new TlsEngine({
      crypto,
      begin: async (io) => watched(await begin(io), this.received),
      keyLog: (line) => {
        const [label, , secret] = line.split(" ");
        this.secrets.set(label, fromHex(secret));
      },
    });
    this.#started = this.engine.start();
    this.#started.catch(() => {});
  }

  /** The handshake result, once complete. */
  get info(): TlsHandshakeInfo | undefined {
    return this.engine.info;
  }

  /** Whether the handshake completed with TLS 1.2. */
  get usedTls12(): boolean {
    return this.engine.info?.protocol === "TLSv1.2";
  }

  /** Whether the peer's close_notify arrived. */
  get peerClosed(): boolean {
    return this.engine.peerClosed;
  }

  /** Queues application data (after the handshake). */
  send(data: Uint8Array): void {
    this.engine.send(data);
  }

  /** Queues a raw handshake message under the current protection (for renegotiation attempts). */
  sendHandshake(message: Uint8Array): void {
    this.engine.sendHandshake(message);
  }

  /** The records queued so far, as bytes. */
  async takeOutput(): Promise<Uint8Array> {
    await this.#started;
    return concat(...await Promise.all(this.engine.takeOutput()));
  }

  /** Processes bytes from the peer; throws the engine's error (after queueing its alert). */
  async receive(bytes: Uint8Array): Promise<void> {
    await this.#started;
    try {
      await this.engine.receive(bytes);
    } finally {
      this.plaintext.push(...this.engine.takePlaintext());
    }
  }
}

/**
 * Pumps records between two endpoints until neither has anything to send; throws the first failure.
 * `tamper`, when given, sees (and may replace) every flight on its way, as a man in the middle would.
 */
export async function pump(
  a: Tls12Endpoint,
  b: Tls12Endpoint,
  tamper?: (from: Tls12Endpoint, bytes: Uint8Array) => Uint8Array,
): Promise<void> {
  for (let round = 0; round < 20; round++) {
    let fromA = await a.takeOutput();
    if (fromA.length > 0) await b.receive(tamper ? (fromA = tamper(a, fromA)) : fromA);
    let fromB = await b.takeOutput();
    if (fromB.length > 0) await a.receive(tamper ? (fromB = tamper(b, fromB)) : fromB);
    if (fromA.length === 0 && fromB.length === 0) return;
  }
  throw new Error("pump: no quiescence after 20 rounds");
}

/** The records in `bytes`. */
export function splitRecords(bytes: Uint8Array): TlsRecord[] {
  const reader = new RecordReader(MAX_CIPHERTEXT_TLS12);
  reader.push(bytes);
  const out: TlsRecord[] = [];
  for (let r = reader.next(); r; r = reader.next()) out.push(r);
  return out;
}

/**
 * `bytes` with the plaintext handshake message of type `type` (alone in its record) replaced by what
 * `rewrite` makes of its body, or removed when `rewrite` returns undefined.
 */
export function rewriteHandshake(
  bytes: Uint8Array,
  type: number,
  rewrite: (body: Uint8Array) => Uint8Array | undefined,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let found = false;
  for (const record of splitRecords(bytes)) {
    if (record.type === ContentType.handshake && record.fragment[0] === type && !found) {
      found = true;
      const body = rewrite(record.fragment.subarray(4));
      if (body !== undefined) {
        parts.push(encodeRecord(record.type, record.version, encodeHandshake(type, body)));
      }
      continue;
    }
    parts.push(concat(record.header, record.fragment));
  }
  if (!found) throw new Error(`no handshake message of type ${type} in the flight`);
  return concat(...parts);
}

/** A client endpoint that sends a TLS 1.2-only ClientHello. */
export function tls12Client(config: ClientConfig, config12: Tls12ClientConfig): Tls12Endpoint {
  return new Tls12Endpoint(config.crypto, (io) => startTls12Client(config, config12, io));
}

/** A server endpoint that answers a ClientHello with TLS 1.2. */
export function tls12Server(config: ServerConfig, config12: Tls12ServerConfig): Tls12Endpoint {
  return new Tls12Endpoint(config.crypto, () => ({
    name: "ExpectClientHello12",
    handle: (m, io) => answerTls12ClientHello(config, config12, m, io),
  }));
}

/** A client configuration for tests (TLS 1.3 fields filled with defaults). */
export function clientConfig(
  verifier: CertificateVerifier,
  overrides: Partial<ClientConfig> = {},
): ClientConfig {
  return {
    crypto: webCrypto,
    serverName: "localhost",
    sni: "localhost",
    suites: TLS13_SUITES,
    groups: ["X25519", "P-256", "P-384"],
    keyShareGroups: ["X25519"],
    alpnProtocols: [],
    verifier,
    unsafelyIgnoreCertificateErrors: false,
    now: () => new Date(),
    middleboxCompat: false,
    ...overrides,
  };
}

/** TLS 1.2 client settings for tests: every ECDHE suite, EMS required, tickets offered. */
export function client12Config(overrides: Partial<Tls12ClientConfig> = {}): Tls12ClientConfig {
  return {
    suites: TLS12_SUITES.filter((s) => s.keyExchange !== "RSA"),
    requireExtendedMasterSecret: true,
    offeredTls13: false,
    sessionTickets: true,
    ...overrides,
  };
}

/** A server configuration for tests. */
export function serverConfig(
  certificates: CertifiedKey[],
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  return {
    crypto: webCrypto,
    suites: TLS13_SUITES,
    groups: ["X25519", "P-256", "P-384"],
    alpnProtocols: [],
    certificates,
    clientAuth: "none",
    clientCaNames: [],
    now: () => new Date(),
    cookieKey: new Uint8Array(32),
    ...overrides,
  };
}

/** The ticket keys of every {@link server12Config}, so that one test server resumes another's tickets. */
const TEST_TICKET_KEYS = new SessionTicketKeys({ lifetime: 3600 });

/** TLS 1.2 server settings for tests: every ECDHE suite, EMS required, tickets issued. */
export function server12Config(overrides: Partial<Tls12ServerConfig> = {}): Tls12ServerConfig {
  return {
    suites: TLS12_SUITES.filter((s) => s.keyExchange !== "RSA"),
    requireExtendedMasterSecret: true,
    supportsTls13: false,
    ticketKeys: TEST_TICKET_KEYS,
    ticketLifetime: 3600,
    ...overrides,
  };
}
