/**
 * The TLS 1.2 server's states after its first flight (RFC 5246 §7.3): the client's Certificate and
 * CertificateVerify when one was requested (§7.4.6, §7.4.8), its ClientKeyExchange (RFC 8422 §5.7),
 * ChangeCipherSpec and Finished; then the server's [NewSessionTicket] ChangeCipherSpec Finished.
 *
 * @module
 */

import { CryptoInputError, type KeyExchange, type PublicKeyInfo } from "../crypto/provider.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { PeerCertificate } from "../x509/verifier.ts";
import { abort, checkChainLength } from "./checks.ts";
import { HandshakeType, nameOf, SignatureScheme, type Tls12Suite } from "./constants.ts";
import type { Tls12ServerConfig } from "./config12.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState } from "./context12.ts";
import {
  Connected12,
  ExpectChangeCipherSpec12,
  sendChangeCipherSpecAndFinished,
  unexpected12,
} from "./finish12.ts";
import { deriveMasterSecret, sessionKeys, type Tls12SessionKeys } from "./key_schedule12.ts";
import {
  decodeCertificate12,
  decodeCertificateVerify12,
  decodeClientKeyExchangeEcdhe,
  encodeNewSessionTicket12,
} from "./messages12.ts";
import { encodeHandshake, type HandshakeMessage } from "./messages.ts";
import type { ServerConfig } from "./server_config.ts";
import { TLS12_SIGNATURE_SCHEMES, tls12Scheme } from "./signatures12.ts";
import { sealTicket12 } from "./ticket12.ts";
import type { Transcript } from "./transcript.ts";

/** What the TLS 1.2 server carries from the ClientHello on. */
export interface Server12Context {
  /** What both versions share. */
  readonly config: ServerConfig;
  /** The TLS 1.2 settings. */
  readonly config12: Tls12ServerConfig;
  /** Every handshake message so far. */
  readonly transcript: Transcript;
  /** The negotiated suite. */
  readonly suite: Tls12Suite;
  /** ClientHello.random. */
  readonly clientRandom: Uint8Array;
  /** ServerHello.random. */
  readonly serverRandom: Uint8Array;
  /** Whether the extended master secret was negotiated (RFC 7627). */
  readonly extendedMasterSecret: boolean;
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** The SNI host_name the client sent, or null. */
  readonly serverName: string | null;
  /** The DER server certificate (leaf) that authenticates the session: sent now, or in the resumed one. */
  readonly certificate: Uint8Array;
  /** Whether a NewSessionTicket goes before the server's ChangeCipherSpec (RFC 5077 §3.3). */
  readonly issueTicket: boolean;
}

/** Adds a handshake message to the transcript and sends it. */
export function send12(
  k: Pick<Server12Context, "transcript">,
  io: Tls12HandshakeIo,
  type: number,
  body: Uint8Array,
): void {
  const message = encodeHandshake(type, body);
  k.transcript.add(message);
  io.sendHandshake(message);
}

/** Seals the session into a ticket and sends it in a NewSessionTicket, when one was announced (RFC 5077 §3.3). */
export async function sendNewSessionTicket(
  k: Server12Context,
  master: Uint8Array,
  io: Tls12HandshakeIo,
): Promise<void> {
  const { ticketKeys, ticketLifetime } = k.config12;
  if (!k.issueTicket || !ticketKeys) return;
  const ticket = await sealTicket12(io.crypto, ticketKeys, {
    cipherSuite: k.suite.code,
    extendedMasterSecret: k.extendedMasterSecret,
    masterSecret: master,
    createdAt: k.config.now().getTime(),
    serverName: k.serverName,
    certificateHash: await io.crypto.hash("SHA-256", k.certificate),
  });
  send12(
    k,
    io,
    HandshakeType.new_session_ticket,
    encodeNewSessionTicket12({ lifetimeHint: ticketLifetime, ticket }),
  );
}

/** Reports the handshake and enters the connected state. */
export function completeServer12(
  k: Server12Context,
  io: Tls12HandshakeIo,
  group: string | null,
  peerCertificates: readonly PeerCertificate[],
  resumed: boolean,
): Tls12HandshakeState {
  io.handshakeComplete({
    protocol: "TLSv1.2",
    cipherSuite: k.suite.name,
    group,
    alpnProtocol: k.alpnProtocol,
    serverName: k.serverName,
    peerCertificates,
    resumed,
  });
  return new Connected12("server");
}

/** A verified client certificate. */
interface ClientIdentity {
  readonly publicKey: PublicKeyInfo;
  readonly described: readonly PeerCertificate[];
}

/** Waits for the client's Certificate, which a CertificateRequest makes mandatory (RFC 5246 §7.4.6). */
export class ExpectClientCertificate12 implements Tls12HandshakeState {
  readonly name = "ExpectClientCertificate12";
  /** `exchange` is the server's ephemeral key from its ServerKeyExchange. */
  constructor(private readonly k: Server12Context, private readonly exchange: KeyExchange) {}

