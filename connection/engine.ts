/**
 * The sans-I/O TLS engine (TLS 1.3, and TLS 1.2 once a handshake state says so: see `engine12.ts`), for
 * either role: TLS bytes in, TLS bytes and plaintext out, never a socket or a timer.
 * It owns the record layer (framing, protection, reassembly, alerts) and drives the handshake states, applying
 * what they ask for through {@link HandshakeIo}.
 *
 * Output records are queued as promises in the order they were produced; the sequence number of each is
 * fixed when it is queued, so several records can be sealed at once and still go out in order.
 *
 * @module
 */

import { toHex } from "../bytes.ts";
import { DecodeError } from "../bytes.ts";
import type { AeadName, CryptoProvider } from "../crypto/provider.ts";
import {
  alertForCertificateError,
  type AlertName,
  CertificateVerificationError,
  TlsAlertError,
  TlsError,
} from "../errors.ts";
import { Connected } from "../handshake/connected13.ts";
import { HandshakeType, type Tls12Suite, type Tls13Suite } from "../handshake/constants.ts";
import type {
  HandshakeIo,
  HandshakeState,
  Tls12TrafficKeys,
  TlsHandshakeInfo,
} from "../handshake/context.ts";
import { trafficKeys } from "../handshake/key_schedule.ts";
import { decodeAlert, encodeAlert } from "../record/alert.ts";
import {
  ContentType,
  encodeRecord,
  MAX_CIPHERTEXT_TLS12,
  MAX_PLAINTEXT,
  RecordReader,
  type TlsRecord,
} from "../record/framing.ts";
import { HandshakeReassembler } from "../record/handshake_reassembler.ts";
import { type InnerPlaintext, Tls13RecordProtection } from "../record/protection13.ts";
import { checkNextGeneration, KeyUsage, type KeyUsageLimits } from "../record/key_usage.ts";
import { describeHandshake } from "../handshake/describe.ts";
import { isErrorAlert, REMOTE_ALERT_HINTS } from "./alerts.ts";
import type { TraceEvent, Tracer } from "./trace.ts";
import {
  changeCipherSpecHandler12,
  type RecordProtection,
  tls12Protection,
  WarningAlerts12,
} from "./engine12.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** How an engine is set up: its crypto, how its handshake begins, and its key log. */
export interface EngineOptions {
  readonly crypto: CryptoProvider;
  /**
   * Starts the handshake and returns the first state: a client sends its ClientHello; a server sends nothing
   * and returns the state that waits for one.
   */
  readonly begin: (io: HandshakeIo) => Promise<HandshakeState>;
  /** Receives each NSS key-log line (without newline). */
  readonly keyLog?: (line: string) => void;
  /** Receives structured trace events (messages, keys by label, alerts, timings). */
  readonly trace?: Tracer;
  /**
   * @internal Replaces the RFC 8446 §5.5 key-usage limits of `record/key_usage.ts` for every AEAD, so that
   * tests reach them in a few records.
   */
  readonly keyUsageLimits?: KeyUsageLimits;
}

/**
 * ChangeCipherSpec records dropped during a TLS 1.3 handshake: one. RFC 8446 §5 has them dropped, and §D.4
 * has a peer in middlebox compatibility mode send exactly one (before its second flight, or after its first
 * handshake message); a second is `unexpected_message`, as in OpenSSL.
 */
export const MAX_CHANGE_CIPHER_SPEC = 1;
/** Most received records whose AEAD opens are in flight together (see `#processPipelined`). */
const MAX_PIPELINED_RECORDS = 32;
/** Most consecutive empty application_data records before the peer is considered abusive. */
const MAX_EMPTY_RECORDS = 32;
/**
 * Most records received before the handshake completes: a backstop, as records that carry handshake bytes are
 * bounded by the messages' caps. It admits the longest ClientHello one byte per record (RFC 8446 §5.1 lets a
 * message span any number of records), twice (after a HelloRetryRequest); what it stops is a stream of records
 * the handshake ignores, such as TLS 1.2 HelloRequests (RFC 5246 §7.4.1.1).
 */
