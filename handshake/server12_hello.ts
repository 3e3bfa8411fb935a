/**
 * The TLS 1.2 server's answer to a ClientHello (RFC 5246 §7.4.1.2, §7.3): version checks with the fallback
 * signal (RFC 7507) and the downgrade sentinel (RFC 8446 §4.1.3), secure renegotiation (RFC 5746 §3.6), the
 * extended master secret (RFC 7627 §5.2), then either the full first flight — ServerHello, Certificate,
 * ServerKeyExchange, [CertificateRequest], ServerHelloDone — or, for a valid ticket, the abbreviated
 * handshake (RFC 5077 §3.1).
 *
 * @module
 */

import type { GroupName, KeyExchange } from "../crypto/provider.ts";
import type { CertifiedKey } from "./certified_key.ts";
import { abort, checkEcPointFormats, findExtension } from "./checks.ts";
import {
  DOWNGRADE_TLS12,
  ExtensionType,
  GROUP_CODES,
  HandshakeType,
  ProtocolVersion,
  type Tls12Suite,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
  TLS_FALLBACK_SCSV,
} from "./constants.ts";
import { equal } from "../bytes.ts";
import type { Tls12ServerConfig } from "./config12.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState } from "./context12.ts";
import {
  decodeAlpn,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  decodeSupportedVersionsClient,
  encodeAlpn,
} from "./extensions.ts";
import {
  decodeExtendedMasterSecret,
  decodeRenegotiationInfo,
  encodeEcPointFormats,
  encodeExtendedMasterSecret,
  encodeRenegotiationInfo,
  encodeSessionTicket,
} from "./extensions12.ts";
import { ExpectChangeCipherSpec12, sendChangeCipherSpecAndFinished, unexpected12 } from "./finish12.ts";
import { sessionKeys } from "./key_schedule12.ts";
import {
  ClientCertificateType,
  decodeClientHello12,
  encodeCertificate12,
  encodeCertificateRequest12,
  encodeServerEcdhParams,
  encodeServerHello12,
  encodeServerKeyExchangeEcdhe,
} from "./messages12.ts";
import type { ClientHello, Extension, HandshakeMessage } from "./messages.ts";
import {
  completeServer12,
  ExpectClientCertificate12,
  ExpectClientKeyExchange,
  send12,
  sendNewSessionTicket,
  type Server12Context,
} from "./server12_client.ts";
import type { ServerConfig } from "./server_config.ts";
import {
  keyTypesForSuite,
  selectTls12Scheme,
  serverKeyExchangeSignedContent,
  TLS12_SIGNATURE_SCHEMES,
  tls12Scheme,
} from "./signatures12.ts";
import { openTicket12, type Tls12TicketState } from "./ticket12.ts";
import { Transcript } from "./transcript.ts";

/** The parts of a ClientHello a TLS 1.2 server acts on, decoded and checked. */
interface ClientOffer12 {
  readonly hello: ClientHello;
  readonly signatureAlgorithms: readonly number[];
  /** supported_groups, or null when absent (then any curve may be chosen, RFC 8422 §4). */
  readonly groups: readonly number[] | null;
  readonly serverName: string | null;
  readonly alpn: readonly string[] | null;
  readonly extendedMasterSecret: boolean;
  /** Whether the client signalled RFC 5746 support (SCSV or an empty renegotiation_info). */
  readonly secureRenegotiation: boolean;
  readonly pointFormats: boolean;
  /** session_ticket's data when the extension is present (possibly empty). */
  readonly ticket: Uint8Array | undefined;
}

/** What the server chose for a full handshake. */
interface Negotiation12 {
  readonly suite: Tls12Suite;
  readonly group: Exclude<GroupName, "X25519MLKEM768">;
  readonly certified: CertifiedKey;
  readonly scheme: number;
  readonly sniMatched: boolean;
}

