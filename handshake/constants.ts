/**
 * IANA registries used by the handshake (RFC 8446 §4, §B.3), as `as const` objects with derived names.
 *
 * @module
 */

import type { AeadName, GroupName, HashName, SignatureAlgorithm } from "../crypto/provider.ts";

/** Protocol versions on the wire. */
export const ProtocolVersion = { TLS12: 0x0303, TLS13: 0x0304, TLS10: 0x0301 } as const;

/** Handshake message types (RFC 8446 §4, RFC 5246 §7.4). */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;
export type HandshakeTypeName = keyof typeof HandshakeType;

/** Extension types (RFC 8446 §4.2 and the IANA registry). */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;
export type ExtensionTypeName = keyof typeof ExtensionType;

/** Named groups (RFC 8446 §4.2.7, RFC 8422, draft-ietf-tls-ecdhe-mlkem). */
export const NamedGroup = {
  "P-256": 0x0017,
  "P-384": 0x0018,
  "P-521": 0x0019,
  "X25519": 0x001d,
  "X448": 0x001e,
  "X25519MLKEM768": 0x11ec,
} as const;

/** Codes of the groups this library implements. */
export const GROUP_CODES: Readonly<Record<GroupName, number>> = {
  "X25519MLKEM768": NamedGroup.X25519MLKEM768,
  "X25519": NamedGroup.X25519,
  "P-256": NamedGroup["P-256"],
  "P-384": NamedGroup["P-384"],
  "P-521": NamedGroup["P-521"],
  "X448": NamedGroup.X448,
};

/** The implemented group with code `code`, if any. */
export function groupByCode(code: number): GroupName | undefined {
  for (const [name, c] of Object.entries(GROUP_CODES)) if (c === code) return name as GroupName;
  return undefined;
}

/** Signature schemes (RFC 8446 §4.2.3). */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
} as const;
export type SignatureSchemeName = keyof typeof SignatureScheme;

/** What each implemented scheme means to the crypto provider, and which key type it needs. */
export interface SchemeInfo {
  readonly code: number;
  readonly algorithm: SignatureAlgorithm;
  /** The certificate key type the scheme applies to. */
  readonly keyType: "EC" | "RSA" | "RSA-PSS" | "Ed25519";
  /** Allowed in TLS 1.3 CertificateVerify (RSA PKCS#1 is for certificates only, RFC 8446 §4.2.3). */
  readonly tls13: boolean;
}

