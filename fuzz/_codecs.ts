/**
 * Codec targets of the fuzzer: every TLS 1.3 message and extension codec (the samples of
 * `tests/_codec_fixtures.ts` plus the messages of the recorded scenarios), the TLS 1.2 message decoders, the
 * record layer's framing, reassembly and alert decoding, and X.509 parsing and chain verification.
 *
 * The rule for a codec: a decoder returns or throws `DecodeError` (the record layer: `TlsAlertError`; X.509:
 * `CertificateVerificationError`) — nothing else; what a decoder accepts, its encoder encodes again without
 * a `RangeError` (what we decode we could also send); a canonical codec re-encodes to the same bytes.
 *
 * @module
 */

import { DecodeError, equal } from "../bytes.ts";
import { CertificateVerificationError, TlsAlertError } from "../errors.ts";
import * as M12 from "../handshake/messages12.ts";
import * as X12 from "../handshake/extensions12.ts";
import {
  decodePreSharedKeyClient,
  decodePreSharedKeyServer,
  encodePreSharedKeyClient,
} from "../handshake/psk.ts";
import { decodeTicketState, encodeTicketState } from "../handshake/ticket13.ts";
import { decodeAlert } from "../record/alert.ts";
import { RecordReader } from "../record/framing.ts";
import { HandshakeReassembler } from "../record/handshake_reassembler.ts";
import { type CodecCase, EXTENSION_CODECS, MESSAGE_CODECS } from "../tests/_codec_fixtures.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { decodePem } from "../x509/pem.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { CT, describeError, FUZZ_NOW, type Scenario } from "./_harness.ts";
import { CLIENT, ROOT, SERVER } from "./_fixtures.ts";
import { mutateBytes, mutateDer, mutateMessage } from "./_mutate.ts";
import type { Rng } from "./_rng.ts";

/** A codec target: sample inputs and a check that returns why an input breaks the rule, if it does. */
export interface CodecTarget {
  readonly name: string;
  readonly samples: readonly Uint8Array[];
  /** Whether samples are whole handshake messages (header included), for message-aware mutation. */
  readonly messages?: boolean;
  /** Whether samples are DER, for DER-aware mutation. */
  readonly der?: boolean;
  check(input: Uint8Array): Promise<string | undefined> | string | undefined;
}

const MESSAGE_TYPES: Record<string, number> = {
  ClientHello: 1,
  ServerHello: 2,
  NewSessionTicket: 4,
  EncryptedExtensions: 8,
  Certificate: 11,
  CertificateRequest: 13,
  CertificateVerify: 15,
  KeyUpdate: 24,
};

/** The rule for a TLS 1.3 codec case. */
function codecCheck(c: CodecCase, input: Uint8Array): string | undefined {
  try {
    c.decode(input);
  } catch (e) {
    return e instanceof DecodeError ? undefined : `decoder threw ${describeError(e)}`;
  }
  let again: Uint8Array;
  try {
    again = c.reencode(input);
  } catch (e) {
    return `decoded but cannot be encoded again: ${describeError(e)}`;
  }
  if (c.canonical && !equal(again, input)) return "decoded and encoded again to different bytes";
  return undefined;
}

/** The rule for a decode-only function. */
function decodeOnly(
  name: string,
  decode: (b: Uint8Array) => unknown,
  samples: Uint8Array[] = [],
): CodecTarget {
  return {
    name,
    samples,
    check(input) {
      try {
        decode(input);
      } catch (e) {
        if (!(e instanceof DecodeError) && !(e instanceof TlsAlertError)) return `threw ${describeError(e)}`;
      }
      return undefined;
    },
  };
}

/** Handshake messages of the recorded scenarios (header included), by msg_type. */
function recordedMessages(scenarios: readonly Scenario[]): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  for (const s of scenarios) {
    for (const r of s.script.records) {
      if (r.type !== CT.handshake) continue;
      for (let i = 0; i + 4 <= r.content.length;) {
        const n = (r.content[i + 1] << 16) | (r.content[i + 2] << 8) | r.content[i + 3];
        const raw = r.content.slice(i, i + 4 + n);
        if (!out.has(raw[0])) out.set(raw[0], []);
        out.get(raw[0])!.push(raw);
        i += 4 + n;
      }
    }
  }
  return out;
}