/** Checks the ClientHello for TLS 1.2 (RFC 5246 §7.4.1.2, RFC 7507 §3, RFC 5746 §3.6, RFC 7627 §5.2). */
function readClientHello12(hello: ClientHello, config12: Tls12ServerConfig): ClientOffer12 {
  const ext = (type: number) => findExtension(hello.extensions, type);
  const versions = ext(ExtensionType.supported_versions);
  // RFC 8446 §4.2.1: supported_versions, when present, decides; else legacy_version (RFC 5246 §E.1).
  if (
    versions !== undefined
      ? !decodeSupportedVersionsClient(versions).includes(ProtocolVersion.TLS12)
      : hello.legacyVersion < ProtocolVersion.TLS12
  ) {
    abort(
      "protocol_version",
      "the client does not offer TLS 1.2 or TLS 1.3, the versions this server speaks",
    );
  }
  if (config12.supportsTls13 && hello.cipherSuites.includes(TLS_FALLBACK_SCSV)) {
    abort(
      "inappropriate_fallback",
      "TLS_FALLBACK_SCSV from a client that could have offered TLS 1.3 (RFC 7507 §3)",
    );
  }
  if (!hello.legacyCompressionMethods.includes(0)) {
    abort("illegal_parameter", "ClientHello compression_methods lacks null (RFC 5246 §7.4.1.2)");
  }
  const renegotiationInfo = ext(ExtensionType.renegotiation_info);
  if (renegotiationInfo !== undefined && decodeRenegotiationInfo(renegotiationInfo).length !== 0) {
    abort(
      "handshake_failure",
      "ClientHello renegotiation_info is not empty on an initial handshake (RFC 5746 §3.6)",
    );
  }
  const ems = ext(ExtensionType.extended_master_secret);
  if (ems !== undefined) decodeExtendedMasterSecret(ems);
  if (ems === undefined && config12.requireExtendedMasterSecret) {
    abort(
      "handshake_failure",
      "the client does not offer the extended master secret (RFC 7627), which this server requires",
    );
  }
  const pointFormats = ext(ExtensionType.ec_point_formats);
  checkEcPointFormats(pointFormats, "ClientHello");
  const sigAlgs = ext(ExtensionType.signature_algorithms);
  const groups = ext(ExtensionType.supported_groups);
  const sni = ext(ExtensionType.server_name);
  const alpn = ext(ExtensionType.application_layer_protocol_negotiation);
  return {
    hello,
    // RFC 5246 §7.4.1.4.1: without the extension the client means {sha1, *}, which we refuse: an empty list.
    signatureAlgorithms: sigAlgs === undefined ? [] : decodeSignatureAlgorithms(sigAlgs),
    groups: groups === undefined ? null : decodeSupportedGroups(groups),
    serverName: sni === undefined ? null : decodeServerName(sni),
    alpn: alpn === undefined ? null : decodeAlpn(alpn),
    extendedMasterSecret: ems !== undefined,
    secureRenegotiation: renegotiationInfo !== undefined ||
      hello.cipherSuites.includes(TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
    pointFormats: pointFormats !== undefined,
    ticket: ext(ExtensionType.session_ticket),
  };
}

/** The ECDHE group: ours by preference among the client's; P-256 (else our first) when it lists none. */
function chooseGroup(config: ServerConfig, offer: ClientOffer12): Negotiation12["group"] | undefined {
  const ours = config.groups.filter((g): g is Negotiation12["group"] => g !== "X25519MLKEM768");
  if (offer.groups === null) return ours.includes("P-256") ? "P-256" : ours[0];
  return ours.find((g) => offer.groups!.includes(GROUP_CODES[g]));
}

/** Suite, certificate, signature scheme and group, by server preference (RFC 5246 §7.4.1.3, RFC 8422 §5.1). */
function negotiate12(config: ServerConfig, config12: Tls12ServerConfig, offer: ClientOffer12): Negotiation12 {
  const group = chooseGroup(config, offer);
  if (!group) abort("handshake_failure", "no elliptic curve in common for ECDHE (RFC 8422 §5.1.1)");
  for (const suite of config12.suites) {
    if (suite.keyExchange === "RSA" || !offer.hello.cipherSuites.includes(suite.code)) continue;
    const usable = config.certificates
      .filter((c) => keyTypesForSuite(suite).includes(c.key.keyType))
      .map((certified) => ({ certified, scheme: selectTls12Scheme(certified, offer.signatureAlgorithms) }))
      .filter((c): c is { certified: CertifiedKey; scheme: number } => c.scheme !== undefined);
    const name = offer.serverName;
    const byName = name === null ? undefined : usable.find((c) => c.certified.matches(name));
    const chosen = byName ?? usable[0];
    if (chosen) return { suite, group, ...chosen, sniMatched: byName !== undefined };
  }
  abort(
    "handshake_failure",
    "no TLS 1.2 cipher suite with a certificate and signature algorithm the client accepts",
  );
}

/** The ALPN protocol, by server preference (RFC 7301 §3.2). */
function chooseAlpn(config: ServerConfig, offer: ClientOffer12): string | null {
  if (!offer.alpn || config.alpnProtocols.length === 0) return null;
  const protocol = config.alpnProtocols.find((p) => offer.alpn!.includes(p));
  if (protocol === undefined) {
    abort(
      "no_application_protocol",
      `none of the client's ALPN protocols ${offer.alpn.join(", ")} is served (RFC 7301 §3.2)`,
    );
  }
  return protocol;
}

/** The ServerHello extensions, each answering one the client sent. */
function serverHelloExtensions(k: Server12Context, offer: ClientOffer12, sniAck: boolean): Extension[] {
  const extensions: Extension[] = [];
  if (sniAck) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (offer.secureRenegotiation) {
    extensions.push({ type: ExtensionType.renegotiation_info, data: encodeRenegotiationInfo() });
  }
  if (k.extendedMasterSecret) {
    extensions.push({ type: ExtensionType.extended_master_secret, data: encodeExtendedMasterSecret() });
  }
  if (offer.pointFormats) {
    extensions.push({ type: ExtensionType.ec_point_formats, data: encodeEcPointFormats() });
  }
  if (k.issueTicket) extensions.push({ type: ExtensionType.session_ticket, data: encodeSessionTicket() });
  if (k.alpnProtocol !== null) {
    extensions.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpn([k.alpnProtocol]),
    });
  }
  return extensions;
}

