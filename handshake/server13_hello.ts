/**
 * The TLS 1.3 server's first states: ExpectClientHello, which checks the ClientHello (RFC 8446 §4.1.2, §9.2)
 * and negotiates the suite, group, certificate, signature scheme and ALPN protocol — answering with a
 * HelloRetryRequest (§4.1.4) when the client sent no usable key share, with a cookie (§4.2.2) when the server
 * is configured for one — and ExpectSecondClientHello, which checks that the retried ClientHello is the
 * first one with only the permitted changes.
 *
 * @module
 */

import type { GroupName } from "../crypto/provider.ts";
import { type CertifiedKey, selectSignatureScheme } from "./certified_key.ts";
import { abort, findExtension } from "./checks.ts";
import {
  ExtensionType,
  GROUP_CODES,
  groupByCode,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  nameOf,
  ProtocolVersion,
  type Tls13Suite,
  tls13SuiteByCode,
} from "./constants.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import {
  decodeAlpn,
  decodeCookie,
  decodeKeyShareClient,
  decodeServerName,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  decodeSupportedVersionsClient,
  encodeCookie,
  encodeKeyShareHrr,
  encodeSupportedVersionsServer,
  type KeyShareEntry,
} from "./extensions.ts";
import {
  type ClientHello,
  decodeClientHello,
  encodeHandshake,
  encodeServerHello,
  type HandshakeMessage,
} from "./messages.ts";
import type { ServerConfig } from "./server_config.ts";
import { checkEchoedCookie, type CookieContents, makeCookie } from "./server13_cookie.ts";
import { checkRetriedHello } from "./server13_retry.ts";
import { sendServerFlight } from "./server13_flight.ts";
import { acceptTicket, findTicket, preferSuiteWithHash, skipOfferedEarlyData } from "./server13_psk.ts";
import { Transcript } from "./transcript.ts";
import { answerTls12ClientHello } from "./server12_hello.ts";
import { tls12ClientHello } from "./version_negotiation.ts";

/** The parts of a ClientHello the server acts on, decoded and checked. */
interface ClientOffer {
  readonly hello: ClientHello;
  readonly signatureAlgorithms: readonly number[];
  readonly supportedGroups: readonly number[];
  readonly keyShares: readonly KeyShareEntry[];
  readonly serverName: string | null;
  readonly alpn: readonly string[] | null;
  readonly cookie: Uint8Array | undefined;
}

/** What the server decided; `share` is undefined when a HelloRetryRequest must ask for `group`. */
export interface ServerNegotiation {
  /** The cipher suite, by server preference. */
  readonly suite: Tls13Suite;
  /** The key-exchange group: the share's, or the one a HelloRetryRequest asks for. */
  readonly group: GroupName;
  /** The client's key share for `group`, when it sent one. */
  readonly share: KeyShareEntry | undefined;
  /** The ALPN protocol, or null when ALPN is not in use. */
  readonly alpnProtocol: string | null;
  /** The SNI host_name the client sent, or null. */
  readonly serverName: string | null;
  /** Whether the certificate was chosen by the SNI (then EncryptedExtensions acknowledges it, RFC 6066 §3). */
  readonly sniMatched: boolean;
  /** The certificate and key that authenticate the server. */
  readonly certified: CertifiedKey;
  /** The SignatureScheme of the CertificateVerify. */
  readonly signatureScheme: number;
}

