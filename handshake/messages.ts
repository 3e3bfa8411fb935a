/**
 * TLS 1.3 handshake message codecs (RFC 8446 §4). Each `decodeX(body)` takes the message body (without the
 * 4-byte handshake header), rejects truncation, trailing bytes, bad lengths and duplicate extensions with a
 * `DecodeError` naming the field, and returns plain data; each `encodeX(msg)` returns the body.
 * `encodeHandshake(type, body)` adds the header; `decodeHandshake(raw)` and `readHandshake(r)` take it off.
 *
 * Encoders throw a `RangeError` for a message their decoder would reject (a field out of its RFC 8446 §3.4
 * bounds, a duplicate extension), so that what we send always parses. Decoded byte fields are copies, not
 * views into the input.
 *
 * @module
 */

import { DecodeError, Reader, Writer } from "../bytes.ts";
import { ExtensionType, HandshakeType, nameOf } from "./constants.ts";

/** A raw extension: its type and its undecoded body. */
export interface Extension {
  /** extension_type (see `ExtensionType`). */
  readonly type: number;
  /** extension_data, undecoded (`opaque extension_data<0..2^16-1>`). */
  readonly data: Uint8Array;
}

/** A handshake message as framed: type, body, and the full bytes (header included) for the transcript. */
export interface HandshakeMessage {
  /** msg_type (see `HandshakeType`). */
  readonly type: number;
  /** The message body, without the 4-byte header. */
  readonly body: Uint8Array;
  /** Header ‖ body, exactly as received or sent. */
  readonly raw: Uint8Array;
}

