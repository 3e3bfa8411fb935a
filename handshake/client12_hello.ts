/**
 * The TLS 1.2 client's hello (RFC 5246 §7.4.1): the ClientHello extensions TLS 1.2 adds, a TLS 1.2-only
 * ClientHello, and the checks on a TLS 1.2 ServerHello — downgrade sentinels (RFC 8446 §4.1.3), secure
 * renegotiation (RFC 5746 §3.4), extended master secret (RFC 7627 §5.2), point formats (RFC 8422 §5.1.2) —
 * that lead into a full handshake or, when the server accepts our ticket, an abbreviated one (RFC 5077 §3.1).
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { abort, checkEcPointFormats, checkExtensions, findExtension } from "./checks.ts";
import type { ClientHelloState } from "./client13_hello.ts";
import type { ClientConfig } from "./client_config.ts";
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType,
  GROUP_CODES,
  HandshakeType,
  ProtocolVersion,
  type Tls12Suite,
  tls12SuiteByCode,
} from "./constants.ts";
import type { Tls12ClientConfig, Tls12ClientSession } from "./config12.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState } from "./context12.ts";
import {
  decodeAlpn,
  encodeAlpn,
  encodeServerName,
  encodeSignatureAlgorithms,
  encodeSupportedGroups,
} from "./extensions.ts";
import {
  decodeExtendedMasterSecret,
  decodeRenegotiationInfo,
  encodeEcPointFormats,
  encodeExtendedMasterSecret,
  encodeRenegotiationInfo,
  encodeSessionTicket,
} from "./extensions12.ts";
import {
  ExpectChangeCipherSpec12,
  ignoredHelloRequest,
  sendChangeCipherSpecAndFinished,
} from "./finish12.ts";
import { sessionKeys } from "./key_schedule12.ts";
import { decodeServerHello12, type NewSessionTicket12, type ServerHello12 } from "./messages12.ts";
import {
  type ClientHello,
  encodeClientHello,
  encodeHandshake,
  type Extension,
  type HandshakeMessage,
} from "./messages.ts";
import { TLS12_SIGNATURE_SCHEMES } from "./signatures12.ts";
import { Transcript } from "./transcript.ts";
import { ExpectCertificate12 } from "./client12_server_auth.ts";
import { type Client12Context, complete, ExpectNewSessionTicket12 } from "./client12_end.ts";

/** The extensions a ServerHello may carry in TLS 1.2 (all of them ones we offer). */
const SERVER_HELLO_12_ALLOWED = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.ec_point_formats,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.extended_master_secret,
  ExtensionType.session_ticket,
  ExtensionType.renegotiation_info,
]);

/**
 * The ClientHello extensions TLS 1.2 needs beyond TLS 1.3's (RFC 8422 §5.1.2, RFC 7627 §5.1, RFC 5746 §3.4,
 * RFC 5077 §3.2): ec_point_formats [uncompressed], an empty extended_master_secret and renegotiation_info, and
 * session_ticket (with the session's ticket when resuming).
 */
export function tls12ClientHelloExtensions(config12: Tls12ClientConfig): Extension[] {
  const extensions: Extension[] = [
    { type: ExtensionType.ec_point_formats, data: encodeEcPointFormats() },
    { type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() },
    { type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo() },
  ];
  if (config12.sessionTickets || config12.session) {
    extensions.push({
      type: ExtensionType.session_ticket,
      data: encodeSessionTicket(config12.session?.ticket),
    });
  }
  return extensions;
}

/** Waits for a TLS 1.2 ServerHello after a TLS 1.2-only ClientHello. */
class ExpectServerHello12 implements Tls12HandshakeState {
  readonly name = "ExpectServerHello12";
  constructor(private readonly s: ClientHelloState, private readonly config12: Tls12ClientConfig) {}

  handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, "client")) return Promise.resolve(this);
    return continueAsTls12Client(this.s, this.config12, m, io);
  }
}

/**
 * Sends a ClientHello that offers TLS 1.2 only (`maxVersion: "TLSv1.2"`) and returns the state that waits for
 * the ServerHello. The groups are the configured ones without the hybrid, which TLS 1.2 cannot use; a
 * session id is sent only with a ticket, so that its echo tells an accepted ticket (RFC 5077 §3.4).
 */