export const SCHEMES: Readonly<Record<number, SchemeInfo>> = {
  [SignatureScheme.ecdsa_secp256r1_sha256]: {
    code: SignatureScheme.ecdsa_secp256r1_sha256,
    algorithm: { kind: "ecdsa", hash: "SHA-256", curve: "P-256" },
    keyType: "EC",
    tls13: true,
  },
  [SignatureScheme.ecdsa_secp384r1_sha384]: {
    code: SignatureScheme.ecdsa_secp384r1_sha384,
    algorithm: { kind: "ecdsa", hash: "SHA-384", curve: "P-384" },
    keyType: "EC",
    tls13: true,
  },
  [SignatureScheme.ecdsa_secp521r1_sha512]: {
    code: SignatureScheme.ecdsa_secp521r1_sha512,
    algorithm: { kind: "ecdsa", hash: "SHA-512", curve: "P-521" },
    keyType: "EC",
    tls13: true,
  },
  [SignatureScheme.ed25519]: {
    code: SignatureScheme.ed25519,
    algorithm: { kind: "ed25519" },
    keyType: "Ed25519",
    tls13: true,
  },
  [SignatureScheme.rsa_pss_rsae_sha256]: {
    code: SignatureScheme.rsa_pss_rsae_sha256,
    algorithm: { kind: "rsa-pss", hash: "SHA-256" },
    keyType: "RSA",
    tls13: true,
  },
  [SignatureScheme.rsa_pss_rsae_sha384]: {
    code: SignatureScheme.rsa_pss_rsae_sha384,
    algorithm: { kind: "rsa-pss", hash: "SHA-384" },
    keyType: "RSA",
    tls13: true,
  },
  [SignatureScheme.rsa_pss_rsae_sha512]: {
    code: SignatureScheme.rsa_pss_rsae_sha512,
    algorithm: { kind: "rsa-pss", hash: "SHA-512" },
    keyType: "RSA",
    tls13: true,
  },
  [SignatureScheme.rsa_pss_pss_sha256]: {
    code: SignatureScheme.rsa_pss_pss_sha256,
    algorithm: { kind: "rsa-pss", hash: "SHA-256" },
    keyType: "RSA-PSS",
    tls13: true,
  },
  [SignatureScheme.rsa_pss_pss_sha384]: {
    code: SignatureScheme.rsa_pss_pss_sha384,
    algorithm: { kind: "rsa-pss", hash: "SHA-384" },
    keyType: "RSA-PSS",
    tls13: true,
  },
  [SignatureScheme.rsa_pss_pss_sha512]: {
    code: SignatureScheme.rsa_pss_pss_sha512,
    algorithm: { kind: "rsa-pss", hash: "SHA-512" },
    keyType: "RSA-PSS",
    tls13: true,
  },
  [SignatureScheme.rsa_pkcs1_sha256]: {
    code: SignatureScheme.rsa_pkcs1_sha256,
    algorithm: { kind: "rsa-pkcs1", hash: "SHA-256" },
    keyType: "RSA",
    tls13: false,
  },
  [SignatureScheme.rsa_pkcs1_sha384]: {
    code: SignatureScheme.rsa_pkcs1_sha384,
    algorithm: { kind: "rsa-pkcs1", hash: "SHA-384" },
    keyType: "RSA",
    tls13: false,
  },
  [SignatureScheme.rsa_pkcs1_sha512]: {
    code: SignatureScheme.rsa_pkcs1_sha512,
    algorithm: { kind: "rsa-pkcs1", hash: "SHA-512" },
    keyType: "RSA",
    tls13: false,
  },
};

/** Our signature_algorithms list, in preference order (RFC 8446 §4.2.3). */
export const TLS13_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.ecdsa_secp521r1_sha512,
];

/** Our signature_algorithms_cert list: also the PKCS#1 schemes that certificates still use. */
export const CERT_SIGNATURE_SCHEMES: readonly number[] = [
  ...TLS13_SIGNATURE_SCHEMES,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** TLS 1.3 cipher suites (RFC 8446 §B.4). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
/** IANA name of a TLS 1.3 suite of {@link CipherSuite}. */
export type CipherSuiteName = keyof typeof CipherSuite;

/** A TLS 1.3 cipher suite: its AEAD and its hash. */
export interface Tls13Suite {
  readonly name: CipherSuiteName;
  readonly code: number;
  readonly aead: AeadName;
  readonly keyLength: number;
  readonly hash: HashName;
  /** Hash output length in bytes. */
  readonly hashLength: number;
}

export const TLS13_SUITES: readonly Tls13Suite[] = [
  {
    name: "TLS_AES_128_GCM_SHA256",
    code: 0x1301,
    aead: "AES-128-GCM",
    keyLength: 16,
    hash: "SHA-256",
    hashLength: 32,
  },
  {
    name: "TLS_AES_256_GCM_SHA384",
    code: 0x1302,
    aead: "AES-256-GCM",
    keyLength: 32,
    hash: "SHA-384",
    hashLength: 48,
  },
  {
    name: "TLS_CHACHA20_POLY1305_SHA256",
    code: 0x1303,
    aead: "ChaCha20-Poly1305",
    keyLength: 32,
    hash: "SHA-256",
    hashLength: 32,
  },
];

/** The TLS 1.3 suite with code `code`, if implemented. */
export function tls13SuiteByCode(code: number): Tls13Suite | undefined {
  return TLS13_SUITES.find((s) => s.code === code);
}

/** psk_key_exchange_modes values (RFC 8446 §4.2.9). */
export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** KeyUpdateRequest values (RFC 8446 §4.6.3). */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

/** The fixed ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = Uint8Array.fromHex(
  "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c",
);

/** Downgrade sentinels in the last 8 bytes of ServerHello.random (RFC 8446 §4.1.3). */
export const DOWNGRADE_TLS12: Uint8Array = Uint8Array.fromHex("444f574e47524401");
export const DOWNGRADE_TLS11: Uint8Array = Uint8Array.fromHex("444f574e47524400");

/** Name of a code in a registry, for logs and errors. */
export function nameOf(registry: Readonly<Record<string, number>>, code: number): string {
  for (const [k, v] of Object.entries(registry)) if (v === code) return k;
  return `0x${code.toString(16).padStart(4, "0")}`;
}

// ---------------------------------------------------------------------------------------------------------
// TLS 1.2 (RFC 5246, RFC 5288, RFC 5289, RFC 7905, RFC 8422)

/** TLS 1.2 cipher suites this library implements (IANA "TLS Cipher Suites"). */
export const Tls12CipherSuite = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
} as const;
/** IANA name of a TLS 1.2 suite of {@link Tls12CipherSuite}. */
export type Tls12CipherSuiteName = keyof typeof Tls12CipherSuite;

