/**
 * TLS 1.2 handshake message codecs (RFC 5246 §7.4, RFC 8422 §5, RFC 5077 §3.3), in the style of
 * `messages.ts`: each `decodeX(body)` takes the message body (without the 4-byte header), rejects
 * truncation, trailing bytes and out-of-bounds vectors with a `DecodeError` naming the field, and returns
 * plain data with copied byte fields; each `encodeX(msg)` returns the body and throws a `RangeError` for a
 * value its decoder would reject. `encodeHandshake` / `decodeHandshake` of `messages.ts` frame them.
 *
 * @module
 */

import { DecodeError, Reader, Writer } from "../bytes.ts";
import {
  checkLength,
  checkUint,
  type ClientHello,
  decodeCertificateVerify,
  encodeCertificateVerify,
  type Extension,
} from "./messages.ts";
import { VERIFY_DATA_LENGTH } from "../crypto/tls12_prf.ts";

/** A TLS 1.2 ServerHello (RFC 5246 §7.4.1.3): like TLS 1.3's, but `extensions<0..2^16-1>`. */
export interface ServerHello12 {
  /** server_version. */
  readonly legacyVersion: number;
  /** random: 32 bytes. */
  readonly random: Uint8Array;
  /** `opaque SessionID<0..32>`. */
  readonly legacySessionIdEcho: Uint8Array;
  /** The selected cipher_suite. */
  readonly cipherSuite: number;
  /** The selected compression_method: null (0). */
  readonly legacyCompressionMethod: number;
  /** Empty when the block is absent. */
  readonly extensions: readonly Extension[];
}

/** ServerKeyExchange for ECDHE suites (RFC 8422 §5.4), named curves only, signed (RFC 5246 §7.4.3). */
export interface ServerKeyExchangeEcdhe {
  /** ECParameters.namedcurve (a NamedGroup); curve_type is always named_curve(3). */
  readonly namedCurve: number;
  /** `opaque point<1..2^8-1>`: the server's ephemeral public key. */
  readonly publicKey: Uint8Array;
  /** SignatureAndHashAlgorithm, as a SignatureScheme code. */
  readonly algorithm: number;
  /** `opaque signature<0..2^16-1>`. */
  readonly signature: Uint8Array;
}

/** CertificateRequest (RFC 5246 §7.4.4). */
export interface CertificateRequest12 {
  /** `ClientCertificateType certificate_types<1..2^8-1>`. */
  readonly certificateTypes: readonly number[];
  /** `SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>`. */
  readonly signatureAlgorithms: readonly number[];
  /** `DistinguishedName certificate_authorities<0..2^16-1>`, each `opaque DistinguishedName<1..2^16-1>`. */
  readonly certificateAuthorities: readonly Uint8Array[];
}

/** Certificate (RFC 5246 §7.4.2): `ASN.1Cert certificate_list<0..2^24-1>`, each `opaque ASN.1Cert<1..2^24-1>`. */
export interface Certificate12 {
  /** The certificates, the sender's own first. */
  readonly certificateList: readonly Uint8Array[];
}

/** NewSessionTicket (RFC 5077 §3.3). */
export interface NewSessionTicket12 {
  /** ticket_lifetime_hint in seconds; 0 means unspecified. */
  readonly lifetimeHint: number;
  /** `opaque ticket<0..2^16-1>`. */
  readonly ticket: Uint8Array;
}

/** ClientCertificateType values (RFC 5246 §7.4.4, RFC 8422 §5.5). */
export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

/** ECCurveType named_curve (RFC 8422 §5.4); explicit curves are deprecated and not parsed. */
export const NAMED_CURVE = 3;