export function startTls12Client(
  config: ClientConfig,
  config12: Tls12ClientConfig,
  io: Tls12HandshakeIo,
): Tls12HandshakeState {
  const { crypto } = config;
  const extensions: Extension[] = [];
  if (config.sni !== undefined) {
    extensions.push({ type: ExtensionType.server_name, data: encodeServerName(config.sni) });
  }
  const groups = config.groups.filter((g) => g !== "X25519MLKEM768").map((g) => GROUP_CODES[g]);
  if (config12.suites.some((s) => s.keyExchange !== "RSA")) {
    extensions.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(groups) });
  }
  extensions.push({
    type: ExtensionType.signature_algorithms,
    data: encodeSignatureAlgorithms(TLS12_SIGNATURE_SCHEMES),
  });
  if (config.alpnProtocols.length > 0) {
    extensions.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpn(config.alpnProtocols),
    });
  }
  extensions.push(...tls12ClientHelloExtensions(config12));
  const hello: ClientHello = {
    legacyVersion: ProtocolVersion.TLS12,
    random: crypto.randomBytes(32),
    legacySessionId: config12.session ? crypto.randomBytes(32) : new Uint8Array(0),
    cipherSuites: config12.suites.map((s) => s.code),
    legacyCompressionMethods: new Uint8Array([0]),
    extensions,
  };
  const message = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
  const transcript = new Transcript();
  transcript.add(message);
  io.useTls12();
  io.sendHandshake(message);
  const state: ClientHelloState = {
    config,
    clientHello: hello,
    transcript,
    offered: new Set(extensions.map((e) => e.type)),
    keyShares: new Map(),
    sentChangeCipherSpec: false,
  };
  return new ExpectServerHello12(state, config12);
}

/** Checks the ServerHello's version, random, suite and compression (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3). */
function checkServerHello(sh: ServerHello12, s: ClientHelloState, config12: Tls12ClientConfig): Tls12Suite {
  if (sh.legacyVersion !== ProtocolVersion.TLS12) {
    abort(
      "protocol_version",
      `ServerHello selects version 0x${
        sh.legacyVersion.toString(16)
      } without supported_versions; only TLS 1.2 is negotiated so (RFC 5246 §7.4.1.3)`,
    );
  }
  // RFC 8446 §4.1.3: a client that offered TLS 1.3 refuses a TLS 1.2 or 1.1 answer carrying a sentinel.
  const tail = sh.random.subarray(24);
  if (config12.offeredTls13 && (equal(tail, DOWNGRADE_TLS12) || equal(tail, DOWNGRADE_TLS11))) {
    abort(
      "illegal_parameter",
      "ServerHello.random carries a TLS 1.3 downgrade sentinel: the hello was tampered with (RFC 8446 §4.1.3)",
    );
  }
  const suite = tls12SuiteByCode(sh.cipherSuite);
  if (
    !suite || !config12.suites.some((o) => o.code === suite.code) ||
    !s.clientHello.cipherSuites.includes(suite.code)
  ) {
    abort(
      "illegal_parameter",
      `ServerHello selected cipher suite 0x${sh.cipherSuite.toString(16)}, which was not offered for TLS 1.2`,
    );
  }
  if (sh.legacyCompressionMethod !== 0) {
    abort(
      "illegal_parameter",
      `ServerHello selected compression method ${sh.legacyCompressionMethod} (RFC 5246 §7.4.1.3)`,
    );
  }
  return suite;
}

/**
 * Continues a handshake whose server answered with TLS 1.2: called with the ClientHello state (from the
 * TLS 1.3 client's ExpectServerHello when the ServerHello has no supported_versions, or from
 * {@link startTls12Client}) and the ServerHello message. Returns the next state of a full handshake, or of an
 * abbreviated one when the server accepted the offered ticket.
 */