/** The server random; a server that also speaks TLS 1.3 ends it with DOWNGRADE_TLS12 (RFC 8446 §4.1.3). */
function serverRandom(io: Tls12HandshakeIo, config12: Tls12ServerConfig): Uint8Array {
  const random = io.crypto.randomBytes(32);
  if (config12.supportsTls13) random.set(DOWNGRADE_TLS12, 24);
  return random;
}

/**
 * The session of the offered ticket, when it opens and may be resumed here (RFC 5077 §3.1, RFC 7627 §5.3,
 * RFC 6066 §3), with the certificate that authenticated it.
 */
async function resumableSession(
  config: ServerConfig,
  config12: Tls12ServerConfig,
  offer: ClientOffer12,
  io: Tls12HandshakeIo,
): Promise<{ state: Tls12TicketState; suite: Tls12Suite; certificate: Uint8Array } | undefined> {
  if (!config12.ticketKeys || !offer.ticket || offer.ticket.length === 0) return undefined;
  // A resumption would skip client authentication: with it configured, always run a full handshake.
  if (config.clientAuth !== "none") return undefined;
  const state = await openTicket12(
    io.crypto,
    config12.ticketKeys,
    offer.ticket,
    config.now().getTime(),
    config12.ticketLifetime,
  );
  if (!state) return undefined;
  const suite = config12.suites.find((s) => s.code === state.cipherSuite);
  if (!suite || !offer.hello.cipherSuites.includes(suite.code)) return undefined;
  // RFC 7627 §5.3: a session with the extended master secret resumes only with it, one without not at all.
  if (!state.extendedMasterSecret || !offer.extendedMasterSecret) return undefined;
  // RFC 6066 §3: "the server MUST NOT accept the request to resume the session if the server_name extension
  // contains a different name".
  if (state.serverName !== offer.serverName) return undefined;
  // Only under the certificate that authenticated the session, if this server still presents it: ticket
  // keys shared with a server of other certificates, or a replaced certificate, mean a full handshake.
  const certificate = await sessionCertificate(config, state.certificateHash, io);
  if (!certificate) return undefined;
  return { state, suite, certificate };
}

/** The leaf of this server's certificates whose SHA-256 is `hash`, if there is one. */
async function sessionCertificate(
  config: ServerConfig,
  hash: Uint8Array,
  io: Tls12HandshakeIo,
): Promise<Uint8Array | undefined> {
  for (const { chain } of config.certificates) {
    if (equal(await io.crypto.hash("SHA-256", chain[0]), hash)) return chain[0];
  }
  return undefined;
}

/**
 * Answers a ClientHello with TLS 1.2: called by the TLS 1.3 server's ExpectClientHello when the client does
 * not offer TLS 1.3 (or the server's maxVersion is TLS 1.2), with the ClientHello message. Returns the state
 * that waits for the client's next flight.
 */