/** Signalling suite value for secure renegotiation support (RFC 5746 §3.3). */
export const TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
/** Signalling suite value of a fallback retry (RFC 7507 §2). */
export const TLS_FALLBACK_SCSV = 0x5600;

/**
 * A TLS 1.2 AEAD cipher suite: how its key is exchanged and authenticated, its AEAD and the PRF hash
 * (RFC 5246 §6.3, §A.6). For AES-GCM the key block gives a 4-byte implicit salt and each record carries an
 * 8-byte explicit nonce (RFC 5288 §3); for ChaCha20-Poly1305 the key block gives the whole 12-byte IV and
 * records carry no nonce (RFC 7905 §2).
 */
export interface Tls12Suite {
  /** IANA name. */
  readonly name: Tls12CipherSuiteName;
  /** The two-byte code. */
  readonly code: number;
  /** ECDHE signed with an ECDSA (or EdDSA) or an RSA certificate, or RSA key transport. */
  readonly keyExchange: "ECDHE_ECDSA" | "ECDHE_RSA" | "RSA";
  /** The record AEAD. */
  readonly aead: AeadName;
  /** enc_key_length in bytes. */
  readonly keyLength: number;
  /** fixed_iv_length in bytes: 4 for AES-GCM, 12 for ChaCha20-Poly1305. */
  readonly fixedIvLength: 4 | 12;
  /** record_iv_length (explicit nonce) in bytes: 8 for AES-GCM, 0 for ChaCha20-Poly1305. */
  readonly recordIvLength: 8 | 0;
  /** The PRF hash (also the hash of the Finished transcript and the EMS session hash). */
  readonly hash: HashName;
}

function tls12Suite(
  name: Tls12CipherSuiteName,
  keyExchange: Tls12Suite["keyExchange"],
  aead: AeadName,
): Tls12Suite {
  const gcm = aead !== "ChaCha20-Poly1305";
  return {
    name,
    code: Tls12CipherSuite[name],
    keyExchange,
    aead,
    keyLength: aead === "AES-128-GCM" ? 16 : 32,
    fixedIvLength: gcm ? 4 : 12,
    recordIvLength: gcm ? 8 : 0,
    hash: name.endsWith("SHA384") ? "SHA-384" : "SHA-256",
  };
}

/**
 * The TLS 1.2 suites, in default preference order. The two `TLS_RSA_*` suites (static RSA key transport, no
 * forward secrecy) are only ever offered when named explicitly.
 */
export const TLS12_SUITES: readonly Tls12Suite[] = [
  tls12Suite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE_ECDSA", "AES-128-GCM"),
  tls12Suite("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE_ECDSA", "AES-256-GCM"),
  tls12Suite("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE_ECDSA", "ChaCha20-Poly1305"),
  tls12Suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE_RSA", "AES-128-GCM"),
  tls12Suite("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE_RSA", "AES-256-GCM"),
  tls12Suite("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE_RSA", "ChaCha20-Poly1305"),
  tls12Suite("TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM"),
  tls12Suite("TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM"),
];

/** The TLS 1.2 suite with code `code`, if implemented. */
export function tls12SuiteByCode(code: number): Tls12Suite | undefined {
  return TLS12_SUITES.find((s) => s.code === code);
}