export async function continueAsTls12Client(
  s: ClientHelloState,
  config12: Tls12ClientConfig,
  m: HandshakeMessage,
  io: Tls12HandshakeIo,
): Promise<Tls12HandshakeState> {
  if (m.type !== HandshakeType.server_hello) {
    abort("unexpected_message", `handshake message ${m.type} where ServerHello was expected`);
  }
  io.useTls12();
  const sh = decodeServerHello12(m.body);
  const suite = checkServerHello(sh, s, config12);
  checkExtensions(sh.extensions, s.offered, SERVER_HELLO_12_ALLOWED, "TLS 1.2 ServerHello");
  const ext = (type: number) => findExtension(sh.extensions, type);
  const renegotiationInfo = ext(ExtensionType.renegotiation_info);
  if (renegotiationInfo !== undefined && decodeRenegotiationInfo(renegotiationInfo).length !== 0) {
    abort(
      "handshake_failure",
      "ServerHello renegotiation_info is not empty on an initial handshake (RFC 5746 §3.4)",
    );
  }
  const emsData = ext(ExtensionType.extended_master_secret);
  if (emsData !== undefined) decodeExtendedMasterSecret(emsData);
  const ems = emsData !== undefined;
  if (!ems && config12.requireExtendedMasterSecret) {
    abort(
      "handshake_failure",
      "the server does not support the extended master secret (RFC 7627), which this client requires; TLS 1.2 without it is open to the triple handshake attack",
    );
  }
  checkEcPointFormats(ext(ExtensionType.ec_point_formats), "ServerHello");
  const sni = ext(ExtensionType.server_name);
  if (sni !== undefined && sni.length !== 0) {
    abort("decode_error", "ServerHello server_name is not empty (RFC 6066 §3)");
  }
  let alpnProtocol: string | null = null;
  const alpn = ext(ExtensionType.application_layer_protocol_negotiation);
  if (alpn !== undefined) {
    const list = decodeAlpn(alpn);
    if (list.length !== 1 || !s.config.alpnProtocols.includes(list[0])) {
      abort(
        "illegal_parameter",
        "ServerHello ALPN is not exactly one of the offered protocols (RFC 7301 §3.1)",
      );
    }
    alpnProtocol = list[0];
  }
  const ticketData = ext(ExtensionType.session_ticket);
  if (ticketData !== undefined && ticketData.length !== 0) {
    abort("decode_error", "ServerHello session_ticket is not empty (RFC 5077 §3.2)");
  }
  s.transcript.add(m.raw);
  const k: Client12Context = {
    hello: s,
    config12,
    suite,
    clientRandom: s.clientHello.random,
    serverRandom: sh.random,
    extendedMasterSecret: ems,
    alpnProtocol,
    ticketExpected: ticketData !== undefined,
  };
  // RFC 5077 §3.4: the echo of our session id says that the server accepted the ticket.
  const offeredId = s.clientHello.legacySessionId;
  if (offeredId.length > 0 && equal(sh.legacySessionIdEcho, offeredId)) {
    const session = config12.session;
    if (!session) {
      abort("illegal_parameter", "the server resumes a session that was not offered (RFC 5246 §7.4.1.3)");
    }
    return await resume(k, session, io);
  }
  return new ExpectCertificate12(k);
}

/** An abbreviated handshake with `session` (RFC 5246 §7.3, RFC 5077 §3.1, RFC 7627 §5.3). */
async function resume(
  k: Client12Context,
  session: Tls12ClientSession,
  io: Tls12HandshakeIo,
): Promise<Tls12HandshakeState> {
  if (session.cipherSuite !== k.suite.code) {
    abort(
      "illegal_parameter",
      "the resumed session's cipher suite differs from the ServerHello's (RFC 5246 §7.4.1.3)",
    );
  }
  if (session.extendedMasterSecret !== k.extendedMasterSecret) {
    abort(
      "handshake_failure",
      "the resumption does not keep the session's extended master secret (RFC 7627 §5.3)",
    );
  }
  const master = session.masterSecret;
  io.logSecret("CLIENT_RANDOM", master);
  const keys = await sessionKeys(io.crypto, k.suite, master, k.clientRandom, k.serverRandom);
  const finish = (ticket: NewSessionTicket12 | undefined) =>
    new ExpectChangeCipherSpec12({
      role: "client",
      suite: k.suite,
      transcript: k.hello.transcript,
      master,
      peerKeys: keys.server,
      afterPeerFinished: async (io) => {
        await sendChangeCipherSpecAndFinished(io, "client", k.suite, master, k.hello.transcript, keys.client);
        return complete(k, io, {
          master,
          ticket,
          peerCertificates: session.peerCertificates,
          group: null,
          resumed: true,
        });
      },
    });
  return k.ticketExpected ? new ExpectNewSessionTicket12(k, finish) : finish(undefined);
}