/** RFC 8446 §4.1.2. */
export interface ClientHello {
  /** legacy_version: 0x0303 in TLS 1.3. */
  readonly legacyVersion: number;
  /** random: 32 bytes. */
  readonly random: Uint8Array;
  /** `opaque legacy_session_id<0..32>`. */
  readonly legacySessionId: Uint8Array;
  /** `CipherSuite cipher_suites<2..2^16-2>`: at least one suite. */
  readonly cipherSuites: readonly number[];
  /** `opaque legacy_compression_methods<1..2^8-1>`: `[0]` in TLS 1.3. */
  readonly legacyCompressionMethods: Uint8Array;
  /** `Extension extensions<8..2^16-1>`; empty when the block is absent (a pre-TLS 1.3 hello). */
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.1.3 (also the HelloRetryRequest, recognised by its random). */
export interface ServerHello {
  /** legacy_version: 0x0303 in TLS 1.3. */
  readonly legacyVersion: number;
  /** random: 32 bytes; `HELLO_RETRY_REQUEST_RANDOM` for a HelloRetryRequest. */
  readonly random: Uint8Array;
  /** `opaque legacy_session_id_echo<0..32>`: the client's legacy_session_id. */
  readonly legacySessionIdEcho: Uint8Array;
  /** The selected cipher_suite. */
  readonly cipherSuite: number;
  /** legacy_compression_method: 0 in TLS 1.3. */
  readonly legacyCompressionMethod: number;
  /** `Extension extensions<6..2^16-1>`; empty when the block is absent (a pre-TLS 1.3 hello). */
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.3.1. */
export interface EncryptedExtensions {
  /** `Extension extensions<0..2^16-1>`. */
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.3.2. */
export interface CertificateRequest {
  /** `opaque certificate_request_context<0..2^8-1>`: empty during the handshake. */
  readonly certificateRequestContext: Uint8Array;
  /** `Extension extensions<2..2^16-1>`: signature_algorithms is required. */
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.4.2. */
export interface CertificateEntry {
  /** `opaque cert_data<1..2^24-1>`: a DER certificate (or a raw public key, RFC 7250). */
  readonly certData: Uint8Array;
  /** `Extension extensions<0..2^16-1>` for this entry (e.g. status_request). */
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.4.2. */
export interface Certificate {
  /** `opaque certificate_request_context<0..2^8-1>`: echoes the CertificateRequest's context. */
  readonly certificateRequestContext: Uint8Array;
  /** `CertificateEntry certificate_list<0..2^24-1>`: end-entity first. */
  readonly certificateList: readonly CertificateEntry[];
}

/** RFC 8446 §4.4.3. */
export interface CertificateVerify {
  /** The SignatureScheme used. */
  readonly algorithm: number;
  /** `opaque signature<0..2^16-1>`. */
  readonly signature: Uint8Array;
}

/** RFC 8446 §4.4.4. */
export interface Finished {
  /** verify_data: `Hash.length` bytes. */
  readonly verifyData: Uint8Array;
}

/** RFC 8446 §4.6.1. */
export interface NewSessionTicket {
  /** ticket_lifetime in seconds (uint32). */
  readonly ticketLifetime: number;
  /** ticket_age_add (uint32). */
  readonly ticketAgeAdd: number;
  /** `opaque ticket_nonce<0..255>`. */
  readonly ticketNonce: Uint8Array;
  /** `opaque ticket<1..2^16-1>`: the PSK identity for resumption. */
  readonly ticket: Uint8Array;
  /** `Extension extensions<0..2^16-2>` (e.g. early_data). */
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.6.3. */
export interface KeyUpdate {
  /** request_update: update_not_requested(0) or update_requested(1). */
  readonly requestUpdate: number;
}

/** Length of the handshake message header: msg_type (uint8) and length (uint24) (RFC 8446 §4). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/**
 * Most extensions in one extensions block. A browser's ClientHello carries about 20; more than 64 is a peer
 * making us do needless work, and is a DecodeError (so decode_error) like any other out-of-range length.
 */
export const MAX_EXTENSIONS = 64;

// ---------------------------------------------------------------------------------------------------------
// Shared helpers

/** Throws a `RangeError` unless `v` is an integer in 0..max (used by encoders). */
export function checkUint(field: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${field}: ${v} is not in 0..${max}`);
  return v;
}

/** Throws a `RangeError` unless `n` is in min..max (used by encoders, mirroring `Reader.vector`). */
export function checkLength(field: string, n: number, min: number, max: number): void {
  if (n < min || n > max) throw new RangeError(`${field}: length ${n} outside ${min}..${max}`);
}

/** Reads `Extension extensions<min..max>`, rejecting a second extension of one type (RFC 8446 §4.2). */
function readExtensionBlock(r: Reader, field: string, min: number, max: number): Extension[] {
  const readAll = (block: Reader): Extension[] => {
    const out: Extension[] = [];
    const seen = new Set<number>();
    while (block.remaining > 0) {
      if (out.length === MAX_EXTENSIONS) {
        throw new DecodeError(`${field}: more than ${MAX_EXTENSIONS} extensions`);
      }
      const type = block.u16(`${field}.extension_type`);
      const data = block.vector(2, `${field}.extension_data`).slice();
      if (seen.has(type)) {
        throw new DecodeError(`${field}: duplicate ${nameOf(ExtensionType, type)} extension`);
      }
      seen.add(type);
      out.push({ type, data });
    }
    return out;
  };
  return r.sub(2, field, readAll, min, max);
}

/** Writes `Extension extensions<min..max>`; throws a `RangeError` for duplicates or a length out of bounds. */
function writeExtensionBlock(
  w: Writer,
  extensions: readonly Extension[],
  field: string,
  min: number,
  max: number,
): void {
  if (extensions.length > MAX_EXTENSIONS) {
    throw new RangeError(`${field}: ${extensions.length} extensions, more than ${MAX_EXTENSIONS}`);
  }
  const seen = new Set<number>();
  let length = 0;
  for (const e of extensions) {
    checkUint(`${field}.extension_type`, e.type, 0xffff);
    if (seen.has(e.type)) {
      throw new RangeError(`${field}: duplicate ${nameOf(ExtensionType, e.type)} extension`);
    }
    seen.add(e.type);
    checkLength(`${field}.extension_data`, e.data.length, 0, 0xffff);
    length += 4 + e.data.length;
  }
  checkLength(field, length, min, max);
  w.vector(2, (block) => {
    for (const e of extensions) block.u16(e.type).opaque(2, e.data);
  });
}

/** Runs `body` over `bytes` and requires that it consumed them exactly. */
function decodeAll<T>(bytes: Uint8Array, field: string, body: (r: Reader) => T): T {
  const r = new Reader(bytes);
  const value = body(r);
  r.end(field);
  return value;
}

/** Sum of the encoded sizes of `extensions` plus the block's length prefix, as a Writer capacity hint. */
function extensionsSize(extensions: readonly Extension[]): number {
  return extensions.reduce((n, e) => n + 4 + e.data.length, 2);
}

// ---------------------------------------------------------------------------------------------------------
// Framing (RFC 8446 §4)

/** Prefixes `body` with the 4-byte handshake header (type, uint24 length). */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  checkUint("Handshake.msg_type", type, 0xff);
  return new Writer(body.length + 4).u8(type).vector(3, (w) => w.bytes(body)).finish();
}

/**
 * Reads one complete handshake message (header and body) from `r`, leaving `r` after it; for a buffer
 * holding several messages. Throws a `DecodeError` when the message is cut short.
 */
export function readHandshake(r: Reader): HandshakeMessage {
  const type = r.u8("Handshake.msg_type");
  const body = r.vector(3, `Handshake(${nameOf(HandshakeType, type)}).msg`).slice();
  return { type, body, raw: encodeHandshake(type, body) };
}

/**
 * Decodes exactly one complete handshake message, header included; `raw` of the result is a copy of the
 * input, for the transcript.
 *
 * @example
 * ```ts
 * const msg = decodeHandshake(Uint8Array.fromHex("1800000100"));
 * // msg.type === HandshakeType.key_update, decodeKeyUpdate(msg.body).requestUpdate === 0
 * ```
 */
export function decodeHandshake(raw: Uint8Array): HandshakeMessage {
  return decodeAll(raw, "Handshake", readHandshake);
}

/** Reads an extensions block (uint16 length, then extensions); rejects duplicates. */
export function decodeExtensions(r: Reader, field = "extensions"): Extension[] {
  return readExtensionBlock(r, field, 0, 0xffff);
}

/** Writes an extensions block with its uint16 length; throws a `RangeError` for duplicates. */
export function encodeExtensions(w: Writer, extensions: readonly Extension[]): void {
  writeExtensionBlock(w, extensions, "extensions", 0, 0xffff);
}

// ---------------------------------------------------------------------------------------------------------
// Key exchange messages (RFC 8446 §4.1)

/**
 * Encodes a ClientHello body (RFC 8446 §4.1.2). An empty `extensions` list is written as no extensions
 * block at all (the pre-TLS 1.3 form), since an empty block would break `extensions<8..2^16-1>`.
 */
export function encodeClientHello(m: ClientHello): Uint8Array {
  checkLength("ClientHello.random", m.random.length, 32, 32);
  checkLength("ClientHello.legacy_session_id", m.legacySessionId.length, 0, 32);
  checkLength("ClientHello.cipher_suites", m.cipherSuites.length * 2, 2, 0xfffe);
  checkLength("ClientHello.legacy_compression_methods", m.legacyCompressionMethods.length, 1, 0xff);
  const w = new Writer(80 + m.cipherSuites.length * 2 + extensionsSize(m.extensions));
  w.u16(checkUint("ClientHello.legacy_version", m.legacyVersion, 0xffff))
    .bytes(m.random)
    .opaque(1, m.legacySessionId)
    .vector(2, (list) => {
      for (const s of m.cipherSuites) list.u16(checkUint("ClientHello.cipher_suites", s, 0xffff));
    })
    .opaque(1, m.legacyCompressionMethods);
  if (m.extensions.length > 0) writeExtensionBlock(w, m.extensions, "ClientHello.extensions", 8, 0xffff);
  return w.finish();
}

/**
 * Decodes a ClientHello body (RFC 8446 §4.1.2). A ClientHello that ends after
 * legacy_compression_methods (a TLS 1.2-style hello without extensions) decodes with `extensions: []`;
 * a present block must satisfy `extensions<8..2^16-1>`.
 */
export function decodeClientHello(body: Uint8Array): ClientHello {
  return decodeAll(body, "ClientHello", (r) => {
    const legacyVersion = r.u16("ClientHello.legacy_version");
    const random = r.bytes(32, "ClientHello.random").slice();
    const legacySessionId = r.vector(1, "ClientHello.legacy_session_id", 0, 32).slice();
    const suites = r.vector(2, "ClientHello.cipher_suites", 2, 0xfffe);
    if (suites.length % 2 !== 0) {
      throw new DecodeError(`ClientHello.cipher_suites: odd length ${suites.length}`);
    }
    const cipherSuites: number[] = [];
    for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i] << 8) | suites[i + 1]);
    const legacyCompressionMethods = r.vector(1, "ClientHello.legacy_compression_methods", 1, 0xff).slice();
    const extensions = r.remaining === 0 ? [] : readExtensionBlock(r, "ClientHello.extensions", 8, 0xffff);
    return { legacyVersion, random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
  });
}

/**
 * Encodes a ServerHello or HelloRetryRequest body (RFC 8446 §4.1.3). An empty `extensions` list is written
 * as no extensions block (the pre-TLS 1.3 form), since an empty block would break `extensions<6..2^16-1>`.
 */
export function encodeServerHello(m: ServerHello): Uint8Array {
  checkLength("ServerHello.random", m.random.length, 32, 32);
  checkLength("ServerHello.legacy_session_id_echo", m.legacySessionIdEcho.length, 0, 32);
  const w = new Writer(72 + extensionsSize(m.extensions));
  w.u16(checkUint("ServerHello.legacy_version", m.legacyVersion, 0xffff))
    .bytes(m.random)
    .opaque(1, m.legacySessionIdEcho)
    .u16(checkUint("ServerHello.cipher_suite", m.cipherSuite, 0xffff))
    .u8(checkUint("ServerHello.legacy_compression_method", m.legacyCompressionMethod, 0xff));
  if (m.extensions.length > 0) writeExtensionBlock(w, m.extensions, "ServerHello.extensions", 6, 0xffff);
  return w.finish();
}

/**
 * Decodes a ServerHello or HelloRetryRequest body (RFC 8446 §4.1.3). Like a ClientHello, a ServerHello
 * without an extensions block (TLS 1.2 and earlier) decodes with `extensions: []`, so that the caller can
 * answer it with protocol_version; a present block must satisfy `extensions<6..2^16-1>`.
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  return decodeAll(body, "ServerHello", (r) => {
    const legacyVersion = r.u16("ServerHello.legacy_version");
    const random = r.bytes(32, "ServerHello.random").slice();
    const legacySessionIdEcho = r.vector(1, "ServerHello.legacy_session_id_echo", 0, 32).slice();
    const cipherSuite = r.u16("ServerHello.cipher_suite");
    const legacyCompressionMethod = r.u8("ServerHello.legacy_compression_method");
    const extensions = r.remaining === 0 ? [] : readExtensionBlock(r, "ServerHello.extensions", 6, 0xffff);
    return { legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod, extensions };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Server parameters (RFC 8446 §4.3)

/** Encodes an EncryptedExtensions body: `Extension extensions<0..2^16-1>` (RFC 8446 §4.3.1). */
export function encodeEncryptedExtensions(m: EncryptedExtensions): Uint8Array {
  const w = new Writer(extensionsSize(m.extensions));
  writeExtensionBlock(w, m.extensions, "EncryptedExtensions.extensions", 0, 0xffff);
  return w.finish();
}

/** Decodes an EncryptedExtensions body (RFC 8446 §4.3.1). */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  return decodeAll(body, "EncryptedExtensions", (r) => ({
    extensions: readExtensionBlock(r, "EncryptedExtensions.extensions", 0, 0xffff),
  }));
}

/**
 * Encodes a CertificateRequest body (RFC 8446 §4.3.2): `opaque certificate_request_context<0..2^8-1>`,
 * `Extension extensions<2..2^16-1>`.
 */
export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  checkLength("CertificateRequest.certificate_request_context", m.certificateRequestContext.length, 0, 0xff);
  const w = new Writer(1 + m.certificateRequestContext.length + extensionsSize(m.extensions));
  w.opaque(1, m.certificateRequestContext);
  writeExtensionBlock(w, m.extensions, "CertificateRequest.extensions", 2, 0xffff);
  return w.finish();
}

/** Decodes a CertificateRequest body (RFC 8446 §4.3.2). */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  return decodeAll(body, "CertificateRequest", (r) => {
    const certificateRequestContext = r.vector(1, "CertificateRequest.certificate_request_context").slice();
    const extensions = readExtensionBlock(r, "CertificateRequest.extensions", 2, 0xffff);
    return { certificateRequestContext, extensions };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Authentication messages (RFC 8446 §4.4)

/**
 * Encodes a Certificate body (RFC 8446 §4.4.2): `opaque certificate_request_context<0..2^8-1>`,
 * `CertificateEntry certificate_list<0..2^24-1>`, each entry `opaque cert_data<1..2^24-1>` and
 * `Extension extensions<0..2^16-1>`.
 */
export function encodeCertificate(m: Certificate): Uint8Array {
  checkLength("Certificate.certificate_request_context", m.certificateRequestContext.length, 0, 0xff);
  const size = m.certificateList.reduce(
    (n, e) => n + 3 + e.certData.length + extensionsSize(e.extensions),
    4,
  );
  const w = new Writer(size + m.certificateRequestContext.length);
  w.opaque(1, m.certificateRequestContext).vector(3, (list) => {
    for (const entry of m.certificateList) {
      checkLength("CertificateEntry.cert_data", entry.certData.length, 1, 0xffffff);
      list.opaque(3, entry.certData);
      writeExtensionBlock(list, entry.extensions, "CertificateEntry.extensions", 0, 0xffff);
    }
  });
  return w.finish();
}

/** Decodes a Certificate body (RFC 8446 §4.4.2); each entry's extensions are checked for duplicates. */
export function decodeCertificate(body: Uint8Array): Certificate {
  return decodeAll(body, "Certificate", (r) => {
    const certificateRequestContext = r.vector(1, "Certificate.certificate_request_context").slice();
    const certificateList = r.sub(3, "Certificate.certificate_list", (list) => {
      const entries: CertificateEntry[] = [];
      while (list.remaining > 0) {
        const certData = list.vector(3, "CertificateEntry.cert_data", 1, 0xffffff).slice();
        const extensions = readExtensionBlock(list, "CertificateEntry.extensions", 0, 0xffff);
        entries.push({ certData, extensions });
      }
      return entries;
    });
    return { certificateRequestContext, certificateList };
  });
}

/** Encodes a CertificateVerify body (RFC 8446 §4.4.3): algorithm, `opaque signature<0..2^16-1>`. */
export function encodeCertificateVerify(m: CertificateVerify): Uint8Array {
  checkLength("CertificateVerify.signature", m.signature.length, 0, 0xffff);
  return new Writer(4 + m.signature.length)
    .u16(checkUint("CertificateVerify.algorithm", m.algorithm, 0xffff))
    .opaque(2, m.signature)
    .finish();
}

/** Decodes a CertificateVerify body (RFC 8446 §4.4.3). */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  return decodeAll(body, "CertificateVerify", (r) => {
    const algorithm = r.u16("CertificateVerify.algorithm");
    const signature = r.vector(2, "CertificateVerify.signature").slice();
    return { algorithm, signature };
  });
}

/** Encodes a Finished body (RFC 8446 §4.4.4): the verify_data itself, with no length prefix. */
export function encodeFinished(m: Finished): Uint8Array {
  return m.verifyData.slice();
}

/** `hashLength` is the negotiated hash's output length: verify_data has exactly that length. */
export function decodeFinished(body: Uint8Array, hashLength: number): Finished {
  if (body.length !== hashLength) {
    throw new DecodeError(`Finished.verify_data: ${body.length} bytes, expected ${hashLength}`);
  }
  return { verifyData: body.slice() };
}

// ---------------------------------------------------------------------------------------------------------
// Post-handshake messages (RFC 8446 §4.6)

/**
 * Encodes a NewSessionTicket body (RFC 8446 §4.6.1): uint32 ticket_lifetime, uint32 ticket_age_add,
 * `opaque ticket_nonce<0..255>`, `opaque ticket<1..2^16-1>`, `Extension extensions<0..2^16-2>`.
 */
export function encodeNewSessionTicket(m: NewSessionTicket): Uint8Array {
  checkLength("NewSessionTicket.ticket_nonce", m.ticketNonce.length, 0, 0xff);
  checkLength("NewSessionTicket.ticket", m.ticket.length, 1, 0xffff);
  const w = new Writer(11 + m.ticketNonce.length + m.ticket.length + extensionsSize(m.extensions));
  w.u32(checkUint("NewSessionTicket.ticket_lifetime", m.ticketLifetime, 0xffffffff))
    .u32(checkUint("NewSessionTicket.ticket_age_add", m.ticketAgeAdd, 0xffffffff))
    .opaque(1, m.ticketNonce)
    .opaque(2, m.ticket);
  writeExtensionBlock(w, m.extensions, "NewSessionTicket.extensions", 0, 0xfffe);
  return w.finish();
}

/**
 * Decodes a NewSessionTicket body (RFC 8446 §4.6.1). The lifetime is not checked against the 7-day limit:
 * that is the client's policy, not the encoding.
 */
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  return decodeAll(body, "NewSessionTicket", (r) => {
    const ticketLifetime = r.u32("NewSessionTicket.ticket_lifetime");
    const ticketAgeAdd = r.u32("NewSessionTicket.ticket_age_add");
    const ticketNonce = r.vector(1, "NewSessionTicket.ticket_nonce", 0, 0xff).slice();
    const ticket = r.vector(2, "NewSessionTicket.ticket", 1, 0xffff).slice();
    const extensions = readExtensionBlock(r, "NewSessionTicket.extensions", 0, 0xfffe);
    return { ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
  });
}

/** Encodes a KeyUpdate body (RFC 8446 §4.6.3); `requestUpdate` must be 0 or 1. */
export function encodeKeyUpdate(m: KeyUpdate): Uint8Array {
  if (m.requestUpdate !== 0 && m.requestUpdate !== 1) {
    throw new RangeError(`KeyUpdate.request_update: ${m.requestUpdate} is not 0 or 1`);
  }
  return Uint8Array.of(m.requestUpdate);
}

/**
 * Decodes a KeyUpdate body (RFC 8446 §4.6.3). A request_update other than update_not_requested(0) or
 * update_requested(1) is a DecodeError (the RFC asks for illegal_parameter, which the connected state sends).
 */
export function decodeKeyUpdate(body: Uint8Array): KeyUpdate {
  return decodeAll(body, "KeyUpdate", (r) => {
    const requestUpdate = r.u8("KeyUpdate.request_update");
    if (requestUpdate !== 0 && requestUpdate !== 1) {
      throw new DecodeError(`KeyUpdate.request_update: ${requestUpdate} is not 0 or 1`);
    }
    return { requestUpdate };
  });
}
