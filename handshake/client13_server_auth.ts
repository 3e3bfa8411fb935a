/**
 * The TLS 1.3 client's states after the ServerHello: EncryptedExtensions, the optional CertificateRequest,
 * the server's Certificate and CertificateVerify, and its Finished (RFC 8446 §4.3–§4.4), ending in the
 * client's own second flight.
 *
 * @module
 */

import { concat, constantTimeEqual, equal, utf8 } from "../bytes.ts";
import type { GroupName, PublicKeyInfo } from "../crypto/provider.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { PeerCertificate, VerifiedChain } from "../x509/verifier.ts";
import type { TrafficSecrets } from "./key_schedule.ts";
import { finishedVerifyData, type HandshakeSecret } from "./key_schedule.ts";
import {
  ExtensionType,
  HandshakeType,
  nameOf,
  SCHEMES,
  SignatureScheme,
  TLS13_SIGNATURE_SCHEMES,
  type Tls13Suite,
} from "./constants.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import { decodeAlpn, decodeCertificateAuthorities, decodeSignatureAlgorithms } from "./extensions.ts";
import {
  type CertificateRequest,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  encodeCertificate,
  encodeCertificateVerify,
  encodeFinished,
  encodeHandshake,
  type HandshakeMessage,
} from "./messages.ts";
import type { ClientHelloState } from "./client13_hello.ts";
import { type CertifiedKey, selectSignatureScheme } from "./certified_key.ts";
import type { Transcript } from "./transcript.ts";
import { abort, checkExtensions, findExtension } from "./checks.ts";
import { Connected } from "./connected13.ts";

/** State carried from the ServerHello on. */
export interface ClientKeyState {
  readonly hello: ClientHelloState;
  readonly suite: Tls13Suite;
  readonly group: GroupName;
  readonly handshakeSecret: HandshakeSecret;
  readonly secrets: TrafficSecrets;
}

/** What EncryptedExtensions settled. */
interface Negotiated extends ClientKeyState {
  readonly alpnProtocol: string | null;
}

const ENCRYPTED_EXTENSIONS_ALLOWED = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.max_fragment_length,
  ExtensionType.supported_groups,
  ExtensionType.use_srtp,
  ExtensionType.heartbeat,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.client_certificate_type,
  ExtensionType.server_certificate_type,
  ExtensionType.early_data,
  ExtensionType.record_size_limit,
]);

function unexpected(m: HandshakeMessage, expected: string): never {
  abort("unexpected_message", `${nameOf(HandshakeType, m.type)} where ${expected} was expected`);
}

/** Waits for EncryptedExtensions (RFC 8446 §4.3.1). */
export class ExpectEncryptedExtensions implements HandshakeState {
  readonly name = "ExpectEncryptedExtensions";
  constructor(private readonly k: ClientKeyState) {}

  handle(m: HandshakeMessage): Promise<HandshakeState> {
    if (m.type !== HandshakeType.encrypted_extensions) unexpected(m, "EncryptedExtensions");
    const ee = decodeEncryptedExtensions(m.body);
    checkExtensions(ee.extensions, this.k.hello.offered, ENCRYPTED_EXTENSIONS_ALLOWED, "EncryptedExtensions");
    const sni = findExtension(ee.extensions, ExtensionType.server_name);
    if (sni !== undefined && sni.length !== 0) {
      abort("decode_error", "EncryptedExtensions server_name is not empty (RFC 6066 §3)");
    }
    if (findExtension(ee.extensions, ExtensionType.early_data) !== undefined) {
      abort("unsupported_extension", "EncryptedExtensions accepts early data that was not offered");
    }
    let alpnProtocol: string | null = null;
    const alpn = findExtension(ee.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn !== undefined) {
      const list = decodeAlpn(alpn);
      if (list.length !== 1 || !this.k.hello.config.alpnProtocols.includes(list[0])) {
        abort(
          "illegal_parameter",
          "EncryptedExtensions ALPN is not exactly one of the offered protocols (RFC 7301 §3.1)",
        );
      }
      alpnProtocol = list[0];
    }
    this.k.hello.transcript.add(m.raw);
    return Promise.resolve(new ExpectCertificateOrRequest({ ...this.k, alpnProtocol }));
  }
}

/** Waits for a CertificateRequest or the server's Certificate (RFC 8446 §4.3.2, §4.4.2). */
class ExpectCertificateOrRequest implements HandshakeState {
  readonly name = "ExpectCertificateOrCertificateRequest";
  constructor(private readonly n: Negotiated) {}

