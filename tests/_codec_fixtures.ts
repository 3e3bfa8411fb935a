/**
 * Sample values for every handshake message and extension codec, wrapped in a uniform {@link CodecCase} so
 * that `codec_test.ts` can run the same round-trip, truncation, trailing-byte and random-input checks on each.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fromHex } from "../bytes.ts";
import { ExtensionType, HandshakeType, HELLO_RETRY_REQUEST_RANDOM } from "../handshake/constants.ts";
import * as X from "../handshake/extensions.ts";
import * as M from "../handshake/messages.ts";

/** A codec under test, with its type erased so that a table can hold them all. */
export interface CodecCase {
  /** Name of the structure, e.g. `"ClientHello"`. */
  readonly name: string;
  /** The clause that defines it, e.g. `"RFC 8446 §4.1.2"`. */
  readonly section: string;
  /** The encodings of the sample values. */
  readonly samples: readonly Uint8Array[];
  /** Whether every input the decoder accepts re-encodes to exactly the same bytes. */
  readonly canonical: boolean;
  /** Runs the decoder. */
  decode(bytes: Uint8Array): unknown;
  /** Decodes `bytes` and encodes the result again. */
  reencode(bytes: Uint8Array): Uint8Array;
  /** Asserts encode → decode → deep equal → encode gives the same bytes, for every sample value. */
  roundTrip(): void;
  /** Lengths of the strict prefixes of sample `i` that are valid encodings in their own right. */
  validPrefixLengths(i: number): readonly number[];
}

interface Spec<T> {
  readonly name: string;
  readonly section: string;
  readonly values: readonly T[];
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
  readonly canonical?: boolean;
  /** A strict prefix of `encode(value)` that is itself valid, if any. */
  validPrefix?(value: T): Uint8Array | undefined;
}

function codec<T>(spec: Spec<T>): CodecCase {
  return {
    name: spec.name,
    section: spec.section,
    samples: spec.values.map((v) => spec.encode(v)),
    canonical: spec.canonical ?? true,
    decode: (bytes) => spec.decode(bytes),
    reencode: (bytes) => spec.encode(spec.decode(bytes)),
    roundTrip() {
      for (const value of spec.values) {
        const first = spec.encode(value);
        const decoded = spec.decode(first);
        assert.deepStrictEqual(decoded, value);
        assert.deepStrictEqual(spec.encode(decoded), first);
      }
    },
    validPrefixLengths(i) {
      const prefix = spec.validPrefix?.(spec.values[i]);
      return prefix === undefined ? [] : [prefix.length];
    },
  };
}

