/**
 * The TLS 1.3 client's first states: building the ClientHello, and ExpectServerHello, which also handles a
 * HelloRetryRequest (RFC 8446 §4.1).
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { CryptoInputError, type GroupName, type KeyExchange } from "../crypto/provider.ts";
import type { ClientConfig } from "./client_config.ts";
import {
  CERT_SIGNATURE_SCHEMES,
  ExtensionType,
  GROUP_CODES,
  groupByCode,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  nameOf,
  ProtocolVersion,
  PskKeyExchangeMode,
  type Tls13Suite,
  tls13SuiteByCode,
} from "./constants.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import {
  decodeCookie,
  decodeKeyShareHrr,
  decodeKeyShareServer,
  decodeSupportedVersionsServer,
  encodeAlpn,
  encodeCookie,
  encodeKeyShareClient,
  encodePskKeyExchangeModes,
  encodeServerName,
  encodeSignatureAlgorithms,
  encodeSupportedGroups,
  encodeSupportedVersionsClient,
} from "./extensions.ts";
import { EarlySecret } from "./key_schedule.ts";
import { background } from "./_background.ts";
import {
  type ClientHello,
  decodeServerHello,
  type Extension,
  type HandshakeMessage,
  type ServerHello,
} from "./messages.ts";
import { Transcript } from "./transcript.ts";
import { abort, checkExtensions, findExtension } from "./checks.ts";
import { ExpectEncryptedExtensions } from "./client13_server_auth.ts";
import { continueAsTls12Client } from "./client12_hello.ts";
import {
  clientCipherSuites,
  clientNeedsSessionId,
  clientSignatureSchemes,
  clientSupportedVersions,
  clientTls12Extensions,
  tls12ServerHello,
} from "./version_negotiation.ts";
import {
  acceptedOffer,
  clientHelloMessage,
  pskOfferExtension,
  type ResumptionOffer,
  retryOffer,
  takeTicket,
} from "./client13_psk.ts";

/** State shared by the client's states from the ClientHello on. */
export interface ClientHelloState {
  readonly config: ClientConfig;
  readonly clientHello: ClientHello;
  readonly transcript: Transcript;
  /** Extension types sent in the (last) ClientHello. */
  readonly offered: ReadonlySet<number>;
  readonly keyShares: ReadonlyMap<GroupName, KeyExchange>;
  /** Whether a ChangeCipherSpec has already been sent. */
  readonly sentChangeCipherSpec: boolean;
  /** The ticket the (last) ClientHello offers in pre_shared_key, if any (RFC 8446 §4.2.11). */
  readonly resumption?: ResumptionOffer;
}

function extensionsFor(
  config: ClientConfig,
  keyShares: readonly KeyExchange[],
  cookie?: Uint8Array,
): Extension[] {
  const exts: Extension[] = [];
  if (config.sni !== undefined) {
    exts.push({ type: ExtensionType.server_name, data: encodeServerName(config.sni) });
  }
  exts.push(
    {
      type: ExtensionType.supported_versions,
      data: encodeSupportedVersionsClient(clientSupportedVersions(config)),
    },
    {
      type: ExtensionType.supported_groups,
      data: encodeSupportedGroups(config.groups.map((g) => GROUP_CODES[g])),
    },
    {
      type: ExtensionType.key_share,
      data: encodeKeyShareClient(
        keyShares.map((k) => ({ group: GROUP_CODES[k.group], keyExchange: k.publicKey })),
      ),
    },
    {
      type: ExtensionType.signature_algorithms,
      data: encodeSignatureAlgorithms(clientSignatureSchemes(config)),
    },
    {
      type: ExtensionType.signature_algorithms_cert,
      data: encodeSignatureAlgorithms(CERT_SIGNATURE_SCHEMES),
    },
    {
      type: ExtensionType.psk_key_exchange_modes,
      data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke]),
    },
  );
  if (config.alpnProtocols.length > 0) {
    exts.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpn(config.alpnProtocols),
    });
  }
  exts.push(...clientTls12Extensions(config));
  if (cookie) exts.push({ type: ExtensionType.cookie, data: encodeCookie(cookie) });
  return exts;
}