export const MAX_HANDSHAKE_RECORDS = 1 << 19;
/** Most post-handshake messages (NewSessionTicket, KeyUpdate, …) received without application data between. */
export const MAX_POST_HANDSHAKE_MESSAGES = 64;
/** Most user_canceled alerts a connection accepts (RFC 8446 §6.1: one, then close_notify, is the norm). */
export const MAX_USER_CANCELED = 4;
/** legacy_record_version of every record but the initial ClientHello (RFC 8446 §5.1). */
const RECORD_VERSION = 0x0303;
const INITIAL_RECORD_VERSION = 0x0301;

type Phase = "handshaking" | "connected" | "closed";

/** A TLS 1.3 (or, once a handshake state says so, TLS 1.2) connection without I/O. */
export class TlsEngine implements HandshakeIo {
  readonly crypto: CryptoProvider;
  readonly #begin: (io: HandshakeIo) => Promise<HandshakeState>;
  readonly #keyLog?: (line: string) => void;
  readonly #tracer?: Tracer;
  readonly #born = performance.now();
  readonly #reader = new RecordReader();
  readonly #reassembler = new HandshakeReassembler();
  #read: RecordProtection | undefined;
  #write: RecordProtection | undefined;
  /** Generation N of the application traffic secret in use for writing / reading (TLS 1.3, RFC 8446 §7.2). */
  #writeGeneration = 0;
  #readGeneration = 0;
  /** Records protected under the current keys, against RFC 8446 §5.5's limits. */
  readonly #keyUsage: KeyUsage;
  /** Set by `useTls12()`: the records and alerts of RFC 5246 from then on. */
  #tls12 = false;
  readonly #warnings12 = new WarningAlerts12();
  #state: HandshakeState | undefined;
  #phase: Phase = "handshaking";
  #error: TlsError | undefined;
  #output: Array<Uint8Array | Promise<Uint8Array>> = [];
  #plaintext: Uint8Array[] = [];
  #peerClosed = false;
  #sentClose = false;
  #info: TlsHandshakeInfo | undefined;
  #clientRandom: Uint8Array | undefined;
  #changeCipherSpecs = 0;
  #emptyRecords = 0;
  #handshakeRecords = 0;
  #postHandshakeMessages = 0;
  #userCanceled = 0;
  /** Bytes of early data still to skip (RFC 8446 §4.2.10); 0: none is being skipped. */
  #earlyDataBudget = 0;

  constructor(options: EngineOptions) {
    this.crypto = options.crypto;
    this.#begin = options.begin;
    this.#keyLog = options.keyLog;
    this.#tracer = options.trace;
    this.#keyUsage = new KeyUsage(options.keyUsageLimits);
  }

  /** Emits a trace event; a tracer that throws is ignored (tracing never breaks a connection). */
  #trace(event: DistributiveOmit<TraceEvent, "time">): void {
    if (!this.#tracer) return;
    try {
      this.#tracer({ ...event, time: performance.now() - this.#born } as TraceEvent);
    } catch {
      // ignored
    }
  }

  /** The handshake result, once the handshake is complete. */
  get info(): TlsHandshakeInfo | undefined {
    return this.#info;
  }

  /** The first fatal error, if any; the engine stays failed after it. */
  get error(): TlsError | undefined {
    return this.#error;
  }

  /** True once the handshake has completed. */
  get connected(): boolean {
    return this.#phase === "connected" || (this.#phase === "closed" && this.#info !== undefined);
  }

  /** True once the peer's close_notify has been received. */
  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  /** True once this side's close_notify has been queued. */
  get closed(): boolean {
    return this.#sentClose;
  }