/** Every codec target; `scenarios` contribute their real messages as samples. */
export function codecTargets(scenarios: readonly Scenario[]): CodecTarget[] {
  const recorded = recordedMessages(scenarios);
  const targets: CodecTarget[] = [];
  for (const c of [...MESSAGE_CODECS, ...EXTENSION_CODECS]) {
    const type = MESSAGE_TYPES[c.name];
    const header = (body: Uint8Array) =>
      Uint8Array.of(type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff, ...body);
    if (type !== undefined) {
      // Message codecs take the body; samples are kept whole (header included) for message-aware mutation.
      targets.push({
        name: c.name,
        samples: [...c.samples.map(header), ...(recorded.get(type) ?? [])],
        messages: true,
        check: (input) => codecCheck(c, input.subarray(4)),
      });
    } else {
      targets.push({ name: c.name, samples: c.samples, check: (input) => codecCheck(c, input) });
    }
  }
  const bodies = (type: number) => (recorded.get(type) ?? []).map((m) => m.subarray(4));
  targets.push(
    decodeOnly("ClientHello (TLS 1.2)", M12.decodeClientHello12, bodies(1)),
    decodeOnly("ServerHello (TLS 1.2)", M12.decodeServerHello12, bodies(2)),
    decodeOnly("ServerKeyExchange (ECDHE)", M12.decodeServerKeyExchangeEcdhe),
    decodeOnly("CertificateRequest (TLS 1.2)", M12.decodeCertificateRequest12, bodies(13)),
    decodeOnly("Certificate (TLS 1.2)", M12.decodeCertificate12, bodies(11).map((b) => b.subarray(1))),
    decodeOnly("CertificateVerify (TLS 1.2)", M12.decodeCertificateVerify12, bodies(15)),
    decodeOnly("ClientKeyExchange (ECDHE)", M12.decodeClientKeyExchangeEcdhe),
    decodeOnly("ClientKeyExchange (RSA)", M12.decodeClientKeyExchangeRsa),
    decodeOnly("Finished (TLS 1.2)", M12.decodeFinished12),
    decodeOnly("NewSessionTicket (TLS 1.2)", M12.decodeNewSessionTicket12),
    decodeOnly("ServerHelloDone", (b) => M12.decodeEmptyBody(b, "ServerHelloDone")),
    decodeOnly("extended_master_secret", X12.decodeExtendedMasterSecret),
    decodeOnly("renegotiation_info", X12.decodeRenegotiationInfo, [Uint8Array.of(0)]),
    decodeOnly("ec_point_formats", X12.decodeEcPointFormats, [Uint8Array.of(1, 0)]),
    decodeOnly("session_ticket", X12.decodeSessionTicket),
    decodeOnly("Alert", decodeAlert, [Uint8Array.of(2, 40), Uint8Array.of(1, 0)]),
    {
      name: "pre_shared_key (ClientHello)",
      samples: [
        encodePreSharedKeyClient({
          identities: [{ identity: new Uint8Array(40).fill(7), obfuscatedTicketAge: 12345 }],
          binders: [new Uint8Array(32).fill(1)],
        }),
        encodePreSharedKeyClient({
          identities: [
            { identity: Uint8Array.of(1), obfuscatedTicketAge: 0 },
            { identity: new Uint8Array(100).fill(2), obfuscatedTicketAge: 0xffffffff },
          ],
          binders: [new Uint8Array(48).fill(3), new Uint8Array(32).fill(4)],
        }),
      ],
      check(input) {
        let decoded;
        try {
          decoded = decodePreSharedKeyClient(input);
        } catch (e) {
          return e instanceof DecodeError ? undefined : `threw ${describeError(e)}`;
        }
        try {
          return equal(encodePreSharedKeyClient(decoded), input)
            ? undefined
            : "re-encodes to different bytes";
        } catch (e) {
          return `decoded but cannot be encoded again: ${describeError(e)}`;
        }
      },
    },
    decodeOnly("pre_shared_key (ServerHello)", decodePreSharedKeyServer, [Uint8Array.of(0, 0)]),
    {
      name: "ticket plaintext (TLS 1.3)",
      samples: [
        encodeTicketState({
          cipherSuite: 0x1301,
          issuedAt: FUZZ_NOW.getTime(),
          lifetime: 7200,
          ticketAgeAdd: 99,
          psk: new Uint8Array(32).fill(9),
          alpnProtocol: "h2",
          serverName: "localhost",
          clientCertificates: [new Uint8Array(50).fill(5)],
        }),
      ],
      check(input) {
        try {
          decodeTicketState(input);
        } catch (e) {
          return `threw ${describeError(e)} (it returns undefined for what it cannot read)`;
        }
        return undefined;
      },
    },
    {
      name: "RecordReader",
      samples: scenarios.slice(0, 2).map((s) =>
        Uint8Array.of(22, 3, 1, 0, 4, ...s.script.records[0].content.subarray(0, 4))
      ),
      check(input) {
        const reader = new RecordReader();
        try {
          reader.push(input);
          for (let i = 0; i < 1000 && reader.next(); i++) { /* records */ }
          if (reader.buffered > 16384 + 256 + 5) return `holds ${reader.buffered} bytes`;
        } catch (e) {
          if (!(e instanceof TlsAlertError)) return `threw ${describeError(e)}`;
        }
        return undefined;
      },
    },
    {
      name: "HandshakeReassembler",
      samples: [...(recorded.get(1) ?? []), ...(recorded.get(11) ?? [])],
      check(input) {
        const r = new HandshakeReassembler();
        try {
          for (let i = 0; i < input.length; i += 7) {
            r.push(input.subarray(i, i + 7));
            while (r.next()) { /* messages */ }
          }
        } catch (e) {
          if (!(e instanceof TlsAlertError)) return `threw ${describeError(e)}`;
        }
        return undefined;
      },
    },
  );
  const certs = [SERVER, CLIENT, ROOT].map((c) => decodePem(c.cert, "CERTIFICATE")[0].der);
  targets.push({
    name: "X.509 decodeCertificate",
    samples: certs,
    der: true,
    check(input) {
      try {
        decodeCertificate(input);
      } catch (e) {
        if (!(e instanceof CertificateVerificationError)) return `threw ${describeError(e)}`;
      }
      return undefined;
    },
  });
  const verifier = createCertificateVerifier({ caCerts: [ROOT.cert], crypto: webCrypto });
  targets.push({
    name: "X.509 verifyServer",
    samples: certs.slice(0, 1),
    der: true,
    async check(input) {
      try {
        await verifier.verifyServer({ chain: [input, certs[2]], serverName: "localhost", now: FUZZ_NOW });
      } catch (e) {
        if (!(e instanceof CertificateVerificationError)) return `threw ${describeError(e)}`;
      }
      return undefined;
    },
  });
  return targets;
}

/** A mutated (or random) input for `target`. */
export function codecInput(rng: Rng, target: CodecTarget): { input: Uint8Array; what: string } {
  if (target.samples.length === 0 || rng.chance(0.1)) {
    const n = rng.pick([0, 1, 2, 3, 4, 8, 40, 300]);
    return { input: rng.bytes(n), what: `${n} random bytes` };
  }
  let input = rng.pick(target.samples);
  const what: string[] = [];
  const rounds = rng.weighted<number>([[6, 1], [3, 2], [1, 4]]);
  for (let k = 0; k < rounds; k++) {
    if (target.messages && input.length >= 4 && rng.chance(0.8)) {
      const m = mutateMessage(rng, input);
      input = m.raw;
      what.push(m.what);
    } else if (target.der && rng.chance(0.8)) {
      const m = mutateDer(rng, input);
      input = m.data;
      what.push(m.what);
    } else {
      const m = mutateBytes(rng, input);
      input = m.data;
      what.push(m.what);
    }
  }
  return { input, what: what.join("; ") };
}