  async handle(m: HandshakeMessage): Promise<Tls12HandshakeState> {
    if (m.type !== HandshakeType.certificate) unexpected12(m, "the client's Certificate");
    const { config, transcript } = this.k;
    const chain = decodeCertificate12(m.body).certificateList;
    if (chain.length === 0) {
      // RFC 5246 §7.4.6: without a certificate the server may go on, or abort with handshake_failure.
      if (config.clientAuth === "require") {
        abort(
          "handshake_failure",
          'the client sent no certificate, and clientAuth "require" asks for one (RFC 5246 §7.4.6); ' +
            'clientAuth "request" lets such clients in',
        );
      }
      transcript.add(m.raw);
      return new ExpectClientKeyExchange(this.k, this.exchange, undefined);
    }
    checkChainLength(chain.length, "client");
    const verifier = config.clientVerifier;
    if (!verifier) abort("internal_error", "a client certificate was requested without a verifier");
    let described: PeerCertificate[];
    try {
      described = chain.map((der) => verifier.describe(der));
    } catch (e) {
      if (e instanceof CertificateVerificationError) throw e;
      throw new CertificateVerificationError(
        "malformed",
        `cannot parse the client certificate: ${(e as Error).message}`,
      );
    }
    const verified = await verifier.verifyClient({ chain, now: config.now() });
    transcript.add(m.raw);
    return new ExpectClientKeyExchange(this.k, this.exchange, { publicKey: verified.publicKey, described });
  }
}

/** Waits for the ECDHE ClientKeyExchange and derives the master secret (RFC 8422 §5.7, RFC 7627 §4). */
export class ExpectClientKeyExchange implements Tls12HandshakeState {
  readonly name = "ExpectClientKeyExchange";
  /** `client` is the verified client certificate, if one was sent. */
  constructor(
    private readonly k: Server12Context,
    private readonly exchange: KeyExchange,
    private readonly client: ClientIdentity | undefined,
  ) {}

  async handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    if (m.type !== HandshakeType.client_key_exchange) unexpected12(m, "ClientKeyExchange");
    const { k } = this;
    const point = decodeClientKeyExchangeEcdhe(m.body);
    let preMasterSecret: Uint8Array;
    try {
      preMasterSecret = await this.exchange.complete(point);
    } catch (e) {
      if (e instanceof CryptoInputError) {
        abort("illegal_parameter", `ClientKeyExchange public key is invalid: ${e.message}`);
      }
      throw e;
    }
    k.transcript.add(m.raw);
    const { crypto } = io;
    const master = await deriveMasterSecret(
      crypto,
      k.suite,
      preMasterSecret,
      k.extendedMasterSecret,
      k.transcript,
      k.clientRandom,
      k.serverRandom,
    );
    io.logSecret("CLIENT_RANDOM", master);
    const keys = await sessionKeys(crypto, k.suite, master, k.clientRandom, k.serverRandom);
    const group = this.exchange.group;
    if (this.client) return new ExpectClientCertificateVerify12(k, master, keys, group, this.client);
    return expectClientFinish(k, master, keys, group, []);
  }
}

/** Waits for the client's CertificateVerify over the handshake so far (RFC 5246 §7.4.8). */
class ExpectClientCertificateVerify12 implements Tls12HandshakeState {
  readonly name = "ExpectClientCertificateVerify12";
  constructor(
    private readonly k: Server12Context,
    private readonly master: Uint8Array,
    private readonly keys: Tls12SessionKeys,
    private readonly group: string,
    private readonly client: ClientIdentity,
  ) {}

  async handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    if (m.type !== HandshakeType.certificate_verify) unexpected12(m, "the client's CertificateVerify");
    const { k, client } = this;
    const cv = decodeCertificateVerify12(m.body);
    const scheme = tls12Scheme(cv.algorithm);
    // RFC 5246 §7.4.8: the algorithm must be one the CertificateRequest listed (never SHA-1 here).
    if (!scheme || !TLS12_SIGNATURE_SCHEMES.includes(cv.algorithm)) {
      abort(
        "illegal_parameter",
        `client CertificateVerify uses ${nameOf(SignatureScheme, cv.algorithm)}, which was not requested`,
      );
    }
    if (!scheme.keyTypes.includes(client.publicKey.keyType)) {
      abort(
        "illegal_parameter",
        `${nameOf(SignatureScheme, cv.algorithm)} does not fit the client's ${client.publicKey.keyType} key`,
      );
    }
    if (!(await io.crypto.verify(scheme.algorithm, client.publicKey, k.transcript.bytes(), cv.signature))) {
      abort("decrypt_error", "client CertificateVerify signature does not verify (RFC 5246 §7.4.8)");
    }
    if (k.config.verifyPeer) {
      try {
        await k.config.verifyPeer({ certificates: client.described, serverName: k.serverName ?? "" });
      } catch (e) {
        throw new CertificateVerificationError(
          "rejected_by_callback",
          `verifyPeer rejected the client certificate: ${e instanceof Error ? e.message : String(e)}`,
          client.described[0]?.subject,
          { cause: e },
        );
      }
    }
    k.transcript.add(m.raw);
    return expectClientFinish(k, this.master, this.keys, this.group, client.described);
  }
}

/** The client's ChangeCipherSpec and Finished; then [NewSessionTicket] ChangeCipherSpec Finished from us. */
function expectClientFinish(
  k: Server12Context,
  master: Uint8Array,
  keys: Tls12SessionKeys,
  group: string,
  peerCertificates: readonly PeerCertificate[],
): Tls12HandshakeState {
  return new ExpectChangeCipherSpec12({
    role: "server",
    suite: k.suite,
    transcript: k.transcript,
    master,
    peerKeys: keys.client,
    afterPeerFinished: async (io) => {
      await sendNewSessionTicket(k, master, io);
      await sendChangeCipherSpecAndFinished(io, "server", k.suite, master, k.transcript, keys.server);
      return completeServer12(k, io, group, peerCertificates, false);
    },
  });
}
