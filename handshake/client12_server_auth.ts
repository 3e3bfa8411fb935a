/**
 * The TLS 1.2 client's full handshake after the ServerHello (RFC 5246 §7.3): the server's Certificate, its
 * signed ServerKeyExchange (RFC 8422 §5.4), an optional CertificateRequest and the ServerHelloDone, then the
 * client's flight — [Certificate] ClientKeyExchange [CertificateVerify] ChangeCipherSpec Finished — and the
 * wait for the server's [NewSessionTicket] ChangeCipherSpec Finished.
 *
 * @module
 */

import { concat, equal } from "../bytes.ts";
import { CryptoInputError, type PublicKeyInfo } from "../crypto/provider.ts";
import { rsaesPkcs1v15Encrypt } from "../crypto/rsa_key_transport.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { PeerCertificate, VerifiedChain } from "../x509/verifier.ts";
import type { CertifiedKey } from "./certified_key.ts";
import { abort, checkChainLength } from "./checks.ts";
import { type Client12Context, complete, ExpectNewSessionTicket12 } from "./client12_end.ts";
import type { ClientConfig } from "./client_config.ts";
import { groupByCode, HandshakeType, nameOf, ProtocolVersion, SignatureScheme } from "./constants.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState } from "./context12.ts";
import {
  ExpectChangeCipherSpec12,
  ignoredHelloRequest,
  sendChangeCipherSpecAndFinished,
  unexpected12,
} from "./finish12.ts";
import { deriveMasterSecret, sessionKeys } from "./key_schedule12.ts";
import {
  type CertificateRequest12,
  ClientCertificateType,
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeEmptyBody,
  decodeServerKeyExchangeEcdhe,
  encodeCertificate12,
  encodeCertificateVerify12,
  encodeClientKeyExchangeEcdhe,
  encodeClientKeyExchangeRsa,
  encodeServerEcdhParams,
  type NewSessionTicket12,
} from "./messages12.ts";
import { encodeHandshake, type HandshakeMessage } from "./messages.ts";
import {
  keyTypesForSuite,
  selectTls12Scheme,
  serverKeyExchangeSignedContent,
  TLS12_SIGNATURE_SCHEMES,
  tls12Scheme,
} from "./signatures12.ts";

/** The server's certificate as checked, and who it says the server is. */
interface ServerIdentity {
  readonly publicKey: PublicKeyInfo;
  readonly described: readonly PeerCertificate[];
  readonly ignored: CertificateVerificationError | undefined;
}

/** The server's ephemeral ECDHE key, from its ServerKeyExchange. */
interface ServerShare {
  readonly group: NonNullable<ReturnType<typeof groupByCode>>;
  readonly publicKey: Uint8Array;
}

/** Runs the user's `verifyPeer` callback, as TLS 1.3 does once the server has proved its key. */
async function runVerifyPeer(config: ClientConfig, identity: ServerIdentity): Promise<void> {
  if (!config.verifyPeer) return;
  const error = identity.ignored;
  try {
    await config.verifyPeer({
      certificates: identity.described,
      serverName: config.serverName,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
  } catch (e) {
    throw new CertificateVerificationError(
      "rejected_by_callback",
      `verifyPeer rejected the certificate: ${e instanceof Error ? e.message : String(e)}`,
      identity.described[0]?.subject,
      { cause: e },
    );
  }
}

/** Waits for the server's Certificate (RFC 5246 §7.4.2). */
export class ExpectCertificate12 implements Tls12HandshakeState {
  readonly name = "ExpectCertificate12";
  /** `k` is what the client carries from the ServerHello. */
  constructor(private readonly k: Client12Context) {}

  async handle(m: HandshakeMessage): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, "client")) return this;
    if (m.type !== HandshakeType.certificate) unexpected12(m, "the server's Certificate");
    const { config } = this.k.hello;
    const chain = decodeCertificate12(m.body).certificateList;
    if (chain.length === 0) abort("decode_error", "the server sent no certificate (RFC 5246 §7.4.2)");
    checkChainLength(chain.length, "server");
    let described: PeerCertificate[];
    try {
      described = chain.map((der) => config.verifier.describe(der));
    } catch (e) {
      if (e instanceof CertificateVerificationError) throw e;
      throw new CertificateVerificationError(
        "malformed",
        `cannot parse the server certificate: ${(e as Error).message}`,
      );
    }
    let verified: VerifiedChain | undefined;
    let ignored: CertificateVerificationError | undefined;
    try {
      verified = await config.verifier.verifyServer({
        chain,
        serverName: config.serverName,
        now: config.now(),
      });
    } catch (e) {
      if (!(e instanceof CertificateVerificationError) || !config.unsafelyIgnoreCertificateErrors) throw e;
      ignored = e;
    }
    const publicKey = verified?.publicKey ?? config.verifier.publicKeyOf(chain[0]);
    // RFC 5246 §7.4.2, RFC 8422 §2: the key must be of the kind the suite authenticates with.
    if (!keyTypesForSuite(this.k.suite).includes(publicKey.keyType)) {
      abort(
        "unsupported_certificate",
        `a ${publicKey.keyType} certificate cannot serve ${this.k.suite.name}`,
      );
    }
    this.k.hello.transcript.add(m.raw);
    const identity: ServerIdentity = { publicKey, described, ignored };
    if (this.k.suite.keyExchange !== "RSA") return new ExpectServerKeyExchange(this.k, identity);
    // RSA key transport: the server proves its key only by decrypting the premaster secret (its Finished).
    await runVerifyPeer(config, identity);
    return new ExpectCertificateRequestOrDone(this.k, identity, undefined);
  }
}