  handle(m: HandshakeMessage): Promise<HandshakeState> {
    if (m.type === HandshakeType.certificate) return new ExpectCertificate(this.n, undefined).handle(m);
    if (m.type !== HandshakeType.certificate_request) unexpected(m, "Certificate or CertificateRequest");
    const request = decodeCertificateRequest(m.body);
    if (request.certificateRequestContext.length !== 0) {
      abort(
        "illegal_parameter",
        "CertificateRequest in the handshake has a non-empty context (RFC 8446 §4.3.2)",
      );
    }
    const sigAlgs = findExtension(request.extensions, ExtensionType.signature_algorithms);
    if (sigAlgs === undefined) {
      abort("missing_extension", "CertificateRequest has no signature_algorithms (RFC 8446 §4.3.2)");
    }
    decodeSignatureAlgorithms(sigAlgs);
    const authorities = findExtension(request.extensions, ExtensionType.certificate_authorities);
    if (authorities !== undefined) decodeCertificateAuthorities(authorities);
    this.n.hello.transcript.add(m.raw);
    return Promise.resolve(new ExpectCertificate(this.n, request));
  }
}

/** Waits for the server's Certificate (RFC 8446 §4.4.2). */
class ExpectCertificate implements HandshakeState {
  readonly name = "ExpectCertificate";
  constructor(private readonly n: Negotiated, private readonly request: CertificateRequest | undefined) {}

  async handle(m: HandshakeMessage): Promise<HandshakeState> {
    if (m.type !== HandshakeType.certificate) unexpected(m, "Certificate");
    const { config } = this.n.hello;
    const cert = decodeCertificate(m.body);
    if (cert.certificateRequestContext.length !== 0) {
      abort("illegal_parameter", "server Certificate has a non-empty request context (RFC 8446 §4.4.2)");
    }
    if (cert.certificateList.length === 0) {
      abort("decode_error", "server sent no certificate (RFC 8446 §4.4.2.4)");
    }
    for (const entry of cert.certificateList) {
      // We offer neither status_request nor signed_certificate_timestamp, so no entry may carry extensions.
      if (entry.extensions.length > 0) {
        abort(
          "unsupported_extension",
          "CertificateEntry carries an extension that was not offered (RFC 8446 §4.4.2)",
        );
      }
    }
    const chain = cert.certificateList.map((e) => e.certData);
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
    this.n.hello.transcript.add(m.raw);
    return new ExpectCertificateVerify(this.n, this.request, { publicKey, described, ignored });
  }
}

interface ServerIdentity {
  readonly publicKey: PublicKeyInfo;
  readonly described: readonly PeerCertificate[];
  readonly ignored: CertificateVerificationError | undefined;
}

/** The content covered by a CertificateVerify signature (RFC 8446 §4.4.3). */
export function certificateVerifyContent(role: "server" | "client", transcriptHash: Uint8Array): Uint8Array {
  return concat(
    new Uint8Array(64).fill(0x20),
    utf8(`TLS 1.3, ${role} CertificateVerify`),
    new Uint8Array([0]),
    transcriptHash,
  );
}

/** Waits for the server's CertificateVerify (RFC 8446 §4.4.3). */
class ExpectCertificateVerify implements HandshakeState {
  readonly name = "ExpectCertificateVerify";
  constructor(
    private readonly n: Negotiated,
    private readonly request: CertificateRequest | undefined,
    private readonly identity: ServerIdentity,
  ) {}

  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.certificate_verify) unexpected(m, "CertificateVerify");
    const { hello, suite } = this.n;
    const cv = decodeCertificateVerify(m.body);
    const scheme = SCHEMES[cv.algorithm];
    if (!scheme || !scheme.tls13 || !TLS13_SIGNATURE_SCHEMES.includes(cv.algorithm)) {
      abort(
        "illegal_parameter",
        `CertificateVerify uses ${nameOf(SignatureScheme, cv.algorithm)}, which was not offered`,
      );
    }
    const key = this.identity.publicKey;
    if (scheme.keyType !== key.keyType) {
      abort(
        "illegal_parameter",
        `CertificateVerify scheme ${nameOf(SignatureScheme, cv.algorithm)} does not fit a ${key.keyType} key`,
      );
    }
    const content = certificateVerifyContent("server", await hello.transcript.hash(io.crypto, suite.hash));
    if (!(await io.crypto.verify(scheme.algorithm, key, content, cv.signature))) {
      abort("decrypt_error", "server CertificateVerify signature does not verify (RFC 8446 §4.4.3)");
    }
    const { config } = hello;
    if (config.verifyPeer) {
      const error = this.identity.ignored;
      try {
        await config.verifyPeer({
          certificates: this.identity.described,
          serverName: config.serverName,
          ...(error ? { error: { code: error.code, message: error.message } } : {}),
        });
      } catch (e) {
        throw new CertificateVerificationError(
          "rejected_by_callback",
          `verifyPeer rejected the certificate: ${e instanceof Error ? e.message : String(e)}`,
          this.identity.described[0]?.subject,
          { cause: e },
        );
      }
    }
    hello.transcript.add(m.raw);
    return new ExpectFinished(this.n, this.request, this.identity.described);
  }
}

