/**
 * A test-only TLS 1.2 endpoint: the smallest record layer that implements {@link Tls12HandshakeIo} — real
 * framing (`RecordReader`), real TLS 1.2 record protection, handshake reassembly and alerts — so that the
 * TLS 1.2 state machines can run against each other in memory, or against a real peer over TCP, before
 * they are wired into the connection engine. It mirrors what the engine integration must do.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { type AlertName, TlsAlertError } from "../errors.ts";
import type { CertifiedKey } from "../handshake/certified_key.ts";
import type { ClientConfig } from "../handshake/client_config.ts";
import { startTls12Client } from "../handshake/client12_hello.ts";
import { TLS12_SUITES, type Tls12Suite, TLS13_SUITES } from "../handshake/constants.ts";
import type { Tls12ClientConfig, Tls12ServerConfig } from "../handshake/config12.ts";
import type {
  Tls12HandshakeInfo,
  Tls12HandshakeIo,
  Tls12HandshakeState,
  Tls12TrafficKeys,
} from "../handshake/context12.ts";
import { answerTls12ClientHello } from "../handshake/server12_hello.ts";
import type { ServerConfig } from "../handshake/server_config.ts";
import { decodeAlert, encodeAlert } from "../record/alert.ts";
import {
  ContentType,
  encodeRecord,
  MAX_CIPHERTEXT_TLS12,
  MAX_PLAINTEXT,
  RecordReader,
  type TlsRecord,
} from "../record/framing.ts";
import { encodeHandshake } from "../handshake/messages.ts";
import { HandshakeReassembler } from "../record/handshake_reassembler.ts";
import { Tls12RecordProtection } from "../record/protection12.ts";
import type { CertificateVerifier } from "../x509/verifier.ts";

/** One side of a TLS 1.2 connection, without I/O. */
export class Tls12Endpoint implements Tls12HandshakeIo {
  readonly crypto: CryptoProvider;
  state: Tls12HandshakeState;
  info: Tls12HandshakeInfo | undefined;
  /** Key-log secrets by label (`CLIENT_RANDOM` → master secret). */
  readonly secrets = new Map<string, Uint8Array>();
  readonly plaintext: Uint8Array[] = [];
  /** Every handshake message type received, in order, and "CCS" for ChangeCipherSpec records. */
  readonly received: (number | "CCS")[] = [];
  usedTls12 = false;
  peerClosed = false;
  #reader = new RecordReader(MAX_CIPHERTEXT_TLS12);
  #reassembler = new HandshakeReassembler();
  #read: Tls12RecordProtection | undefined;
  #write: Tls12RecordProtection | undefined;
  #out: Promise<Uint8Array>[] = [];

  constructor(crypto: CryptoProvider, begin: (io: Tls12Endpoint) => Tls12HandshakeState) {
    this.crypto = crypto;
    this.state = { name: "Starting", handle: () => Promise.reject(new Error("not started")) };
    this.state = begin(this);
  }

  // ---- Tls12HandshakeIo ----
  sendHandshake(message: Uint8Array): void {
    this.#queue(ContentType.handshake, message);
  }
  sendChangeCipherSpec(): void {
    this.#queue(ContentType.change_cipher_spec, new Uint8Array([1]));
  }
  useTls12(): void {
    this.usedTls12 = true;
  }
  async setReadKeys12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void> {
    if (!this.#reassembler.empty) {
      throw new TlsAlertError("unexpected_message", "local", "CCS inside a message");
    }
    this.#read = new Tls12RecordProtection(await this.crypto.importAead(suite.aead, keys.key), keys.iv);
  }
  async changeWriteCipherSpec12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void> {
    const next = new Tls12RecordProtection(await this.crypto.importAead(suite.aead, keys.key), keys.iv);
    this.sendChangeCipherSpec();
    this.#write = next;
  }
  logSecret(label: string, secret: Uint8Array): void {
    this.secrets.set(label, secret);
  }
  handshakeComplete(info: Tls12HandshakeInfo): void {
    this.info = info;
  }