/** Decodes and checks the ClientHello's version, compression and extensions (RFC 8446 §4.1.2, §4.2, §9.2). */
function readClientHello(hello: ClientHello): ClientOffer {
  const ext = (type: number) => findExtension(hello.extensions, type);
  // RFC 8446 §D.5: a ClientHello.legacy_version of SSL 3.0 or below is refused.
  if (hello.legacyVersion < ProtocolVersion.TLS10) {
    abort(
      "protocol_version",
      `ClientHello legacy_version 0x${hello.legacyVersion.toString(16)} (RFC 8446 §D.5)`,
    );
  }
  const versions = ext(ExtensionType.supported_versions);
  if (versions === undefined || !decodeSupportedVersionsClient(versions).includes(ProtocolVersion.TLS13)) {
    abort(
      "protocol_version",
      "the client does not offer TLS 1.3, the only version this server speaks (RFC 8446 §4.2.1)",
    );
  }
  if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
    abort(
      "illegal_parameter",
      "ClientHello legacy_compression_methods is not exactly [null] (RFC 8446 §4.1.2)",
    );
  }
  const pskIndex = hello.extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (pskIndex >= 0 && pskIndex !== hello.extensions.length - 1) {
    abort("illegal_parameter", "pre_shared_key is not the last ClientHello extension (RFC 8446 §4.2.11)");
  }
  const sigAlgs = ext(ExtensionType.signature_algorithms);
  if (sigAlgs === undefined) {
    abort(
      "missing_extension",
      "ClientHello has no signature_algorithms for a certificate handshake (RFC 8446 §9.2)",
    );
  }
  const groupsData = ext(ExtensionType.supported_groups);
  const sharesData = ext(ExtensionType.key_share);
  if (groupsData === undefined || sharesData === undefined) {
    abort(
      "missing_extension",
      "ClientHello lacks supported_groups or key_share for a (EC)DHE handshake (RFC 8446 §9.2)",
    );
  }
  const supportedGroups = decodeSupportedGroups(groupsData);
  const keyShares = decodeKeyShareClient(sharesData);
  // RFC 8446 §4.2.8: each share's group is in supported_groups, in the same order.
  let last = -1;
  for (const share of keyShares) {
    const index = supportedGroups.indexOf(share.group);
    if (index <= last) {
      abort(
        "illegal_parameter",
        `key_share for ${
          nameOf(GROUP_CODES, share.group)
        } is not in supported_groups order (RFC 8446 §4.2.8)`,
      );
    }
    last = index;
  }
  const sni = ext(ExtensionType.server_name);
  const alpn = ext(ExtensionType.application_layer_protocol_negotiation);
  const cookie = ext(ExtensionType.cookie);
  return {
    hello,
    signatureAlgorithms: decodeSignatureAlgorithms(sigAlgs),
    supportedGroups,
    keyShares,
    serverName: sni === undefined ? null : decodeServerName(sni),
    alpn: alpn === undefined ? null : decodeAlpn(alpn),
    cookie: cookie === undefined ? undefined : decodeCookie(cookie),
  };
}

/** The certificate for the SNI (else the first) and its scheme, among those the client can verify. */
function selectCertificate(
  config: ServerConfig,
  offer: ClientOffer,
): { certified: CertifiedKey; scheme: number; sniMatched: boolean } {
  const usable = config.certificates
    .map((certified) => ({ certified, scheme: selectSignatureScheme(certified, offer.signatureAlgorithms) }))
    .filter((c): c is { certified: CertifiedKey; scheme: number } => c.scheme !== undefined);
  const name = offer.serverName;
  const byName = name === null ? undefined : usable.find((c) => c.certified.matches(name));
  const chosen = byName ?? usable[0];
  if (!chosen) {
    abort(
      "handshake_failure",
      "no certificate has a key for any of the client's signature_algorithms (RFC 8446 §4.4.2.2)",
    );
  }
  return { ...chosen, sniMatched: byName !== undefined };
}