/**
 * The client certificate that answers `request`, with the scheme to sign with: only when the key can sign
 * with a scheme of the request's signature_algorithms and, when the request lists certificate_authorities,
 * a certificate of the chain was issued by one of them (RFC 8446 §4.3.2, §4.4.2.3).
 */
function chooseClientCertificate(
  request: CertificateRequest,
  certified: CertifiedKey | undefined,
): { certified: CertifiedKey; scheme: number } | undefined {
  if (!certified) return undefined;
  const scheme = selectSignatureScheme(
    certified,
    decodeSignatureAlgorithms(findExtension(request.extensions, ExtensionType.signature_algorithms)!),
  );
  if (scheme === undefined) return undefined;
  const authorities = findExtension(request.extensions, ExtensionType.certificate_authorities);
  if (authorities !== undefined) {
    const names = decodeCertificateAuthorities(authorities);
    if (!certified.issuers.some((issuer) => names.some((name) => equal(name, issuer)))) return undefined;
  }
  return { certified, scheme };
}

/**
 * Sends the client's Certificate — empty when no configured certificate fits the request — and, with a
 * certificate, its CertificateVerify (RFC 8446 §4.4.2, §4.4.3).
 */
async function sendClientCertificate(
  request: CertificateRequest,
  configured: CertifiedKey | undefined,
  transcript: Transcript,
  io: HandshakeIo,
  suite: Tls13Suite,
): Promise<void> {
  const chosen = chooseClientCertificate(request, configured);
  const certificate = encodeHandshake(
    HandshakeType.certificate,
    encodeCertificate({
      certificateRequestContext: request.certificateRequestContext,
      certificateList: (chosen?.certified.chain ?? []).map((certData) => ({ certData, extensions: [] })),
    }),
  );
  transcript.add(certificate);
  io.sendHandshake(certificate);
  if (!chosen) return;
  const content = certificateVerifyContent("client", await transcript.hash(io.crypto, suite.hash));
  const signature = await chosen.certified.key.sign(SCHEMES[chosen.scheme].algorithm, content);
  const verify = encodeHandshake(
    HandshakeType.certificate_verify,
    encodeCertificateVerify({ algorithm: chosen.scheme, signature }),
  );
  transcript.add(verify);
  io.sendHandshake(verify);
}

/** Waits for the server's Finished, then sends the client's second flight (RFC 8446 §4.4.4). */
class ExpectFinished implements HandshakeState {
  readonly name = "ExpectFinished";
  constructor(
    private readonly n: Negotiated,
    private readonly request: CertificateRequest | undefined,
    private readonly peerCertificates: readonly PeerCertificate[],
  ) {}

  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.finished) unexpected(m, "Finished");
    const { hello, suite, secrets, handshakeSecret } = this.n;
    const { crypto } = io;
    const { transcript, config } = hello;
    const finished = decodeFinished(m.body, suite.hashLength);
    const expected = await finishedVerifyData(
      crypto,
      suite,
      secrets.server,
      await transcript.hash(crypto, suite.hash),
    );
    if (!constantTimeEqual(finished.verifyData, expected)) {
      abort("decrypt_error", "server Finished does not verify (RFC 8446 §4.4.4)");
    }
    transcript.add(m.raw);
    const master = await handshakeSecret.advance();
    const app = await master.applicationSecrets(await transcript.hash(crypto, suite.hash));
    io.logSecret("CLIENT_TRAFFIC_SECRET_0", app.client);
    io.logSecret("SERVER_TRAFFIC_SECRET_0", app.server);
    io.logSecret("EXPORTER_SECRET", app.exporter);
    await io.setReadSecret(suite, app.server);

    if (config.middleboxCompat && !hello.sentChangeCipherSpec) io.sendChangeCipherSpec();
    if (this.request) {
      await sendClientCertificate(this.request, config.clientCertificate, transcript, io, suite);
    }
    const verifyData = await finishedVerifyData(
      crypto,
      suite,
      secrets.client,
      await transcript.hash(crypto, suite.hash),
    );
    const clientFinished = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData }));
    transcript.add(clientFinished);
    await io.setWriteSecret(suite, app.client, clientFinished);
    const resumptionSecret = await master.resumptionSecret(await transcript.hash(crypto, suite.hash));
    io.handshakeComplete({
      protocol: "TLSv1.3",
      cipherSuite: suite.name,
      group: this.n.group,
      alpnProtocol: this.n.alpnProtocol,
      serverName: config.sni ?? null,
      peerCertificates: this.peerCertificates,
      resumed: false,
    });
    return new Connected("client", suite, app.client, app.server, resumptionSecret);
  }
}
