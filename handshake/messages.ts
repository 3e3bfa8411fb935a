/**
 * TLS 1.3 handshake message codecs (RFC 8446 §4). Each `decodeX(body)` takes the message body (without the
 * 4-byte handshake header), rejects truncation, trailing bytes, bad lengths and duplicate extensions with a
 * `DecodeError` naming the field, and returns plain data; each `encodeX(msg)` returns the body.
 * `encodeHandshake(type, body)` adds the header.
 *
 * @module
 */

import { DecodeError, Reader, Writer } from "../bytes.ts";

/** A raw extension: its type and its undecoded body. */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** A handshake message as framed: type, body, and the full bytes (header included) for the transcript. */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  /** Header ‖ body, exactly as received or sent. */
  readonly raw: Uint8Array;
}

/** RFC 8446 §4.1.2. */
export interface ClientHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.1.3 (also the HelloRetryRequest, recognised by its random). */
export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionIdEcho: Uint8Array;
  readonly cipherSuite: number;
  readonly legacyCompressionMethod: number;
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.3.1. */
export interface EncryptedExtensions {
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.3.2. */
export interface CertificateRequest {
  readonly certificateRequestContext: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.4.2. */
export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.4.2. */
export interface Certificate {
  readonly certificateRequestContext: Uint8Array;
  readonly certificateList: readonly CertificateEntry[];
}

/** RFC 8446 §4.4.3. */
export interface CertificateVerify {
  readonly algorithm: number;
  readonly signature: Uint8Array;
}

/** RFC 8446 §4.4.4. */
export interface Finished {
  readonly verifyData: Uint8Array;
}

/** RFC 8446 §4.6.1. */
export interface NewSessionTicket {
  readonly ticketLifetime: number;
  readonly ticketAgeAdd: number;
  readonly ticketNonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: readonly Extension[];
}

/** RFC 8446 §4.6.3. */
export interface KeyUpdate {
  readonly requestUpdate: number;
}

function notYet(): never {
  throw new DecodeError("not implemented");
}

/** Prefixes `body` with the 4-byte handshake header (type, uint24 length). */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  return new Writer(body.length + 4).u8(type).vector(3, (w) => w.bytes(body)).finish();
}

/** Reads an extensions block (uint16 length, then extensions); rejects duplicates. */
export function decodeExtensions(r: Reader, field = "extensions"): Extension[] {
  void r;
  void field;
  return notYet();
}

/** Writes an extensions block with its uint16 length. */
export function encodeExtensions(w: Writer, extensions: readonly Extension[]): void {
  void w;
  void extensions;
  notYet();
}

export function encodeClientHello(m: ClientHello): Uint8Array {
  void m;
  return notYet();
}
export function decodeClientHello(body: Uint8Array): ClientHello {
  void body;
  return notYet();
}
export function encodeServerHello(m: ServerHello): Uint8Array {
  void m;
  return notYet();
}
export function decodeServerHello(body: Uint8Array): ServerHello {
  void body;
  return notYet();
}
export function encodeEncryptedExtensions(m: EncryptedExtensions): Uint8Array {
  void m;
  return notYet();
}
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  void body;
  return notYet();
}
export function encodeCertificateRequest(m: CertificateRequest): Uint8Array {
  void m;
  return notYet();
}
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  void body;
  return notYet();
}
export function encodeCertificate(m: Certificate): Uint8Array {
  void m;
  return notYet();
}
export function decodeCertificate(body: Uint8Array): Certificate {
  void body;
  return notYet();
}
export function encodeCertificateVerify(m: CertificateVerify): Uint8Array {
  void m;
  return notYet();
}
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  void body;
  return notYet();
}
export function encodeFinished(m: Finished): Uint8Array {
  void m;
  return notYet();
}
/** `hashLength` is the negotiated hash's output length: verify_data has exactly that length. */
export function decodeFinished(body: Uint8Array, hashLength: number): Finished {
  void body;
  void hashLength;
  return notYet();
}
export function encodeNewSessionTicket(m: NewSessionTicket): Uint8Array {
  void m;
  return notYet();
}
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  void body;
  return notYet();
}
export function encodeKeyUpdate(m: KeyUpdate): Uint8Array {
  void m;
  return notYet();
}
export function decodeKeyUpdate(body: Uint8Array): KeyUpdate {
  void body;
  return notYet();
}