/** Builds and sends the first ClientHello; returns the state that waits for the ServerHello. */
export async function startClientHandshake(config: ClientConfig, io: HandshakeIo): Promise<HandshakeState> {
  const { crypto } = config;
  const shares = await Promise.all(config.keyShareGroups.map((g) => crypto.startKeyExchange(g)));
  let hello: ClientHello = {
    legacyVersion: ProtocolVersion.TLS12,
    random: crypto.randomBytes(32),
    legacySessionId: clientNeedsSessionId(config) ? crypto.randomBytes(32) : new Uint8Array(0),
    cipherSuites: clientCipherSuites(config),
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: extensionsFor(config, shares),
  };
  // RFC 8446 §4.2.11: a ticket for this server is offered in pre_shared_key, the last extension.
  const offer = await takeTicket(config);
  if (offer) {
    hello = { ...hello, extensions: [...hello.extensions, pskOfferExtension(offer, config.now().getTime())] };
  }
  if (config.customizeClientHello) hello = config.customizeClientHello(hello);
  const sent = await clientHelloMessage(crypto, hello, offer, new Uint8Array(0));
  hello = sent.hello;
  const { message, resumption } = sent;
  const transcript = new Transcript();
  transcript.add(message);
  io.sendHandshake(message);
  return new ExpectServerHello({
    config,
    clientHello: hello,
    transcript,
    offered: new Set(hello.extensions.map((e) => e.type)),
    keyShares: new Map(shares.map((s) => [s.group, s])),
    sentChangeCipherSpec: false,
    resumption,
  }, undefined);
}

const SERVER_HELLO_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.pre_shared_key,
]);
const HRR_EXTENSIONS = new Set<number>([
  ExtensionType.supported_versions,
  ExtensionType.key_share,
  ExtensionType.cookie,
]);

/** What a HelloRetryRequest fixed: the suite, and the group the second ClientHello offers. */
interface RetryInfo {
  readonly suite: Tls13Suite;
  readonly group: GroupName | undefined;
}

/** Checks the fields common to ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4). */
function checkHelloCommon(sh: ServerHello, s: ClientHelloState, what: string): Tls13Suite {
  const versionData = findExtension(sh.extensions, ExtensionType.supported_versions);
  if (versionData === undefined) {
    abort("protocol_version", `${what} negotiates a version below TLS 1.3, which this client does not offer`);
  }
  const version = decodeSupportedVersionsServer(versionData);
  if (version !== ProtocolVersion.TLS13) {
    abort("illegal_parameter", `${what} selected version 0x${version.toString(16)} (RFC 8446 §4.2.1)`);
  }
  if (sh.legacyVersion !== ProtocolVersion.TLS12) {
    abort("illegal_parameter", `${what} legacy_version is not 0x0303 (RFC 8446 §4.1.3)`);
  }
  if (!equal(sh.legacySessionIdEcho, s.clientHello.legacySessionId)) {
    abort(
      "illegal_parameter",
      `${what} legacy_session_id_echo differs from the ClientHello's (RFC 8446 §4.1.3)`,
    );
  }
  const suite = tls13SuiteByCode(sh.cipherSuite);
  if (!suite || !s.clientHello.cipherSuites.includes(sh.cipherSuite)) {
    abort(
      "illegal_parameter",
      `${what} selected cipher suite 0x${sh.cipherSuite.toString(16)} that was not offered`,
    );
  }
  if (sh.legacyCompressionMethod !== 0) {
    abort(
      "illegal_parameter",
      `${what} selected compression method ${sh.legacyCompressionMethod} (RFC 8446 §4.1.3)`,
    );
  }
  return suite;
}

/** Waits for the ServerHello (or a HelloRetryRequest). */
export class ExpectServerHello implements HandshakeState {
  readonly name = "ExpectServerHello";
  constructor(private readonly s: ClientHelloState, private readonly retry: RetryInfo | undefined) {}

  handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.server_hello) {
      abort("unexpected_message", `${nameOf(HandshakeType, m.type)} where ServerHello was expected`);
    }
    // RFC 8446 §4.2.1: a ServerHello without supported_versions selects TLS 1.2 (when this client offered it).
    const config12 = tls12ServerHello(m.body, this.s.config, this.retry !== undefined);
    if (config12) return continueAsTls12Client(this.s, config12, m, io);
    const sh = decodeServerHello(m.body);
    if (equal(sh.random, HELLO_RETRY_REQUEST_RANDOM)) return this.#helloRetry(sh, m, io);
    return this.#serverHello(sh, m, io);
  }

  async #serverHello(sh: ServerHello, m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    const { s } = this;
    const suite = checkHelloCommon(sh, s, "ServerHello");
    checkExtensions(sh.extensions, s.offered, SERVER_HELLO_EXTENSIONS, "ServerHello");
    if (this.retry && this.retry.suite.code !== suite.code) {
      abort(
        "illegal_parameter",
        "ServerHello cipher suite differs from the HelloRetryRequest's (RFC 8446 §4.1.4)",
      );
    }
    const resumed = acceptedOffer(sh, s.resumption, suite);
    const shareData = findExtension(sh.extensions, ExtensionType.key_share);
    if (shareData === undefined) abort("missing_extension", "ServerHello has no key_share (RFC 8446 §4.2.8)");
    const entry = decodeKeyShareServer(shareData);
    const group = groupByCode(entry.group);
    const exchange = group && s.keyShares.get(group);
    if (!group || !exchange) {
      abort(
        "illegal_parameter",
        `ServerHello key_share is for group ${nameOf(GROUP_CODES, entry.group)}, for which no share was sent`,
      );
    }
    const { crypto } = io;
    // The transcript hash and the Early Secret do not need the shared secret: computed beside it.
    s.transcript.add(m.raw);
    const helloHash = background(s.transcript.hash(crypto, suite.hash));
    const early = background(EarlySecret.create(crypto, suite, resumed?.ticket.psk));
    let shared: Uint8Array;
    try {
      shared = await exchange.complete(entry.keyExchange);
    } catch (e) {
      if (e instanceof CryptoInputError) {
        abort("illegal_parameter", `ServerHello key_share is invalid: ${e.message}`);
      }
      throw e;
    }
    const handshakeSecret = await (await early).advance(shared);
    // The Master Secret needs no transcript: derived while the server's flight is read.
    background(handshakeSecret.advance());
    const secrets = await handshakeSecret.trafficSecrets(await helloHash);
    io.logSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets.client);
    io.logSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets.server);
    await Promise.all([io.setReadSecret(suite, secrets.server), io.setWriteSecret(suite, secrets.client)]);
    return new ExpectEncryptedExtensions({
      hello: s,
      suite,
      group,
      handshakeSecret,
      secrets,
      resumed,
    });
  }

  async #helloRetry(hrr: ServerHello, m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    const { s } = this;
    if (this.retry) abort("unexpected_message", "a second HelloRetryRequest (RFC 8446 §4.1.4)");
    const suite = checkHelloCommon(hrr, s, "HelloRetryRequest");
    // RFC 8446 §4.2: the cookie is the one extension a HelloRetryRequest may send unsolicited.
    checkExtensions(
      hrr.extensions,
      new Set([...s.offered, ExtensionType.cookie]),
      HRR_EXTENSIONS,
      "HelloRetryRequest",
    );
    const shareData = findExtension(hrr.extensions, ExtensionType.key_share);
    const cookieData = findExtension(hrr.extensions, ExtensionType.cookie);
    let group: GroupName | undefined;
    if (shareData !== undefined) {
      const code = decodeKeyShareHrr(shareData);
      group = groupByCode(code);
      if (!group || !s.config.groups.includes(group)) {
        abort(
          "illegal_parameter",
          `HelloRetryRequest selected group ${nameOf(GROUP_CODES, code)}, which was not offered`,
        );
      }
      if (s.keyShares.has(group)) {
        abort(
          "illegal_parameter",
          `HelloRetryRequest selected ${group}, for which a share was already sent (RFC 8446 §4.2.8)`,
        );
      }
    }
    const cookie = cookieData === undefined ? undefined : decodeCookie(cookieData);
    if (group === undefined && cookie === undefined) {
      abort("illegal_parameter", "HelloRetryRequest would not change the ClientHello (RFC 8446 §4.1.4)");
    }
    const { crypto } = io;
    await s.transcript.replaceWithMessageHash(crypto, suite.hash);
    s.transcript.add(m.raw);

    const keyShares = group ? [await crypto.startKeyExchange(group)] : [...s.keyShares.values()];
    // RFC 8446 §4.1.2: the second ClientHello is the first with key_share replaced, cookie added, and
    // early_data removed; everything else stays the same.
    const replaced = extensionsFor(s.config, keyShares, cookie);
    const byType = new Map(replaced.map((e) => [e.type, e]));
    // pre_shared_key stays last: renewed (age and binder), or dropped for a suite of another hash.
    const extensions: Extension[] = s.clientHello.extensions
      .filter((e) => e.type !== ExtensionType.pre_shared_key && e.type !== ExtensionType.early_data)
      .map((e) => byType.get(e.type) ?? e);
    if (cookie) extensions.push(byType.get(ExtensionType.cookie)!);
    const offer = retryOffer(s.resumption, suite);
    if (offer) extensions.push(pskOfferExtension(offer, s.config.now().getTime()));
    if (s.config.middleboxCompat && !s.sentChangeCipherSpec) io.sendChangeCipherSpec();
    const { hello, message, resumption } = await clientHelloMessage(
      crypto,
      { ...s.clientHello, extensions },
      offer,
      s.transcript.bytes(),
    );
    s.transcript.add(message);
    io.sendHandshake(message);
    return new ExpectServerHello({
      ...s,
      clientHello: hello,
      offered: new Set(hello.extensions.map((e) => e.type)),
      keyShares: new Map(keyShares.map((k) => [k.group, k])),
      sentChangeCipherSpec: s.sentChangeCipherSpec || s.config.middleboxCompat,
      resumption,
    }, { suite, group });
  }
}