/** Waits for the signed ECDHE ServerKeyExchange (RFC 8422 §5.4, RFC 5246 §7.4.3). */
class ExpectServerKeyExchange implements Tls12HandshakeState {
  readonly name = "ExpectServerKeyExchange";
  constructor(private readonly k: Client12Context, private readonly identity: ServerIdentity) {}

  async handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, "client")) return this;
    if (m.type !== HandshakeType.server_key_exchange) unexpected12(m, "ServerKeyExchange");
    const { k, identity } = this;
    const ske = decodeServerKeyExchangeEcdhe(m.body);
    const group = groupByCode(ske.namedCurve);
    if (!group || group === "X25519MLKEM768" || !k.hello.config.groups.includes(group)) {
      abort(
        "illegal_parameter",
        `ServerKeyExchange uses curve ${ske.namedCurve}, which was not offered (RFC 8422 §5.4)`,
      );
    }
    if (ske.algorithm === SignatureScheme.rsa_pkcs1_sha1 || ske.algorithm === SignatureScheme.ecdsa_sha1) {
      abort("illegal_parameter", "ServerKeyExchange is signed with SHA-1, which this client refuses");
    }
    const scheme = tls12Scheme(ske.algorithm);
    if (!scheme || !TLS12_SIGNATURE_SCHEMES.includes(ske.algorithm)) {
      abort(
        "illegal_parameter",
        `ServerKeyExchange is signed with ${nameOf(SignatureScheme, ske.algorithm)}, which was not offered`,
      );
    }
    if (!scheme.keyTypes.includes(identity.publicKey.keyType)) {
      abort(
        "illegal_parameter",
        `${
          nameOf(SignatureScheme, ske.algorithm)
        } does not fit the server's ${identity.publicKey.keyType} key`,
      );
    }
    const params = encodeServerEcdhParams(ske.namedCurve, ske.publicKey);
    const content = serverKeyExchangeSignedContent(k.clientRandom, k.serverRandom, params);
    if (!(await io.crypto.verify(scheme.algorithm, identity.publicKey, content, ske.signature))) {
      abort("decrypt_error", "ServerKeyExchange signature does not verify (RFC 5246 §7.4.3)");
    }
    await runVerifyPeer(k.hello.config, identity);
    k.hello.transcript.add(m.raw);
    return new ExpectCertificateRequestOrDone(k, identity, { group, publicKey: ske.publicKey });
  }
}

/** Waits for a CertificateRequest or the ServerHelloDone (RFC 5246 §7.4.4, §7.4.5). */
class ExpectCertificateRequestOrDone implements Tls12HandshakeState {
  readonly name = "ExpectCertificateRequestOrServerHelloDone";
  constructor(
    private readonly k: Client12Context,
    private readonly identity: ServerIdentity,
    private readonly share: ServerShare | undefined,
  ) {}

  handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, "client")) return Promise.resolve(this);
    if (m.type === HandshakeType.server_hello_done) {
      return new ExpectServerHelloDone(this.k, this.identity, this.share, undefined).handle(m, io);
    }
    if (m.type !== HandshakeType.certificate_request) {
      unexpected12(m, "CertificateRequest or ServerHelloDone");
    }
    const request = decodeCertificateRequest12(m.body);
    this.k.hello.transcript.add(m.raw);
    return Promise.resolve(new ExpectServerHelloDone(this.k, this.identity, this.share, request));
  }
}

/** Waits for the ServerHelloDone, then sends the client's flight (RFC 5246 §7.4.5). */
class ExpectServerHelloDone implements Tls12HandshakeState {
  readonly name = "ExpectServerHelloDone";
  constructor(
    private readonly k: Client12Context,
    private readonly identity: ServerIdentity,
    private readonly share: ServerShare | undefined,
    private readonly request: CertificateRequest12 | undefined,
  ) {}

  async handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, "client")) return this;
    if (m.type !== HandshakeType.server_hello_done) unexpected12(m, "ServerHelloDone");
    decodeEmptyBody(m.body, "ServerHelloDone");
    this.k.hello.transcript.add(m.raw);
    return await sendClientFlight(this.k, this.identity, this.share, this.request, io);
  }
}

/**
 * The client certificate that answers `request`: its key type must be one of certificate_types, it must sign
 * with one of supported_signature_algorithms and, when certificate_authorities is not empty, a certificate of
 * the chain must have been issued by one of them (RFC 5246 §7.4.4, §7.4.6).
 */