export async function answerTls12ClientHello(
  config: ServerConfig,
  config12: Tls12ServerConfig,
  m: HandshakeMessage,
  io: Tls12HandshakeIo,
): Promise<Tls12HandshakeState> {
  if (m.type !== HandshakeType.client_hello) unexpected12(m, "ClientHello");
  io.useTls12();
  const offer = readClientHello12(decodeClientHello12(m.body), config12);
  const alpnProtocol = chooseAlpn(config, offer);
  const transcript = new Transcript();
  transcript.add(m.raw);
  const base = {
    config,
    config12,
    transcript,
    clientRandom: offer.hello.random,
    serverRandom: serverRandom(io, config12),
    extendedMasterSecret: offer.extendedMasterSecret,
    alpnProtocol,
    serverName: offer.serverName,
    issueTicket: config12.ticketKeys !== undefined && offer.ticket !== undefined,
  };
  const resumable = await resumableSession(config, config12, offer, io);
  if (resumable) {
    const { suite, certificate, state } = resumable;
    return await resume({ ...base, suite, certificate }, offer, state, io);
  }
  const negotiated = negotiate12(config, config12, offer);
  const certificate = negotiated.certified.chain[0];
  return await sendFirstFlight({ ...base, suite: negotiated.suite, certificate }, offer, negotiated, io);
}

/** ServerHello Certificate ServerKeyExchange [CertificateRequest] ServerHelloDone (RFC 5246 §7.3). */
async function sendFirstFlight(
  k: Server12Context,
  offer: ClientOffer12,
  negotiated: Negotiation12,
  io: Tls12HandshakeIo,
): Promise<Tls12HandshakeState> {
  const { config } = k;
  send12(
    k,
    io,
    HandshakeType.server_hello,
    encodeServerHello12({
      legacyVersion: ProtocolVersion.TLS12,
      random: k.serverRandom,
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: k.suite.code,
      legacyCompressionMethod: 0,
      extensions: serverHelloExtensions(k, offer, negotiated.sniMatched),
    }),
  );
  send12(
    k,
    io,
    HandshakeType.certificate,
    encodeCertificate12({ certificateList: negotiated.certified.chain }),
  );
  const exchange: KeyExchange = await io.crypto.startKeyExchange(negotiated.group);
  const namedCurve = GROUP_CODES[negotiated.group];
  const params = encodeServerEcdhParams(namedCurve, exchange.publicKey);
  const content = serverKeyExchangeSignedContent(k.clientRandom, k.serverRandom, params);
  const signature = await negotiated.certified.key.sign(tls12Scheme(negotiated.scheme)!.algorithm, content);
  send12(
    k,
    io,
    HandshakeType.server_key_exchange,
    encodeServerKeyExchangeEcdhe({
      namedCurve,
      publicKey: exchange.publicKey,
      algorithm: negotiated.scheme,
      signature,
    }),
  );
  const requestCertificate = config.clientAuth !== "none";
  if (requestCertificate) {
    send12(
      k,
      io,
      HandshakeType.certificate_request,
      encodeCertificateRequest12({
        certificateTypes: [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
        signatureAlgorithms: TLS12_SIGNATURE_SCHEMES,
        certificateAuthorities: config.clientCaNames,
      }),
    );
  }
  send12(k, io, HandshakeType.server_hello_done, new Uint8Array(0));
  return requestCertificate
    ? new ExpectClientCertificate12(k, exchange)
    : new ExpectClientKeyExchange(k, exchange, undefined);
}

/** ServerHello [NewSessionTicket] ChangeCipherSpec Finished for a resumed session (RFC 5077 §3.1). */
async function resume(
  k: Server12Context,
  offer: ClientOffer12,
  state: Tls12TicketState,
  io: Tls12HandshakeIo,
): Promise<Tls12HandshakeState> {
  // RFC 5077 §3.4: echoing the client's session id tells it the ticket was accepted; no server_name (RFC 6066 §3).
  send12(
    k,
    io,
    HandshakeType.server_hello,
    encodeServerHello12({
      legacyVersion: ProtocolVersion.TLS12,
      random: k.serverRandom,
      legacySessionIdEcho: offer.hello.legacySessionId,
      cipherSuite: k.suite.code,
      legacyCompressionMethod: 0,
      extensions: serverHelloExtensions(k, offer, false),
    }),
  );
  const master = state.masterSecret;
  io.logSecret("CLIENT_RANDOM", master);
  await sendNewSessionTicket(k, master, io);
  const keys = await sessionKeys(io.crypto, k.suite, master, k.clientRandom, k.serverRandom);
  await sendChangeCipherSpecAndFinished(io, "server", k.suite, master, k.transcript, keys.server);
  return new ExpectChangeCipherSpec12({
    role: "server",
    suite: k.suite,
    transcript: k.transcript,
    master,
    peerKeys: keys.client,
    afterPeerFinished: (io) => Promise.resolve(completeServer12(k, io, null, [], true)),
  });
}