  // ---- driving ----
  #queue(type: number, content: Uint8Array): void {
    for (let offset = 0; offset < content.length || offset === 0; offset += MAX_PLAINTEXT) {
      const chunk = content.subarray(offset, Math.min(offset + MAX_PLAINTEXT, content.length));
      this.#out.push(
        this.#write ? this.#write.seal(type, chunk) : Promise.resolve(encodeRecord(type, 0x0303, chunk)),
      );
      if (content.length === 0) break;
    }
  }

  /** Queues application data (after the handshake). */
  send(data: Uint8Array): void {
    if (!this.info) throw new Error("handshake not complete");
    this.#queue(ContentType.application_data, data);
  }

  /** Queues an alert (e.g. the one a failed handshake sends). */
  sendAlert(alert: AlertName): void {
    this.#queue(ContentType.alert, encodeAlert(alert));
  }

  /** The records queued so far, as bytes. */
  async takeOutput(): Promise<Uint8Array> {
    const out = this.#out;
    this.#out = [];
    return concat(...await Promise.all(out));
  }

  /** Processes bytes from the peer; throws the handshake's `TlsAlertError` (after queueing its alert). */
  async receive(bytes: Uint8Array): Promise<void> {
    try {
      this.#reader.push(bytes);
      for (let record = this.#reader.next(); record; record = this.#reader.next()) {
        if (record.type === ContentType.change_cipher_spec) {
          if (
            record.fragment.length !== 1 || record.fragment[0] !== 1 || !this.state.handleChangeCipherSpec
          ) {
            throw new TlsAlertError("unexpected_message", "local", `ChangeCipherSpec in ${this.state.name}`);
          }
          this.received.push("CCS");
          this.state = await this.state.handleChangeCipherSpec(this);
          continue;
        }
        const { type, content } = this.#read
          ? await this.#read.open(record)
          : record.type === ContentType.application_data
          ? (() => {
            throw new TlsAlertError("unexpected_message", "local", "unprotected application data");
          })()
          : { type: record.type, content: record.fragment };
        if (type === ContentType.alert) {
          const alert = decodeAlert(content);
          if (alert.name === "close_notify") {
            this.peerClosed = true;
            return;
          }
          throw new TlsAlertError(alert.name, "remote", "");
        }
        if (type === ContentType.application_data) {
          if (!this.info) throw new TlsAlertError("unexpected_message", "local", "early application data");
          this.plaintext.push(content);
          continue;
        }
        this.#reassembler.push(content);
        for (let m = this.#reassembler.next(); m; m = this.#reassembler.next()) {
          this.received.push(m.type);
          this.state = await this.state.handle(m, this);
        }
      }
    } catch (e) {
      if (e instanceof TlsAlertError && e.source === "local") this.sendAlert(e.alert as AlertName);
      throw e;
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

/** TLS 1.2 server settings for tests: every ECDHE suite, EMS required, tickets issued. */
export function server12Config(overrides: Partial<Tls12ServerConfig> = {}): Tls12ServerConfig {
  return {
    suites: TLS12_SUITES.filter((s) => s.keyExchange !== "RSA"),
    requireExtendedMasterSecret: true,
    supportsTls13: false,
    ticketKey: new Uint8Array(32).fill(7),
    ticketLifetime: 3600,
    ...overrides,
  };
}

/** Writes the endpoint's queued records to `conn`. */
async function flush(endpoint: Tls12Endpoint, conn: Deno.Conn): Promise<void> {
  const out = await endpoint.takeOutput();
  if (out.length > 0) await conn.write(out);
}

/**
 * Runs `endpoint` over a TCP connection until its handshake completes, then sends `request` (if any) and
 * collects application data until the peer closes (close_notify or end of stream) or `until` says enough.
 * On a failure the endpoint's alert is written before the error is thrown.
 */
export async function runOverConnection(
  endpoint: Tls12Endpoint,
  conn: Deno.Conn,
  request: Uint8Array | undefined,
  until: (received: string) => boolean = () => false,
): Promise<string> {
  const buffer = new Uint8Array(65536);
  let received = "";
  let sent = false;
  try {
    for (;;) {
      await flush(endpoint, conn);
      if (endpoint.info && !sent) {
        sent = true;
        if (request) {
          endpoint.send(request);
          await flush(endpoint, conn);
        }
      }
      if (until(received)) break;
      const n = await conn.read(buffer);
      if (n === null) break;
      await endpoint.receive(buffer.slice(0, n));
      for (const chunk of endpoint.plaintext.splice(0)) received += new TextDecoder().decode(chunk);
      if (endpoint.peerClosed) break;
    }
  } catch (e) {
    await flush(endpoint, conn).catch(() => {});
    throw e;
  }
  return received;
}