function chooseClientCertificate(
  request: CertificateRequest12,
  certified: CertifiedKey | undefined,
): { certified: CertifiedKey; scheme: number } | undefined {
  if (!certified) return undefined;
  const keyType = certified.key.keyType;
  const certificateType = keyType === "EC" || keyType === "Ed25519"
    ? ClientCertificateType.ecdsa_sign
    : ClientCertificateType.rsa_sign;
  if (!request.certificateTypes.includes(certificateType)) return undefined;
  const scheme = selectTls12Scheme(certified, request.signatureAlgorithms);
  if (scheme === undefined) return undefined;
  const authorities = request.certificateAuthorities;
  if (authorities.length > 0 && !certified.issuers.some((i) => authorities.some((a) => equal(a, i)))) {
    return undefined;
  }
  return { certified, scheme };
}

/** The premaster secret and the ClientKeyExchange body that conveys it (RFC 8422 §5.7, RFC 5246 §7.4.7.1). */
async function keyExchange(
  identity: ServerIdentity,
  share: ServerShare | undefined,
  io: Tls12HandshakeIo,
): Promise<{ preMasterSecret: Uint8Array; body: Uint8Array }> {
  const { crypto } = io;
  if (!share) {
    // RFC 5246 §7.4.7.1: client_version (the version offered, 0x0303) ‖ 46 random bytes, RSA-encrypted.
    const preMasterSecret = concat(
      new Uint8Array([ProtocolVersion.TLS12 >> 8, ProtocolVersion.TLS12 & 0xff]),
      crypto.randomBytes(46),
    );
    try {
      return {
        preMasterSecret,
        body: encodeClientKeyExchangeRsa(rsaesPkcs1v15Encrypt(identity.publicKey, preMasterSecret)),
      };
    } catch (e) {
      if (e instanceof CryptoInputError) {
        abort("insufficient_security", `cannot encrypt to the server's RSA key: ${e.message}`);
      }
      throw e;
    }
  }
  const exchange = await crypto.startKeyExchange(share.group);
  try {
    // RFC 8422 §5.10: the premaster secret is the x-coordinate (or the X25519 output), all-zero refused.
    const preMasterSecret = await exchange.complete(share.publicKey);
    return { preMasterSecret, body: encodeClientKeyExchangeEcdhe(exchange.publicKey) };
  } catch (e) {
    if (e instanceof CryptoInputError) {
      abort("illegal_parameter", `ServerKeyExchange public key is invalid: ${e.message}`);
    }
    throw e;
  }
}

/** Sends [Certificate] ClientKeyExchange [CertificateVerify] ChangeCipherSpec Finished (RFC 5246 §7.3). */
async function sendClientFlight(
  k: Client12Context,
  identity: ServerIdentity,
  share: ServerShare | undefined,
  request: CertificateRequest12 | undefined,
  io: Tls12HandshakeIo,
): Promise<Tls12HandshakeState> {
  const { transcript, config } = k.hello;
  const { crypto } = io;
  const send = (type: number, body: Uint8Array) => {
    const message = encodeHandshake(type, body);
    transcript.add(message);
    io.sendHandshake(message);
  };
  const chosen = request && chooseClientCertificate(request, config.clientCertificate);
  if (request) {
    send(HandshakeType.certificate, encodeCertificate12({ certificateList: chosen?.certified.chain ?? [] }));
  }
  const { preMasterSecret, body } = await keyExchange(identity, share, io);
  send(HandshakeType.client_key_exchange, body);
  const master = await deriveMasterSecret(
    crypto,
    k.suite,
    preMasterSecret,
    k.extendedMasterSecret,
    transcript,
    k.clientRandom,
    k.serverRandom,
  );
  io.logSecret("CLIENT_RANDOM", master);
  if (chosen) {
    // RFC 5246 §7.4.8: the signature covers every handshake message so far.
    const signature = await chosen.certified.key.sign(
      tls12Scheme(chosen.scheme)!.algorithm,
      transcript.bytes(),
    );
    send(
      HandshakeType.certificate_verify,
      encodeCertificateVerify12({ algorithm: chosen.scheme, signature }),
    );
  }
  const keys = await sessionKeys(crypto, k.suite, master, k.clientRandom, k.serverRandom);
  await sendChangeCipherSpecAndFinished(io, "client", k.suite, master, transcript, keys.client);
  const finish = (ticket: NewSessionTicket12 | undefined) =>
    new ExpectChangeCipherSpec12({
      role: "client",
      suite: k.suite,
      transcript,
      master,
      peerKeys: keys.server,
      afterPeerFinished: (io) =>
        Promise.resolve(complete(k, io, {
          master,
          ticket,
          peerCertificates: identity.described,
          group: share?.group ?? null,
          resumed: false,
        })),
    });
  return k.ticketExpected ? new ExpectNewSessionTicket12(k, finish) : finish(undefined);
}