/** Negotiates everything from one ClientHello, by server preference (RFC 8446 §4.1.1). */
function negotiate(config: ServerConfig, offer: ClientOffer): ServerNegotiation {
  const suite = config.suites.find((s) => offer.hello.cipherSuites.includes(s.code));
  if (!suite) abort("handshake_failure", "no cipher suite in common (RFC 8446 §4.1.1)");
  let alpnProtocol: string | null = null;
  if (offer.alpn && config.alpnProtocols.length > 0) {
    alpnProtocol = config.alpnProtocols.find((p) => offer.alpn!.includes(p)) ?? null;
    if (alpnProtocol === null) {
      abort(
        "no_application_protocol",
        `none of the client's ALPN protocols ${offer.alpn.join(", ")} is served (RFC 7301 §3.2)`,
      );
    }
  }
  const { certified, scheme, sniMatched } = selectCertificate(config, offer);
  // A group the client sent a share for, by server preference; else the best group it supports, via HRR.
  let group = config.groups.find((g) => offer.keyShares.some((s) => s.group === GROUP_CODES[g]));
  const share = group && offer.keyShares.find((s) => s.group === GROUP_CODES[group!]);
  group ??= config.groups.find((g) => offer.supportedGroups.includes(GROUP_CODES[g]));
  if (!group) abort("handshake_failure", "no key exchange group in common (RFC 8446 §4.2.7)");
  return {
    suite,
    group,
    share,
    alpnProtocol,
    serverName: offer.serverName,
    sniMatched,
    certified,
    signatureScheme: scheme,
  };
}

/** Waits for the ClientHello; answers with the server's flight or a HelloRetryRequest (RFC 8446 §4.1.2). */
export class ExpectClientHello implements HandshakeState {
  /** The state's name, for errors and traces. */
  readonly name = "ExpectClientHello";
  /** A state for one connection of a server configured by `config`. */
  constructor(private readonly config: ServerConfig) {}

  /** Handles the ClientHello; anything else is unexpected_message. */
  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.client_hello) {
      abort("unexpected_message", `${nameOf(HandshakeType, m.type)} where ClientHello was expected`);
    }
    // The version comes first (RFC 8446 §4.2.1): a client that does not get TLS 1.3 may get TLS 1.2.
    const config12 = tls12ClientHello(m.body, this.config);
    if (config12) return await answerTls12ClientHello(this.config, config12, m, io);
    const offer = readClientHello(decodeClientHello(m.body));
    if (offer.cookie !== undefined) {
      abort(
        "illegal_parameter",
        "the first ClientHello carries a cookie this server never sent (RFC 8446 §4.2.2)",
      );
    }
    // RFC 8446 §4.2.11: a ticket that can be resumed makes a suite with its hash preferred.
    const ticket = await findTicket(this.config, offer.hello, offer.serverName, io);
    const chosen = negotiate(this.config, offer);
    const suite = preferSuiteWithHash(this.config, offer.hello, chosen.suite, ticket?.suite.hash);
    const negotiated = { ...chosen, suite };
    skipOfferedEarlyData(offer.hello, io);
    const transcript = new Transcript();
    transcript.add(m.raw);
    const share = negotiated.share;
    if (share) {
      const psk = ticket && await acceptTicket(io, ticket, suite, new Uint8Array(0), m.raw);
      return await sendServerFlight({
        config: this.config,
        transcript,
        clientHello: offer.hello,
        negotiated: { ...negotiated, share },
        sentChangeCipherSpec: false,
        psk,
      }, io);
    }
    return await this.#helloRetry(offer, negotiated, transcript, io);
  }

  /** Sends a HelloRetryRequest for `negotiated.group` (RFC 8446 §4.1.4), with a cookie if configured (§4.2.2). */
  async #helloRetry(
    offer: ClientOffer,
    negotiated: ServerNegotiation,
    transcript: Transcript,
    io: HandshakeIo,
  ): Promise<HandshakeState> {
    const { crypto } = io;
    // RFC 8446 §D.4: a client that sent a legacy_session_id is in middlebox compatibility mode.
    const sendCcs = offer.hello.legacySessionId.length > 0;
    const { suite, group } = negotiated;
    const contents: CookieContents = {
      cipherSuite: suite.code,
      group: GROUP_CODES[group],
      clientHello1Hash: await transcript.hash(crypto, suite.hash),
    };
    const { cookieKey } = this.config;
    const cookie = cookieKey && await makeCookie(crypto, cookieKey, offer.hello.random, contents);
    const hrr = encodeHandshake(
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS12,
        random: HELLO_RETRY_REQUEST_RANDOM,
        legacySessionIdEcho: offer.hello.legacySessionId,
        cipherSuite: suite.code,
        legacyCompressionMethod: 0,
        extensions: [
          {
            type: ExtensionType.supported_versions,
            data: encodeSupportedVersionsServer(ProtocolVersion.TLS13),
          },
          { type: ExtensionType.key_share, data: encodeKeyShareHrr(GROUP_CODES[group]) },
          ...(cookie ? [{ type: ExtensionType.cookie, data: encodeCookie(cookie) }] : []),
        ],
      }),
    );
    // RFC 8446 §4.4.1: ClientHello1 is replaced by message_hash, followed by the HelloRetryRequest.
    await transcript.replaceWithMessageHash(crypto, suite.hash);
    transcript.add(hrr);
    io.sendHandshake(hrr);
    // RFC 8446 §D.4: in middlebox compatibility mode the CCS follows the server's first handshake message.
    if (sendCcs) io.sendChangeCipherSpec();
    return new ExpectSecondClientHello(this.config, offer.hello, contents, transcript, sendCcs);
  }
}

