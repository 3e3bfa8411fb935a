/**
 * The TLS 1.2 message and extension codecs (RFC 5246 §7.4, RFC 8422 §5, RFC 5077 §3, RFC 5746 §3.2,
 * RFC 7627 §5.1): round trips, every strict prefix and a trailing byte refused with a DecodeError, random and
 * mutated input giving nothing but a value or a DecodeError, and the bounds of each vector.
 */

import assert from "node:assert/strict";
import { DecodeError, fromHex, Writer } from "../bytes.ts";
import { ExtensionType, SignatureScheme } from "../handshake/constants.ts";
import * as X12 from "../handshake/extensions12.ts";
import * as M12 from "../handshake/messages12.ts";
import type { ClientHello } from "../handshake/messages.ts";
import { ramp } from "./_codec_fixtures.ts";

/** A codec under test with its type erased. */
interface Case {
  readonly name: string;
  readonly samples: readonly Uint8Array[];
  /** Strict prefixes of sample i that are valid in their own right. */
  readonly validPrefixes?: (i: number) => readonly number[];
  decode(bytes: Uint8Array): unknown;
  reencode(bytes: Uint8Array): Uint8Array;
  roundTrip(): void;
}

function codec<T>(
  name: string,
  values: readonly T[],
  encode: (v: T) => Uint8Array,
  decode: (b: Uint8Array) => T,
  validPrefixes?: (i: number) => readonly number[],
): Case {
  return {
    name,
    samples: values.map(encode),
    validPrefixes,
    decode,
    reencode: (b) => encode(decode(b)),
    roundTrip() {
      for (const v of values) {
        const bytes = encode(v);
        const decoded = decode(bytes);
        assert.deepStrictEqual(decoded, v, name);
        assert.deepStrictEqual(encode(decoded), bytes, name);
      }
    },
  };
}

const ems = { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) };
const reneg = { type: ExtensionType.renegotiation_info, data: X12.encodeRenegotiationInfo() };
const points = { type: ExtensionType.ec_point_formats, data: X12.encodeEcPointFormats() };

const serverHellos: M12.ServerHello12[] = [
  {
    legacyVersion: 0x0303,
    random: ramp(32, 1),
    legacySessionIdEcho: new Uint8Array(0),
    cipherSuite: 0xc02b,
    legacyCompressionMethod: 0,
    extensions: [],
  },
  {
    legacyVersion: 0x0303,
    random: ramp(32, 2),
    legacySessionIdEcho: ramp(32, 3),
    cipherSuite: 0xcca8,
    legacyCompressionMethod: 0,
    extensions: [ems],
  },
  {
    legacyVersion: 0x0303,
    random: ramp(32, 4),
    legacySessionIdEcho: ramp(8, 5),
    cipherSuite: 0x009c,
    legacyCompressionMethod: 0,
    extensions: [reneg, ems, points, { type: ExtensionType.session_ticket, data: new Uint8Array(0) }],
  },
];

const clientHellos: ClientHello[] = [
  {
    legacyVersion: 0x0303,
    random: ramp(32, 6),
    legacySessionId: new Uint8Array(0),
    cipherSuites: [0xc02b, 0x00ff],
    legacyCompressionMethods: Uint8Array.of(0),
    extensions: [],
  },
  {
    legacyVersion: 0x0303,
    random: ramp(32, 7),
    legacySessionId: ramp(32, 8),
    cipherSuites: [0xc02f],
    legacyCompressionMethods: Uint8Array.of(1, 0),
    extensions: [reneg],
  },
];

/** The length of a hello without its extension block: a valid prefix when the block is present. */
const helloPrefix = (length: number | undefined) => (length === undefined ? [] : [length]);