function decodeAll<T>(bytes: Uint8Array, field: string, body: (r: Reader) => T): T {
  const r = new Reader(bytes);
  const value = body(r);
  r.end(field);
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// ClientHello, ServerHello (RFC 5246 §7.4.1.2, §7.4.1.3)

/** Reads an optional `Extension extensions<0..2^16-1>` block to the end of `r`, rejecting duplicates. */
function readOptionalExtensions(r: Reader, message: string): Extension[] {
  const extensions: Extension[] = [];
  if (r.remaining === 0) return extensions;
  r.sub(2, `${message}.extensions`, (block) => {
    const seen = new Set<number>();
    while (block.remaining > 0) {
      const type = block.u16(`${message}.extension_type`);
      const data = block.vector(2, `${message}.extension_data`).slice();
      if (seen.has(type)) throw new DecodeError(`${message}.extensions: duplicate extension ${type}`);
      seen.add(type);
      extensions.push({ type, data });
    }
  });
  return extensions;
}

/**
 * Decodes a ClientHello body with the TLS 1.2 bounds (RFC 5246 §7.4.1.2): as `decodeClientHello` of
 * `messages.ts`, but an extensions block shorter than TLS 1.3's minimum of 8 bytes is accepted.
 */
export function decodeClientHello12(body: Uint8Array): ClientHello {
  return decodeAll(body, "ClientHello", (r) => {
    const legacyVersion = r.u16("ClientHello.client_version");
    const random = r.bytes(32, "ClientHello.random").slice();
    const legacySessionId = r.vector(1, "ClientHello.session_id", 0, 32).slice();
    const suites = r.vector(2, "ClientHello.cipher_suites", 2, 0xfffe);
    if (suites.length % 2 !== 0) {
      throw new DecodeError(`ClientHello.cipher_suites: odd length ${suites.length}`);
    }
    const cipherSuites: number[] = [];
    for (let i = 0; i < suites.length; i += 2) cipherSuites.push((suites[i] << 8) | suites[i + 1]);
    const legacyCompressionMethods = r.vector(1, "ClientHello.compression_methods", 1, 0xff).slice();
    const extensions = readOptionalExtensions(r, "ClientHello");
    return { legacyVersion, random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
  });
}

/**
 * Decodes a ServerHello body with the TLS 1.2 bounds: the extensions block is optional and may be shorter
 * than TLS 1.3's minimum of 6 bytes (a lone extended_master_secret is 4). Duplicate extensions are rejected
 * (RFC 5246 §7.4.1.4).
 */
export function decodeServerHello12(body: Uint8Array): ServerHello12 {
  return decodeAll(body, "ServerHello", (r) => {
    const legacyVersion = r.u16("ServerHello.server_version");
    const random = r.bytes(32, "ServerHello.random").slice();
    const legacySessionIdEcho = r.vector(1, "ServerHello.session_id", 0, 32).slice();
    const cipherSuite = r.u16("ServerHello.cipher_suite");
    const legacyCompressionMethod = r.u8("ServerHello.compression_method");
    const extensions = readOptionalExtensions(r, "ServerHello");
    return { legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod, extensions };
  });
}

/** Encodes a TLS 1.2 ServerHello body; an empty `extensions` list is written as no block. */
export function encodeServerHello12(m: ServerHello12): Uint8Array {
  checkLength("ServerHello.random", m.random.length, 32, 32);
  checkLength("ServerHello.session_id", m.legacySessionIdEcho.length, 0, 32);
  const w = new Writer(80);
  w.u16(checkUint("ServerHello.server_version", m.legacyVersion, 0xffff))
    .bytes(m.random)
    .opaque(1, m.legacySessionIdEcho)
    .u16(checkUint("ServerHello.cipher_suite", m.cipherSuite, 0xffff))
    .u8(checkUint("ServerHello.compression_method", m.legacyCompressionMethod, 0xff));
  if (m.extensions.length > 0) {
    const seen = new Set<number>();
    w.vector(2, (block) => {
      for (const e of m.extensions) {
        if (seen.has(e.type)) throw new RangeError(`ServerHello.extensions: duplicate extension ${e.type}`);
        seen.add(e.type);
        checkLength("ServerHello.extension_data", e.data.length, 0, 0xffff);
        block.u16(checkUint("ServerHello.extension_type", e.type, 0xffff)).opaque(2, e.data);
      }
    });
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------
// ServerKeyExchange (RFC 8422 §5.4)

/** ServerECDHParams: ECParameters (named_curve, NamedCurve) ‖ ECPoint public — the bytes the signature covers. */
export function encodeServerEcdhParams(namedCurve: number, publicKey: Uint8Array): Uint8Array {
  checkLength("ECPoint.point", publicKey.length, 1, 0xff);
  return new Writer(4 + publicKey.length)
    .u8(NAMED_CURVE)
    .u16(checkUint("ECParameters.namedcurve", namedCurve, 0xffff))
    .opaque(1, publicKey)
    .finish();
}

/** Encodes a signed ECDHE ServerKeyExchange body. */
export function encodeServerKeyExchangeEcdhe(m: ServerKeyExchangeEcdhe): Uint8Array {
  checkLength("ServerKeyExchange.signature", m.signature.length, 0, 0xffff);
  return new Writer(8 + m.publicKey.length + m.signature.length)
    .bytes(encodeServerEcdhParams(m.namedCurve, m.publicKey))
    .u16(checkUint("ServerKeyExchange.algorithm", m.algorithm, 0xffff))
    .opaque(2, m.signature)
    .finish();
}

/**
 * Decodes a signed ECDHE ServerKeyExchange body. A curve_type other than named_curve(3) is a DecodeError
 * (RFC 8422 §5.4 deprecates explicit curves). The signed params are `encodeServerEcdhParams(namedCurve,
 * publicKey)`, which gives back the received bytes exactly.
 */
export function decodeServerKeyExchangeEcdhe(body: Uint8Array): ServerKeyExchangeEcdhe {
  return decodeAll(body, "ServerKeyExchange", (r) => {
    const curveType = r.u8("ECParameters.curve_type");
    if (curveType !== NAMED_CURVE) {
      throw new DecodeError(`ECParameters.curve_type: ${curveType} is not named_curve(3) (RFC 8422 §5.4)`);
    }
    const namedCurve = r.u16("ECParameters.namedcurve");
    const publicKey = r.vector(1, "ECPoint.point", 1, 0xff).slice();
    const algorithm = r.u16("ServerKeyExchange.algorithm");
    const signature = r.vector(2, "ServerKeyExchange.signature").slice();
    return { namedCurve, publicKey, algorithm, signature };
  });
}

// ---------------------------------------------------------------------------------------------------------
// ServerHelloDone, HelloRequest (RFC 5246 §7.4.5, §7.4.1.1)

/** Decodes an empty body (ServerHelloDone, HelloRequest); any byte is a DecodeError naming `message`. */
export function decodeEmptyBody(body: Uint8Array, message: "ServerHelloDone" | "HelloRequest"): void {
  if (body.length !== 0) throw new DecodeError(`${message}: ${body.length} bytes in an empty message`);
}

// ---------------------------------------------------------------------------------------------------------
// ClientKeyExchange (RFC 8422 §5.7, RFC 5246 §7.4.7.1)

/** Encodes an ECDHE ClientKeyExchange body: `opaque point<1..2^8-1>`. */
export function encodeClientKeyExchangeEcdhe(publicKey: Uint8Array): Uint8Array {
  checkLength("ClientECDiffieHellmanPublic.point", publicKey.length, 1, 0xff);
  return new Writer(1 + publicKey.length).opaque(1, publicKey).finish();
}

/** Decodes an ECDHE ClientKeyExchange body into the client's public point. */
export function decodeClientKeyExchangeEcdhe(body: Uint8Array): Uint8Array {
  return decodeAll(
    body,
    "ClientKeyExchange",
    (r) => r.vector(1, "ClientECDiffieHellmanPublic.point", 1, 0xff).slice(),
  );
}

/** Encodes an RSA ClientKeyExchange body: `opaque EncryptedPreMasterSecret<0..2^16-1>`. */
export function encodeClientKeyExchangeRsa(encrypted: Uint8Array): Uint8Array {
  checkLength("EncryptedPreMasterSecret", encrypted.length, 0, 0xffff);
  return new Writer(2 + encrypted.length).opaque(2, encrypted).finish();
}

/** Decodes an RSA ClientKeyExchange body into the encrypted premaster secret. */
export function decodeClientKeyExchangeRsa(body: Uint8Array): Uint8Array {
  return decodeAll(body, "ClientKeyExchange", (r) => r.vector(2, "EncryptedPreMasterSecret").slice());
}

// ---------------------------------------------------------------------------------------------------------
// CertificateRequest (RFC 5246 §7.4.4)

/** Encodes a TLS 1.2 CertificateRequest body. */
export function encodeCertificateRequest12(m: CertificateRequest12): Uint8Array {
  checkLength("CertificateRequest.certificate_types", m.certificateTypes.length, 1, 0xff);
  checkLength(
    "CertificateRequest.supported_signature_algorithms",
    m.signatureAlgorithms.length * 2,
    2,
    0xfffe,
  );
  const w = new Writer(64);
  w.vector(1, (v) => {
    for (const t of m.certificateTypes) v.u8(checkUint("CertificateRequest.certificate_types", t, 0xff));
  });
  w.vector(2, (v) => {
    for (const s of m.signatureAlgorithms) {
      v.u16(checkUint("CertificateRequest.supported_signature_algorithms", s, 0xffff));
    }
  });
  w.vector(2, (v) => {
    for (const name of m.certificateAuthorities) {
      checkLength("DistinguishedName", name.length, 1, 0xffff);
      v.opaque(2, name);
    }
  });
  return w.finish();
}

/** Decodes a TLS 1.2 CertificateRequest body. */
export function decodeCertificateRequest12(body: Uint8Array): CertificateRequest12 {
  return decodeAll(body, "CertificateRequest", (r) => {
    const certificateTypes = Array.from(r.vector(1, "CertificateRequest.certificate_types", 1, 0xff));
    const algorithms = r.vector(2, "CertificateRequest.supported_signature_algorithms", 2, 0xfffe);
    if (algorithms.length % 2 !== 0) {
      throw new DecodeError(
        `CertificateRequest.supported_signature_algorithms: odd length ${algorithms.length}`,
      );
    }
    const signatureAlgorithms: number[] = [];
    for (let i = 0; i < algorithms.length; i += 2) {
      signatureAlgorithms.push((algorithms[i] << 8) | algorithms[i + 1]);
    }
    const certificateAuthorities = r.sub(2, "CertificateRequest.certificate_authorities", (list) => {
      const out: Uint8Array[] = [];
      while (list.remaining > 0) out.push(list.vector(2, "DistinguishedName", 1, 0xffff).slice());
      return out;
    });
    return { certificateTypes, signatureAlgorithms, certificateAuthorities };
  });
}

// ---------------------------------------------------------------------------------------------------------
// Certificate, CertificateVerify, Finished (RFC 5246 §7.4.2, §7.4.8, §7.4.9)

/** Encodes a TLS 1.2 Certificate body. */
export function encodeCertificate12(m: Certificate12): Uint8Array {
  const w = new Writer(m.certificateList.reduce((n, c) => n + 3 + c.length, 3));
  w.vector(3, (list) => {
    for (const cert of m.certificateList) {
      checkLength("ASN.1Cert", cert.length, 1, 0xffffff);
      list.opaque(3, cert);
    }
  });
  return w.finish();
}

/** Decodes a TLS 1.2 Certificate body. */
export function decodeCertificate12(body: Uint8Array): Certificate12 {
  return decodeAll(body, "Certificate", (r) => ({
    certificateList: r.sub(3, "Certificate.certificate_list", (list) => {
      const out: Uint8Array[] = [];
      while (list.remaining > 0) out.push(list.vector(3, "ASN.1Cert", 1, 0xffffff).slice());
      return out;
    }),
  }));
}

/** Encodes a TLS 1.2 CertificateVerify body: SignatureAndHashAlgorithm, `opaque signature<0..2^16-1>` (as TLS 1.3). */
export function encodeCertificateVerify12(m: { algorithm: number; signature: Uint8Array }): Uint8Array {
  return encodeCertificateVerify(m);
}

/** Decodes a TLS 1.2 CertificateVerify body (the TLS 1.3 layout). */
export function decodeCertificateVerify12(body: Uint8Array): { algorithm: number; signature: Uint8Array } {
  return decodeCertificateVerify(body);
}

/** Decodes a TLS 1.2 Finished body: exactly 12 bytes of verify_data (RFC 5246 §7.4.9). */
export function decodeFinished12(body: Uint8Array): Uint8Array {
  if (body.length !== VERIFY_DATA_LENGTH) {
    throw new DecodeError(`Finished.verify_data: ${body.length} bytes, expected ${VERIFY_DATA_LENGTH}`);
  }
  return body.slice();
}

// ---------------------------------------------------------------------------------------------------------
// NewSessionTicket (RFC 5077 §3.3)

/** Encodes a NewSessionTicket body: uint32 ticket_lifetime_hint, `opaque ticket<0..2^16-1>`. */
export function encodeNewSessionTicket12(m: NewSessionTicket12): Uint8Array {
  checkLength("NewSessionTicket.ticket", m.ticket.length, 0, 0xffff);
  return new Writer(6 + m.ticket.length)
    .u32(checkUint("NewSessionTicket.ticket_lifetime_hint", m.lifetimeHint, 0xffffffff))
    .opaque(2, m.ticket)
    .finish();
}

/** Decodes a TLS 1.2 NewSessionTicket body. */
export function decodeNewSessionTicket12(body: Uint8Array): NewSessionTicket12 {
  return decodeAll(body, "NewSessionTicket", (r) => {
    const lifetimeHint = r.u32("NewSessionTicket.ticket_lifetime_hint");
    const ticket = r.vector(2, "NewSessionTicket.ticket").slice();
    return { lifetimeHint, ticket };
  });
}