  /** Begins the handshake (a client sends its ClientHello). */
  async start(): Promise<void> {
    this.#throwIfFailed();
    try {
      this.#state = await this.#begin(this);
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Takes the records queued for the transport, in order. */
  takeOutput(): Array<Uint8Array | Promise<Uint8Array>> {
    const out = this.#output;
    this.#output = [];
    return out;
  }

  /** Whether records are waiting to be taken. */
  get hasOutput(): boolean {
    return this.#output.length > 0;
  }

  /** Takes the application data received so far. */
  takePlaintext(): Uint8Array[] {
    const out = this.#plaintext;
    this.#plaintext = [];
    return out;
  }

  /** Processes bytes received from the transport. Throws the connection's `TlsError` on a fatal error. */
  async receive(bytes: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    // RFC 8446 §6.1: "any data received after a closure alert has been received MUST be ignored".
    if (this.#peerClosed) return;
    try {
      this.#reader.push(bytes);
      for (let record = this.#reader.next(); record; record = this.#reader.next()) {
        if (this.#phase === "connected" && this.#read && record.type === ContentType.application_data) {
          await this.#processPipelined(record);
        } else {
          await this.#processRecord(record);
        }
        if (this.#peerClosed) break;
      }
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /**
   * Processes `first` and every further complete protected record already buffered (at most
   * {@link MAX_PIPELINED_RECORDS}), with their AEAD opens in flight together: each open fixes its sequence
   * number when it is called, and the records are then processed strictly in order. A record that changes the
   * read key (a KeyUpdate) makes the opens started after it wrong, so those records are opened again under
   * the new key; an open whose result is not used is left to fail quietly.
   */
  async #processPipelined(first: TlsRecord): Promise<void> {
    const records = [first];
    try {
      while (records.length < MAX_PIPELINED_RECORDS) {
        const next = this.#reader.next();
        if (!next) break;
        records.push(next);
      }
    } catch {
      // A malformed header: the records before it are processed first; reading it again throws again.
    }
    let index = 0;
    while (index < records.length) {
      const read = this.#read!;
      const opened: Promise<InnerPlaintext>[] = [];
      for (let i = index; i < records.length && records[i].type === ContentType.application_data; i++) {
        const open = read.open(records[i]);
        open.catch(() => {});
        opened.push(open);
      }
      if (opened.length === 0) {
        // Not protected: #processRecord refuses it with the same error as without pipelining.
        await this.#processRecord(records[index++]);
        continue;
      }
      for (const open of opened) {
        await this.#processRecord(records[index++], open);
        if (this.#peerClosed || this.#read !== read) break;
      }
      if (this.#peerClosed) return;
    }
  }

  /**
   * The transport ended. After the handshake without close_notify this is a truncation (RFC 8446 §6.1);
   * during the handshake it is a failure.
   */
  transportClosed(): void {
    if (this.#peerClosed || this.#error) return;
    const during = this.#phase === "handshaking";
    this.#fail(
      new TlsError(
        during
          ? "the peer closed the connection during the handshake"
          : "the peer closed the connection without close_notify (truncation)",
      ),
      false,
    );
  }

  /** Queues application data, split into records of at most 2^14 bytes. */
  send(data: Uint8Array): void {
    this.#throwIfFailed();
    if (this.#phase !== "connected" || !this.#write) {
      throw new TlsError("cannot write: handshake not complete");
    }
    if (this.#sentClose) throw new TlsError("cannot write after close");
    for (let offset = 0; offset < data.length; offset += MAX_PLAINTEXT) {
      const act = this.#keyUsage.beforeSeal(this.#write.records);
      if (act) this.#writeKeyUsed(act);
      const chunk = data.subarray(offset, Math.min(offset + MAX_PLAINTEXT, data.length));
      this.#output.push(this.#write.seal(ContentType.application_data, chunk));
    }
    if (data.length > 0 && this.#state instanceof Connected) this.#state.applicationDataSent();
  }

  /**
   * The write key has protected as many records as it should (RFC 8446 §5.5, `record/key_usage.ts`): TLS 1.3
   * switches to the next key at once (KeyUpdate); TLS 1.2, which cannot, closes with close_notify and throws.
   */
  #writeKeyUsed(act: "update" | "close"): void {
    if (act === "close") {
      this.close();
      throw this.#keyUsage.closedError();
    }
    // Queued and switched before this returns; a key that cannot be made fails the records sealed under it.
    if (this.#state instanceof Connected) this.#state.updateWriteKey(this, false).catch(() => {});
  }

  /** Queues close_notify (RFC 8446 §6.1). */
  close(): void {
    if (this.#sentClose || this.#error) return;
    this.#sentClose = true;
    this.#queueAlert("close_notify");
  }

  /** Sends a KeyUpdate and switches the write key; `requestPeerUpdate` asks the peer to do the same. */
  async updateKeys(requestPeerUpdate = false): Promise<void> {
    this.#throwIfFailed();
    if (this.#tls12) throw new TlsError("TLS 1.2 has no KeyUpdate: updateKeys() needs a TLS 1.3 connection");
    if (!(this.#state instanceof Connected)) {
      throw new TlsError("cannot update keys before the handshake completes");
    }
    if (this.#sentClose) throw new TlsError("cannot update keys after close");
    try {
      await this.#state.updateWriteKey(this, requestPeerUpdate);
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Aborts the connection with `alert` (e.g. `user_canceled` + close on a cancelled handshake). */
  abort(error: TlsError, alert: AlertName = "internal_error"): TlsError {
    if (this.#error) return this.#error;
    this.#queueAlert(alert);
    this.#error = error;
    this.#phase = "closed";
    return error;
  }

  // ---- HandshakeIo ----

  sendHandshake(message: Uint8Array): void {
    if (this.#tracer) {
      this.#trace({ kind: "message", direction: "sent", message: describeHandshake(message) });
    }
    if (message[0] === HandshakeType.client_hello && !this.#clientRandom) {
      this.#clientRandom = message.slice(6, 38);
      // RFC 8446 §5.1: the initial ClientHello may use 0x0301 as its record version, for compatibility.
      this.#queue(ContentType.handshake, message, INITIAL_RECORD_VERSION);
      return;
    }
    this.#queue(ContentType.handshake, message);
  }

  sendChangeCipherSpec(): void {
    this.#trace({ kind: "change_cipher_spec", direction: "sent" });
    this.#output.push(encodeRecord(ContentType.change_cipher_spec, RECORD_VERSION, new Uint8Array([1])));
  }

  setReadSecret(suite: Tls13Suite, secret: Uint8Array): Promise<void> {
    return this.#installRead13(suite, Promise.resolve(secret));
  }

  setWriteSecret(suite: Tls13Suite, secret: Uint8Array, lastMessage?: Uint8Array): Promise<void> {
    return this.#installWrite13(suite, Promise.resolve(secret), lastMessage);
  }

  updateWriteSecret(
    suite: Tls13Suite,
    generation: number,
    secret: Promise<Uint8Array>,
    keyUpdate: Uint8Array,
  ): Promise<void> {
    checkNextGeneration(
      "write",
      this.#writeGeneration,
      generation,
      !this.#tls12 && this.#phase === "connected",
    );
    if (this.#sentClose) throw new TlsError("cannot update keys after close_notify (RFC 8446 §6.1)");
    this.#writeGeneration = generation;
    return this.#installWrite13(suite, secret, keyUpdate);
  }

  updateReadSecret(suite: Tls13Suite, generation: number, secret: Promise<Uint8Array>): Promise<void> {
    checkNextGeneration(
      "read",
      this.#readGeneration,
      generation,
      !this.#tls12 && this.#phase === "connected",
    );
    const installed = this.#installRead13(suite, secret);
    this.#readGeneration = generation;
    return installed;
  }

  logSecret(label: string, secret: Uint8Array): void {
    this.#trace({ kind: "secret", label, length: secret.length });
    if (!this.#keyLog || !this.#clientRandom) return;
    try {
      this.#keyLog(`${label} ${toHex(this.#clientRandom)} ${toHex(secret)}`);
    } catch {
      // A key log that throws is ignored, as a tracer that throws: it never breaks a connection.
    }
  }

  handshakeComplete(info: TlsHandshakeInfo): void {
    this.#info = info;
    this.#phase = "connected";
    this.#trace({ kind: "handshake_complete" });
  }

  skipEarlyData(maxBytes: number): void {
    this.#earlyDataBudget = maxBytes;
  }

  useTls12(): void {
    this.#tls12 = true;
    this.#reader.maxFragmentLength = MAX_CIPHERTEXT_TLS12;
  }

  async setReadKeys12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void> {
    if (!this.#reassembler.empty) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        "handshake message split across ChangeCipherSpec (RFC 5246 §7.1)",
      );
    }
    this.#useReadKey(await tls12Protection(this.crypto, suite, keys), suite.aead);
  }

  async changeWriteCipherSpec12(suite: Tls12Suite, keys: Tls12TrafficKeys): Promise<void> {
    const next = await tls12Protection(this.crypto, suite, keys);
    this.#trace({ kind: "change_cipher_spec", direction: "sent" });
    this.#queue(ContentType.change_cipher_spec, new Uint8Array([1]));
    this.#useWriteKey(next, suite.aead);
  }

  // ---- internals ----

  /**
   * TLS 1.3: switches the write key to `secret`'s in one synchronous step, after queueing `lastMessage`
   * (Finished, KeyUpdate) under the old one; the records written meanwhile wait for the new key in order.
   */
  #installWrite13(suite: Tls13Suite, secret: Promise<Uint8Array>, lastMessage?: Uint8Array): Promise<void> {
    const next = this.#protection(suite, secret);
    if (lastMessage) this.sendHandshake(lastMessage);
    this.#useWriteKey(next, suite.aead);
    return next.ready;
  }

  /** TLS 1.3: switches the read key to `secret`'s at once; a partial handshake message must not be pending. */
  #installRead13(suite: Tls13Suite, secret: Promise<Uint8Array>): Promise<void> {
    if (!this.#reassembler.empty) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        "handshake message split across a key change (RFC 8446 §5.1)",
      );
    }
    const next = this.#protection(suite, secret);
    this.#useReadKey(next, suite.aead);
    return next.ready;
  }

  #protection(suite: Tls13Suite, secret: Promise<Uint8Array>): Tls13RecordProtection {
    return new Tls13RecordProtection(secret.then(async (s) => {
      const { key, iv } = await trafficKeys(this.crypto, suite, s);
      return { aead: await this.crypto.importAead(suite.aead, key), iv };
    }));
  }

  #useWriteKey(write: RecordProtection, aead: AeadName): void {
    this.#write = write;
    this.#keyUsage.writeKey(aead, this.#tls12);
    this.#trace({ kind: "keys", direction: "write" });
  }

  #useReadKey(read: RecordProtection, aead: AeadName): void {
    this.#read = read;
    this.#keyUsage.readKey(aead, this.#tls12);
    this.#trace({ kind: "keys", direction: "read" });
  }

  #queue(type: number, content: Uint8Array, version = RECORD_VERSION): void {
    for (let offset = 0; offset < content.length || offset === 0; offset += MAX_PLAINTEXT) {
      const chunk = content.subarray(offset, Math.min(offset + MAX_PLAINTEXT, content.length));
      this.#output.push(
        this.#write ? this.#write.seal(type, chunk) : encodeRecord(type, version, chunk),
      );
      if (content.length === 0) break;
    }
  }

  #queueAlert(alert: AlertName): void {
    this.#trace({ kind: "alert", direction: "sent", alert });
    try {
      this.#queue(ContentType.alert, encodeAlert(alert));
    } catch {
      // The write side is unusable (e.g. sequence exhausted); the transport close still tells the peer.
    }
  }

  /**
   * RFC 8446 §4.2.10: whether `record` is early data to drop — an application_data record that does not
   * authenticate under the read key, or comes before there is one, within the budget. The first record that
   * is not (or one over the budget, which then fails as usual) ends the skipping.
   */
  async #skippedEarlyData(record: TlsRecord): Promise<boolean> {
    const skip = record.type === ContentType.application_data &&
      record.fragment.length <= this.#earlyDataBudget &&
      !(this.#read instanceof Tls13RecordProtection && await this.#read.authenticates(record));
    this.#earlyDataBudget = skip ? this.#earlyDataBudget - record.fragment.length : 0;
    return skip;
  }

  /** Processes one record; `opened` is its AEAD open when the caller already started it. */
  async #processRecord(record: TlsRecord, opened?: Promise<InnerPlaintext>): Promise<void> {
    if (this.#phase === "handshaking" && ++this.#handshakeRecords > MAX_HANDSHAKE_RECORDS) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `more than ${MAX_HANDSHAKE_RECORDS} records before the handshake completed`,
      );
    }
    if (record.type === ContentType.change_cipher_spec && !this.#tls12) {
      if (!this.#reassembler.empty) {
        throw new TlsAlertError(
          "unexpected_message",
          "local",
          "change_cipher_spec record between the fragments of a handshake message (RFC 8446 §5.1)",
        );
      }
      // RFC 8446 §5: an unprotected CCS of value 1 during the handshake is dropped; anything else is fatal.
      // It may only come after the first ClientHello was sent or received.
      if (
        this.#phase !== "handshaking" || !this.#clientRandom || record.fragment.length !== 1 ||
        record.fragment[0] !== 1
      ) {
        throw new TlsAlertError(
          "unexpected_message",
          "local",
          "unexpected change_cipher_spec record (RFC 8446 §5)",
        );
      }
      if (++this.#changeCipherSpecs > MAX_CHANGE_CIPHER_SPEC) {
        throw new TlsAlertError(
          "unexpected_message",
          "local",
          "a second change_cipher_spec record in the handshake (RFC 8446 §D.4: a peer sends one)",
        );
      }
      this.#trace({ kind: "change_cipher_spec", direction: "received" });
      return;
    }
    if (this.#earlyDataBudget > 0 && !opened && await this.#skippedEarlyData(record)) return;
    let type = record.type;
    let content = record.fragment;
    if (this.#read) {
      // TLS 1.2 records keep their real type under protection (RFC 5246 §6.2.3); TLS 1.3 ones do not.
      if (type !== ContentType.application_data && !this.#tls12) {
        // A peer that could not accept our ServerHello has no keys: its alert comes in plaintext (RFC 8446 §6).
        if (type === ContentType.alert && this.#phase === "handshaking") {
          return this.#receiveAlert(content, true);
        }
        throw new TlsAlertError(
          "unexpected_message",
          "local",
          `unprotected record of type ${type} after keys are in use`,
        );
      }
      ({ type, content } = await (opened ?? this.#read.open(record)));
      // RFC 8446 §5.5: a TLS 1.3 peer whose key protected many records is asked to update it.
      if (this.#keyUsage.opened() && this.#state instanceof Connected && !this.#sentClose) {
        this.#state.updateWriteKey(this, true).catch(() => {});
      }
    } else if (content.length > MAX_PLAINTEXT) {
      throw new TlsAlertError(
        "record_overflow",
        "local",
        `unprotected record of ${content.length} bytes exceeds 2^14 bytes (RFC 8446 §5.1, RFC 5246 §6.2.1)`,
      );
    } else if (type === ContentType.application_data) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        "application data before the handshake keys (RFC 8446 §5)",
      );
    }
    if (this.#tls12) {
      if (type !== ContentType.alert) this.#warnings12.reset();
      if (type === ContentType.change_cipher_spec) {
        this.#trace({ kind: "change_cipher_spec", direction: "received" });
        const handle = changeCipherSpecHandler12(content, this.#reassembler.empty, this.#state);
        this.#state = await handle(this);
        return;
      }
    }
    switch (type) {
      case ContentType.alert:
        return this.#receiveAlert(content);
      case ContentType.handshake:
        this.#reassembler.push(content);
        for (let m = this.#reassembler.next(); m; m = this.#reassembler.next()) {
          if (!this.#state) {
            throw new TlsAlertError("unexpected_message", "local", "handshake message before start");
          }
          if (m.type === HandshakeType.client_hello && !this.#clientRandom) {
            this.#clientRandom = m.body.slice(2, 34);
          }
          if (this.#tracer) {
            this.#trace({ kind: "message", direction: "received", message: describeHandshake(m.raw) });
          }
          if (this.#phase === "connected" && ++this.#postHandshakeMessages > MAX_POST_HANDSHAKE_MESSAGES) {
            throw new TlsAlertError(
              "unexpected_message",
              "local",
              `more than ${MAX_POST_HANDSHAKE_MESSAGES} post-handshake messages without application data`,
            );
          }
          this.#state = await this.#state.handle(m, this);
        }
        return;
      case ContentType.application_data:
        if (this.#phase !== "connected") {
          throw new TlsAlertError(
            "unexpected_message",
            "local",
            "application data before the handshake completed",
          );
        }
        if (!this.#reassembler.empty) {
          throw new TlsAlertError(
            "unexpected_message",
            "local",
            "application data inside a handshake message (RFC 8446 §5.1)",
          );
        }
        if (content.length === 0) {
          if (++this.#emptyRecords > MAX_EMPTY_RECORDS) {
            throw new TlsAlertError("unexpected_message", "local", "too many empty application_data records");
          }
          return;
        }
        this.#emptyRecords = 0;
        this.#postHandshakeMessages = 0;
        if (this.#state instanceof Connected) this.#state.applicationDataReceived();
        this.#plaintext.push(content);
        return;
      default:
        throw new TlsAlertError(
          "unexpected_message",
          "local",
          `record of content type ${type} (RFC 8446 §5)`,
        );
    }
  }

  /** A received alert; `unprotected` when a TLS 1.3 peer sent it in plaintext after we switched keys. */
  #receiveAlert(content: Uint8Array, unprotected = false): void {
    const alert = decodeAlert(content);
    this.#trace({ kind: "alert", direction: "received", alert: alert.name });
    // The peer's error ends the connection, whatever else is pending, and is reported as the peer's.
    if (unprotected || isErrorAlert(alert, this.#tls12)) {
      const error = new TlsAlertError(
        alert.name,
        "remote",
        unprotected ? "unprotected, during the handshake" : REMOTE_ALERT_HINTS[alert.name] ?? "",
      );
      this.#error = error;
      this.#phase = "closed";
      throw error;
    }
    // RFC 8446 §5.1, RFC 5246 §6.2.1: no other record between the fragments of a handshake message.
    if (!this.#reassembler.empty) {
      throw new TlsAlertError(
        "unexpected_message",
        "local",
        `${alert.name} alert between the fragments of a handshake message (RFC 8446 §5.1)`,
      );
    }
    if (alert.name === "close_notify") {
      if (this.#phase === "handshaking") {
        throw new TlsAlertError(
          "close_notify",
          "remote",
          "the peer closed the connection during the handshake",
        );
      }
      this.#peerClosed = true;
      return;
    }
    if (alert.name === "user_canceled") {
      // RFC 8446 §6.1: a close_notify follows; a stream of user_canceled is a peer keeping us busy.
      if (++this.#userCanceled > MAX_USER_CANCELED) {
        throw new TlsAlertError(
          "unexpected_message",
          "local",
          `more than ${MAX_USER_CANCELED} user_canceled alerts`,
        );
      }
      return;
    }
    // RFC 5246 §7.2.2: in TLS 1.2 a warning leaves the connection up (a few in a row, see engine12.ts).
    if (this.#tls12 && this.#warnings12.ignore(alert)) return;
    // Not reached: every other alert is an error alert.
    const error = new TlsAlertError(alert.name, "remote", "");
    this.#error = error;
    this.#phase = "closed";
    throw error;
  }

  #throwIfFailed(): void {
    if (this.#error) throw this.#error;
  }

  /** Records the first fatal error, queues its alert, and returns the error to throw. */
  #fail(e: unknown, sendAlert = true): TlsError {
    if (this.#error) return this.#error;
    let error: TlsError;
    let alert: AlertName | undefined;
    if (e instanceof TlsAlertError) {
      error = e;
      if (e.source === "local" && !e.alert.startsWith("unknown_alert")) alert = e.alert as AlertName;
    } else if (e instanceof CertificateVerificationError) {
      alert = alertForCertificateError(e.code);
      e.alert = alert;
      error = e;
    } else if (e instanceof DecodeError) {
      alert = "decode_error";
      error = new TlsAlertError("decode_error", "local", `malformed message: ${e.message}`, { cause: e });
    } else if (e instanceof TlsError) {
      error = e;
    } else {
      alert = "internal_error";
      error = new TlsAlertError("internal_error", "local", `internal error: ${(e as Error)?.message ?? e}`, {
        cause: e,
      });
    }
    if (sendAlert && alert) this.#queueAlert(alert);
    this.#error = error;
    this.#phase = "closed";
    return error;
  }
}