const CASES: Case[] = [
  codec(
    "ServerHello (TLS 1.2)",
    serverHellos,
    M12.encodeServerHello12,
    M12.decodeServerHello12,
    (i) =>
      helloPrefix(
        serverHellos[i].extensions.length > 0
          ? 2 + 32 + 1 + serverHellos[i].legacySessionIdEcho.length + 3
          : undefined,
      ),
  ),
  codec(
    "ClientHello (TLS 1.2)",
    clientHellos,
    (m) => {
      // messages.ts encodes with the TLS 1.3 bound extensions<8..2^16-1>; TLS 1.2 allows any block.
      const w = new Writer();
      w.u16(m.legacyVersion).bytes(m.random).opaque(1, m.legacySessionId);
      w.vector(2, (v) => m.cipherSuites.forEach((s) => v.u16(s))).opaque(1, m.legacyCompressionMethods);
      if (m.extensions.length > 0) {
        w.vector(2, (v) => m.extensions.forEach((e) => v.u16(e.type).opaque(2, e.data)));
      }
      return w.finish();
    },
    M12.decodeClientHello12,
    (i) => {
      const m = clientHellos[i];
      return m.extensions.length === 0 ? [] : [
        2 + 32 + 1 + m.legacySessionId.length + 2 + 2 * m.cipherSuites.length + 1 +
        m.legacyCompressionMethods.length,
      ];
    },
  ),
  codec(
    "ServerKeyExchange (ECDHE)",
    [
      { namedCurve: 0x001d, publicKey: ramp(32, 9), algorithm: 0x0403, signature: ramp(71, 10) },
      {
        namedCurve: 0x0017,
        publicKey: Uint8Array.of(4, ...ramp(64, 11)),
        algorithm: 0x0804,
        signature: ramp(256, 1),
      },
      { namedCurve: 0x0018, publicKey: ramp(1, 12), algorithm: 0x0807, signature: new Uint8Array(0) },
    ],
    M12.encodeServerKeyExchangeEcdhe,
    M12.decodeServerKeyExchangeEcdhe,
  ),
  codec(
    "ClientKeyExchange (ECDHE)",
    [ramp(32, 13), ramp(1, 14), ramp(255, 15)],
    M12.encodeClientKeyExchangeEcdhe,
    M12.decodeClientKeyExchangeEcdhe,
  ),
  codec(
    "ClientKeyExchange (RSA)",
    [ramp(256, 16), new Uint8Array(0)],
    M12.encodeClientKeyExchangeRsa,
    M12.decodeClientKeyExchangeRsa,
  ),
  codec(
    "CertificateRequest (TLS 1.2)",
    [
      {
        certificateTypes: [64, 1],
        signatureAlgorithms: [0x0403, 0x0804, 0x0401],
        certificateAuthorities: [],
      },
      {
        certificateTypes: [1],
        signatureAlgorithms: [0x0807],
        certificateAuthorities: [ramp(40, 17), ramp(1, 18)],
      },
    ],
    M12.encodeCertificateRequest12,
    M12.decodeCertificateRequest12,
  ),
  codec(
    "Certificate (TLS 1.2)",
    [{ certificateList: [] }, { certificateList: [ramp(300, 19)] }, {
      certificateList: [ramp(5, 20), ramp(1, 21)],
    }],
    M12.encodeCertificate12,
    M12.decodeCertificate12,
  ),
  codec(
    "CertificateVerify (TLS 1.2)",
    [{ algorithm: 0x0401, signature: ramp(256, 22) }, { algorithm: 0x0403, signature: new Uint8Array(0) }],
    M12.encodeCertificateVerify12,
    M12.decodeCertificateVerify12,
  ),
  codec(
    "NewSessionTicket (RFC 5077)",
    [{ lifetimeHint: 7200, ticket: ramp(100, 23) }, { lifetimeHint: 0xffffffff, ticket: new Uint8Array(0) }],
    M12.encodeNewSessionTicket12,
    M12.decodeNewSessionTicket12,
  ),
  codec("Finished (TLS 1.2)", [ramp(12, 24)], (v) => v.slice(), M12.decodeFinished12),
  codec(
    "ServerHelloDone",
    [undefined],
    () => new Uint8Array(0),
    (b) => M12.decodeEmptyBody(b, "ServerHelloDone"),
  ),
  codec(
    "extended_master_secret",
    [undefined],
    X12.encodeExtendedMasterSecret,
    X12.decodeExtendedMasterSecret,
  ),
  codec(
    "renegotiation_info",
    [new Uint8Array(0), ramp(12, 25), ramp(255, 1)],
    X12.encodeRenegotiationInfo,
    X12.decodeRenegotiationInfo,
  ),
  codec("ec_point_formats", [[0], [0, 1, 2], [1]], X12.encodeEcPointFormats, X12.decodeEcPointFormats),
];