/** `n` bytes counting up from `start` (mod 256), for recognisable sample data. */
export function ramp(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

const x25519Share: X.KeyShareEntry = { group: 0x001d, keyExchange: ramp(32, 1) };
const p256Share: X.KeyShareEntry = { group: 0x0017, keyExchange: Uint8Array.of(4, ...ramp(64, 9)) };

const clientExtensions: M.Extension[] = [
  { type: ExtensionType.server_name, data: X.encodeServerName("example.com") },
  { type: ExtensionType.supported_versions, data: X.encodeSupportedVersionsClient([0x0304]) },
  { type: ExtensionType.supported_groups, data: X.encodeSupportedGroups([0x001d, 0x0017]) },
  { type: ExtensionType.key_share, data: X.encodeKeyShareClient([x25519Share]) },
  { type: ExtensionType.signature_algorithms, data: X.encodeSignatureAlgorithms([0x0403, 0x0804]) },
  { type: ExtensionType.psk_key_exchange_modes, data: X.encodePskKeyExchangeModes([1]) },
  { type: ExtensionType.early_data, data: new Uint8Array(0) },
];

const helloWithoutExtensions = <H extends { readonly extensions: readonly M.Extension[] }>(
  encode: (h: H) => Uint8Array,
) =>
(h: H): Uint8Array | undefined => h.extensions.length === 0 ? undefined : encode({ ...h, extensions: [] });

/** Every message codec of `handshake/messages.ts`, with samples at and inside the RFC 8446 bounds. */
export const MESSAGE_CODECS: readonly CodecCase[] = [
  codec<M.HandshakeMessage>({
    name: "Handshake",
    section: "RFC 8446 §4",
    values: [
      { type: HandshakeType.key_update, body: Uint8Array.of(1), raw: fromHex("1800000101") },
      { type: HandshakeType.finished, body: new Uint8Array(0), raw: fromHex("14000000") },
      { type: 0xfe, body: ramp(300), raw: M.encodeHandshake(0xfe, ramp(300)) },
    ],
    encode: (m) => M.encodeHandshake(m.type, m.body),
    decode: M.decodeHandshake,
  }),
  codec<M.ClientHello>({
    name: "ClientHello",
    section: "RFC 8446 §4.1.2",
    values: [
      {
        legacyVersion: 0x0303,
        random: ramp(32),
        legacySessionId: new Uint8Array(0),
        cipherSuites: [0x1301, 0x1302, 0x1303],
        legacyCompressionMethods: Uint8Array.of(0),
        extensions: clientExtensions,
      },
      {
        legacyVersion: 0x0303,
        random: ramp(32, 100),
        legacySessionId: ramp(32, 7),
        cipherSuites: [0x1301],
        legacyCompressionMethods: ramp(255),
        extensions: [{ type: 0xfafa, data: new Uint8Array(0) }, { type: 0x0a0a, data: new Uint8Array(0) }],
      },
      {
        legacyVersion: 0x0301,
        random: ramp(32, 200),
        legacySessionId: Uint8Array.of(9),
        cipherSuites: [0xc02b, 0x009c],
        legacyCompressionMethods: Uint8Array.of(1, 0),
        extensions: [],
      },
    ],
    encode: M.encodeClientHello,
    decode: M.decodeClientHello,
    validPrefix: helloWithoutExtensions(M.encodeClientHello),
  }),
  codec<M.ServerHello>({
    name: "ServerHello",
    section: "RFC 8446 §4.1.3",
    values: [
      {
        legacyVersion: 0x0303,
        random: ramp(32, 50),
        legacySessionIdEcho: new Uint8Array(0),
        cipherSuite: 0x1301,
        legacyCompressionMethod: 0,
        extensions: [
          { type: ExtensionType.supported_versions, data: X.encodeSupportedVersionsServer(0x0304) },
          { type: ExtensionType.key_share, data: X.encodeKeyShareServer(x25519Share) },
        ],
      },
      {
        legacyVersion: 0x0303,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacySessionIdEcho: ramp(32, 7),
        cipherSuite: 0x1302,
        legacyCompressionMethod: 0,
        extensions: [
          { type: ExtensionType.supported_versions, data: X.encodeSupportedVersionsServer(0x0304) },
          { type: ExtensionType.key_share, data: X.encodeKeyShareHrr(0x0017) },
          { type: ExtensionType.cookie, data: X.encodeCookie(ramp(40)) },
        ],
      },
      {
        legacyVersion: 0x0303,
        random: ramp(32, 9),
        legacySessionIdEcho: Uint8Array.of(1, 2, 3),
        cipherSuite: 0xc02f,
        legacyCompressionMethod: 0,
        extensions: [],
      },
    ],
    encode: M.encodeServerHello,
    decode: M.decodeServerHello,
    validPrefix: helloWithoutExtensions(M.encodeServerHello),
  }),
  codec<M.EncryptedExtensions>({
    name: "EncryptedExtensions",
    section: "RFC 8446 §4.3.1",
    values: [
      { extensions: [] },
      { extensions: [{ type: ExtensionType.server_name, data: new Uint8Array(0) }] },
      {
        extensions: [
          { type: ExtensionType.supported_groups, data: X.encodeSupportedGroups([0x001d]) },
          { type: ExtensionType.application_layer_protocol_negotiation, data: X.encodeAlpn(["h2"]) },
          { type: 0xbeef, data: ramp(1000) },
        ],
      },
    ],
    encode: M.encodeEncryptedExtensions,
    decode: M.decodeEncryptedExtensions,
  }),
  codec<M.CertificateRequest>({
    name: "CertificateRequest",
    section: "RFC 8446 §4.3.2",
    values: [
      {
        certificateRequestContext: new Uint8Array(0),
        extensions: [
          { type: ExtensionType.signature_algorithms, data: X.encodeSignatureAlgorithms([0x0403]) },
        ],
      },
      {
        certificateRequestContext: ramp(255),
        extensions: [{ type: 0x1234, data: new Uint8Array(0) }],
      },
    ],
    encode: M.encodeCertificateRequest,
    decode: M.decodeCertificateRequest,
  }),
  codec<M.Certificate>({
    name: "Certificate",
    section: "RFC 8446 §4.4.2",
    values: [
      { certificateRequestContext: new Uint8Array(0), certificateList: [] },
      {
        certificateRequestContext: new Uint8Array(0),
        certificateList: [{ certData: ramp(400), extensions: [] }],
      },
      {
        certificateRequestContext: ramp(8),
        certificateList: [
          {
            certData: Uint8Array.of(0x30),
            extensions: [
              { type: ExtensionType.status_request, data: ramp(20) },
              { type: ExtensionType.signed_certificate_timestamp, data: ramp(3) },
            ],
          },
          { certData: ramp(70000), extensions: [] },
        ],
      },
    ],
    encode: M.encodeCertificate,
    decode: M.decodeCertificate,
  }),
  codec<M.CertificateVerify>({
    name: "CertificateVerify",
    section: "RFC 8446 §4.4.3",
    values: [
      { algorithm: 0x0804, signature: ramp(256) },
      { algorithm: 0x0403, signature: new Uint8Array(0) },
    ],
    encode: M.encodeCertificateVerify,
    decode: M.decodeCertificateVerify,
  }),
  codec<M.Finished>({
    name: "Finished (SHA-256)",
    section: "RFC 8446 §4.4.4",
    values: [{ verifyData: ramp(32) }],
    encode: M.encodeFinished,
    decode: (b) => M.decodeFinished(b, 32),
  }),
  codec<M.Finished>({
    name: "Finished (SHA-384)",
    section: "RFC 8446 §4.4.4",
    values: [{ verifyData: ramp(48, 3) }],
    encode: M.encodeFinished,
    decode: (b) => M.decodeFinished(b, 48),
  }),
  codec<M.NewSessionTicket>({
    name: "NewSessionTicket",
    section: "RFC 8446 §4.6.1",
    values: [
      {
        ticketLifetime: 604800,
        ticketAgeAdd: 0xfffffffe,
        ticketNonce: new Uint8Array(0),
        ticket: Uint8Array.of(42),
        extensions: [],
      },
      {
        ticketLifetime: 0,
        ticketAgeAdd: 0x80000001,
        ticketNonce: ramp(255),
        ticket: ramp(200),
        extensions: [{ type: ExtensionType.early_data, data: fromHex("00004000") }],
      },
    ],
    encode: M.encodeNewSessionTicket,
    decode: M.decodeNewSessionTicket,
  }),
  codec<M.KeyUpdate>({
    name: "KeyUpdate",
    section: "RFC 8446 §4.6.3",
    values: [{ requestUpdate: 0 }, { requestUpdate: 1 }],
    encode: M.encodeKeyUpdate,
    decode: M.decodeKeyUpdate,
  }),
];

/** Every extension codec of `handshake/extensions.ts`. */
export const EXTENSION_CODECS: readonly CodecCase[] = [
  codec<string>({
    name: "server_name",
    section: "RFC 6066 §3",
    values: ["example.com", "a", "localhost", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.com`],
    encode: X.encodeServerName,
    decode: X.decodeServerName,
    // Entries of unknown NameTypes are skipped, so they do not come back.
    canonical: false,
  }),
  codec<number[]>({
    name: "supported_versions (ClientHello)",
    section: "RFC 8446 §4.2.1",
    values: [[0x0304], [0x0304, 0x0303], Array.from({ length: 127 }, (_, i) => 0x7f00 + i)],
    encode: X.encodeSupportedVersionsClient,
    decode: X.decodeSupportedVersionsClient,
  }),
  codec<number>({
    name: "supported_versions (ServerHello)",
    section: "RFC 8446 §4.2.1",
    values: [0x0304, 0, 0xffff],
    encode: X.encodeSupportedVersionsServer,
    decode: X.decodeSupportedVersionsServer,
  }),
  codec<number[]>({
    name: "supported_groups",
    section: "RFC 8446 §4.2.7",
    values: [[0x001d], [0x11ec, 0x001d, 0x0017, 0x0018, 0x0019, 0x0100]],
    encode: X.encodeSupportedGroups,
    decode: X.decodeSupportedGroups,
  }),
  codec<number[]>({
    name: "signature_algorithms",
    section: "RFC 8446 §4.2.3",
    values: [[0x0807], [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401]],
    encode: X.encodeSignatureAlgorithms,
    decode: X.decodeSignatureAlgorithms,
  }),
  codec<X.KeyShareEntry[]>({
    name: "key_share (ClientHello)",
    section: "RFC 8446 §4.2.8",
    values: [[], [x25519Share], [x25519Share, p256Share], [{ group: 0x11ec, keyExchange: ramp(1216) }], [{
      group: 0,
      keyExchange: Uint8Array.of(0),
    }]],
    encode: X.encodeKeyShareClient,
    decode: X.decodeKeyShareClient,
  }),
  codec<X.KeyShareEntry>({
    name: "key_share (ServerHello)",
    section: "RFC 8446 §4.2.8",
    values: [x25519Share, p256Share],
    encode: X.encodeKeyShareServer,
    decode: X.decodeKeyShareServer,
  }),
  codec<number>({
    name: "key_share (HelloRetryRequest)",
    section: "RFC 8446 §4.2.8",
    values: [0x0017, 0x11ec],
    encode: X.encodeKeyShareHrr,
    decode: X.decodeKeyShareHrr,
  }),
  codec<string[]>({
    name: "application_layer_protocol_negotiation",
    section: "RFC 7301 §3.1",
    values: [["h2"], ["h2", "http/1.1"], ["x".repeat(255)], ["\u00ff\u0000\u0080"]],
    encode: X.encodeAlpn,
    decode: X.decodeAlpn,
  }),
  codec<Uint8Array>({
    name: "cookie",
    section: "RFC 8446 §4.2.2",
    values: [Uint8Array.of(0), ramp(116), ramp(0xffff)],
    encode: X.encodeCookie,
    decode: X.decodeCookie,
  }),
  codec<number[]>({
    name: "psk_key_exchange_modes",
    section: "RFC 8446 §4.2.9",
    values: [[1], [0, 1], Array.from({ length: 255 }, (_, i) => i)],
    encode: X.encodePskKeyExchangeModes,
    decode: X.decodePskKeyExchangeModes,
  }),
];