/**
 * Waits for the ClientHello that answers the HelloRetryRequest (RFC 8446 §4.1.2, §4.1.4). `retry` is what the
 * HelloRetryRequest decided — kept here, and also sent in the cookie when the server sends one.
 */
class ExpectSecondClientHello implements HandshakeState {
  readonly name = "ExpectSecondClientHello";
  constructor(
    private readonly config: ServerConfig,
    private readonly first: ClientHello,
    private readonly retry: CookieContents,
    private readonly transcript: Transcript,
    private readonly sentChangeCipherSpec: boolean,
  ) {}

  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.client_hello) {
      abort(
        "unexpected_message",
        `${nameOf(HandshakeType, m.type)} where the second ClientHello was expected`,
      );
    }
    const offer = readClientHello(decodeClientHello(m.body));
    const { hello } = offer;
    checkRetriedHello(this.first, hello);
    await checkEchoedCookie(io.crypto, this.config.cookieKey, hello.random, offer.cookie, this.retry);
    const selected = this.retry.group;
    if (offer.keyShares.length !== 1 || offer.keyShares[0].group !== selected) {
      abort(
        "illegal_parameter",
        `the second ClientHello must carry exactly one key_share, for ${
          nameOf(GROUP_CODES, selected)
        } (RFC 8446 §4.2.8)`,
      );
    }
    // The suite choice of the first ClientHello, made again: by the hash of the HelloRetryRequest's suite.
    const ticket = await findTicket(this.config, hello, offer.serverName, io);
    const chosen = negotiate(this.config, offer);
    const retryHash = tls13SuiteByCode(this.retry.cipherSuite)?.hash;
    const negotiated = { ...chosen, suite: preferSuiteWithHash(this.config, hello, chosen.suite, retryHash) };
    const share = negotiated.share;
    if (negotiated.suite.code !== this.retry.cipherSuite || !share) {
      abort(
        "illegal_parameter",
        "the second ClientHello does not agree with the HelloRetryRequest (RFC 8446 §4.1.4)",
      );
    }
    if (groupByCode(share.group) !== negotiated.group) {
      abort(
        "illegal_parameter",
        "the second ClientHello's key_share is not for the selected group (RFC 8446 §4.1.4)",
      );
    }
    // RFC 8446 §4.2.11.2: the binder covers message_hash(ClientHello1) ‖ HelloRetryRequest ‖ Truncate(this).
    const psk = ticket && await acceptTicket(io, ticket, negotiated.suite, this.transcript.bytes(), m.raw);
    this.transcript.add(m.raw);
    return await sendServerFlight({
      config: this.config,
      transcript: this.transcript,
      clientHello: hello,
      negotiated: { ...negotiated, share },
      sentChangeCipherSpec: this.sentChangeCipherSpec,
      psk,
    }, io);
  }
}