/** mulberry32: a seeded PRNG of floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const c of CASES) {
  Deno.test(`${c.name}: encode → decode → encode round-trips`, () => c.roundTrip());

  Deno.test(`${c.name}: every strict prefix is a DecodeError, a trailing byte too`, () => {
    c.samples.forEach((sample, i) => {
      const valid = new Set(c.validPrefixes?.(i) ?? []);
      for (let n = 0; n < sample.length; n++) {
        if (valid.has(n)) {
          c.decode(sample.subarray(0, n));
          continue;
        }
        assert.throws(
          () => c.decode(sample.subarray(0, n)),
          DecodeError,
          `${c.name} sample ${i} prefix ${n}`,
        );
      }
      const longer = new Uint8Array(sample.length + 1);
      longer.set(sample);
      assert.throws(() => c.decode(longer), DecodeError, `${c.name} sample ${i} with a trailing byte`);
    });
  });

  Deno.test(`${c.name}: random and mutated input is a value that re-encodes exactly, or a DecodeError`, () => {
    const random = mulberry32(c.name.length * 7919 + c.name.charCodeAt(0));
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) {
      inputs.push(Uint8Array.from({ length: Math.floor(random() * 48) }, () => Math.floor(random() * 256)));
      const sample = c.samples[i % c.samples.length];
      if (sample.length > 0) {
        const mutated = sample.slice();
        mutated[Math.floor(random() * mutated.length)] = Math.floor(random() * 256);
        inputs.push(mutated);
      }
    }
    for (const input of inputs) {
      let decoded = false;
      try {
        c.decode(input);
        decoded = true;
      } catch (e) {
        assert.ok(e instanceof DecodeError, `${c.name}: ${e}`);
      }
      if (decoded) assert.deepStrictEqual(c.reencode(input), input, `${c.name}: canonical`);
    }
  });
}

Deno.test("RFC 8422 §5.4: a ServerKeyExchange with an explicit curve is a DecodeError naming curve_type", () => {
  assert.throws(
    () => M12.decodeServerKeyExchangeEcdhe(fromHex("01 001d 01 aa 0403 0000")),
    (e: unknown) => e instanceof DecodeError && e.message.startsWith("ECParameters.curve_type"),
  );
  assert.throws(
    () => M12.decodeServerKeyExchangeEcdhe(fromHex("03 001d 00 0403 0000")),
    DecodeError,
    "empty point",
  );
});

Deno.test("RFC 5246 §7.4: vector bounds — empty lists, odd lengths, empty certificates, duplicates", () => {
  assert.throws(
    () => M12.decodeCertificateRequest12(fromHex("00 0002 0403 0000")),
    DecodeError,
    "no certificate_types",
  );
  assert.throws(
    () => M12.decodeCertificateRequest12(fromHex("01 40 0000 0000")),
    DecodeError,
    "no algorithms",
  );
  assert.throws(() => M12.decodeCertificateRequest12(fromHex("01 40 0003 040300 0000")), DecodeError, "odd");
  assert.throws(
    () => M12.decodeCertificateRequest12(fromHex("01 40 0002 0403 0002 0000")),
    DecodeError,
    "empty DN",
  );
  assert.throws(() => M12.decodeCertificate12(fromHex("000003 000000")), DecodeError, "empty ASN.1Cert");
  assert.throws(() => M12.decodeClientKeyExchangeEcdhe(fromHex("00")), DecodeError, "empty point");
  const dup = fromHex("0303" + "11".repeat(32) + "00" + "c02b 00" + "0008 0017 0000 0017 0000");
  assert.throws(() => M12.decodeServerHello12(dup), DecodeError, "duplicate extension");
  const sid33 = fromHex("0303" + "11".repeat(32) + "21" + "22".repeat(33) + "c02b 00");
  assert.throws(() => M12.decodeServerHello12(sid33), DecodeError, "session_id over 32 bytes");
  assert.throws(() => X12.decodeEcPointFormats(fromHex("00")), DecodeError, "empty point format list");
  assert.throws(() => X12.decodeExtendedMasterSecret(fromHex("00")), DecodeError);
  assert.throws(() => M12.decodeEmptyBody(fromHex("00"), "HelloRequest"), DecodeError);
  assert.deepEqual(
    M12.decodeServerHello12(
      serverHellos[1].random.length ? M12.encodeServerHello12(serverHellos[1]) : new Uint8Array(),
    ).extensions,
    [ems],
  );
});

Deno.test("RFC 5246 §7.4: encoders refuse what their decoders would refuse", () => {
  assert.throws(() => M12.encodeClientKeyExchangeEcdhe(new Uint8Array(0)), RangeError);
  assert.throws(() => M12.encodeClientKeyExchangeEcdhe(new Uint8Array(256)), RangeError);
  assert.throws(() => M12.encodeServerEcdhParams(0x001d, new Uint8Array(256)), RangeError);
  assert.throws(
    () =>
      M12.encodeCertificateRequest12({
        certificateTypes: [],
        signatureAlgorithms: [0x0403],
        certificateAuthorities: [],
      }),
    RangeError,
  );
  assert.throws(
    () =>
      M12.encodeCertificateRequest12({
        certificateTypes: [64],
        signatureAlgorithms: [],
        certificateAuthorities: [],
      }),
    RangeError,
  );
  assert.throws(() => M12.encodeCertificate12({ certificateList: [new Uint8Array(0)] }), RangeError);
  assert.throws(
    () => M12.encodeNewSessionTicket12({ lifetimeHint: -1, ticket: new Uint8Array(0) }),
    RangeError,
  );
  assert.throws(() => X12.encodeRenegotiationInfo(new Uint8Array(256)), RangeError);
  assert.throws(() => X12.encodeEcPointFormats([]), RangeError);
  assert.throws(() => M12.encodeServerHello12({ ...serverHellos[1], extensions: [ems, ems] }), RangeError);
});

Deno.test("RFC 5077 §3.2: session_ticket carries the ticket itself, without a length", () => {
  const ticket = ramp(40, 26);
  assert.deepEqual(X12.encodeSessionTicket(ticket), ticket);
  assert.deepEqual(X12.decodeSessionTicket(ticket), ticket);
  assert.equal(X12.encodeSessionTicket().length, 0);
  assert.throws(() => X12.encodeSessionTicket(new Uint8Array(65536)), RangeError);
});

Deno.test("RFC 8446 §4.2.3: TLS 1.2 uses the SignatureScheme code points for SignatureAndHashAlgorithm", () => {
  assert.equal(SignatureScheme.rsa_pkcs1_sha256, 0x0401);
  assert.equal(SignatureScheme.ecdsa_secp256r1_sha256, 0x0403);
});
