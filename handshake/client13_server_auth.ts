/**
 * The TLS 1.3 client's states after the ServerHello: EncryptedExtensions, the optional CertificateRequest,
 * the server's Certificate and CertificateVerify, and its Finished (RFC 8446 §4.3–§4.4), ending in the
 * client's own second flight.
 *
 * @module
 */

import { concat, constantTimeEqual, equal, utf8 } from "../bytes.ts";
import type { GroupName } from "../crypto/provider.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { CertificateVerifier, PeerCertificate } from "../x509/verifier.ts";
import type { ClientConfig } from "./client_config.ts";
import type { TrafficSecrets } from "./key_schedule.ts";
import { finishedKey, type HandshakeSecret, verifyDataWith } from "./key_schedule.ts";
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
import { abort, checkChainLength, checkExtensions, checkSchemeFitsKey, findExtension } from "./checks.ts";
import { Connected } from "./connected13.ts";
import { background } from "./_background.ts";
import { clientTicketStore, type ResumptionOffer } from "./client13_psk.ts";

/** State carried from the ServerHello on. */
export interface ClientKeyState {
  readonly hello: ClientHelloState;
  readonly suite: Tls13Suite;
  readonly group: GroupName;
  readonly handshakeSecret: HandshakeSecret;
  readonly secrets: TrafficSecrets;
  /** The ticket the server accepted: the handshake is a resumption, without certificates (RFC 8446 §2.2). */
  readonly resumed?: ResumptionOffer;
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
    // RFC 8446 §2.2, §4.3.2: a PSK handshake has neither Certificate nor CertificateRequest.
    const resumed = this.k.resumed;
    if (resumed) {
      return Promise.resolve(
        new ExpectFinished({ ...this.k, alpnProtocol }, undefined, resumed.peerCertificates),
      );
    }
    return Promise.resolve(new ExpectCertificateOrRequest({ ...this.k, alpnProtocol }));
  }
}

/** Waits for a CertificateRequest or the server's Certificate (RFC 8446 §4.3.2, §4.4.2). */
class ExpectCertificateOrRequest implements HandshakeState {
  readonly name = "ExpectCertificateOrCertificateRequest";
  constructor(private readonly n: Negotiated) {}

  handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type === HandshakeType.certificate) return new ExpectCertificate(this.n, undefined).handle(m, io);
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

  handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.certificate) unexpected(m, "Certificate");
    const { config } = this.n.hello;
    const cert = decodeCertificate(m.body);
    if (cert.certificateRequestContext.length !== 0) {
      abort("illegal_parameter", "server Certificate has a non-empty request context (RFC 8446 §4.4.2)");
    }
    if (cert.certificateList.length === 0) {
      abort("decode_error", "server sent no certificate (RFC 8446 §4.4.2.4)");
    }
    checkChainLength(cert.certificateList.length, "server");
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
    const { transcript } = this.n.hello;
    transcript.add(m.raw);
    // The Certificate, CertificateVerify and Finished arrive together: the chain is validated while the
    // CertificateVerify signature is checked (ExpectCertificateVerify trusts neither before both are done),
    // and the transcript hash that signature covers is computed meanwhile too.
    background(transcript.hash(io.crypto, this.n.suite.hash));
    // With verification errors ignored, or a verifyPeer callback, the descriptions are needed (and a
    // certificate that does not parse fails) at once; otherwise each is parsed when first read from
    // TlsHandshakeInfo.peerCertificates, so that the chain is not parsed twice.
    const described = config.unsafelyIgnoreCertificateErrors || config.verifyPeer
      ? describeChain(config.verifier, chain)
      : chain.map((der) => lazyDescription(config.verifier, der));
    const verification = verifyServerChain(config, chain).catch((error) => ({ error }));
    return Promise.resolve(
      new ExpectCertificateVerify(this.n, this.request, { chain, described, verification }),
    );
  }
}

/** The outcome of the server chain's validation, settled (it never rejects): success, or the error to report. */
interface ChainOutcome {
  /** A verification error, ignored because of `unsafelyIgnoreCertificateErrors`. */
  readonly ignored?: CertificateVerificationError;
  /** The error that fails the handshake. */
  readonly error?: unknown;
}

/** Validates the server's chain; with `unsafelyIgnoreCertificateErrors`, a verification error is kept aside. */
async function verifyServerChain(config: ClientConfig, chain: Uint8Array[]): Promise<ChainOutcome> {
  try {
    await config.verifier.verifyServer({ chain, serverName: config.serverName, now: config.now() });
  } catch (e) {
    if (!(e instanceof CertificateVerificationError) || !config.unsafelyIgnoreCertificateErrors) throw e;
    return { ignored: e };
  }
  return {};
}

/** Every certificate of `chain` described now; a certificate that does not parse is `malformed`. */
function describeChain(verifier: CertificateVerifier, chain: readonly Uint8Array[]): PeerCertificate[] {
  try {
    return chain.map((der) => verifier.describe(der));
  } catch (e) {
    if (e instanceof CertificateVerificationError) throw e;
    throw new CertificateVerificationError(
      "malformed",
      `cannot parse the server certificate: ${(e as Error).message}`,
    );
  }
}

/** A certificate's description, parsed when a field is first read (the chain was validated already). */
function lazyDescription(verifier: CertificateVerifier, der: Uint8Array): PeerCertificate {
  let described: PeerCertificate | undefined;
  const get = () => described ??= verifier.describe(der);
  return {
    der,
    get subject() {
      return get().subject;
    },
    get issuer() {
      return get().issuer;
    },
    get notBefore() {
      return get().notBefore;
    },
    get notAfter() {
      return get().notAfter;
    },
    get subjectAltNames() {
      return get().subjectAltNames;
    },
  };
}

interface ServerIdentity {
  readonly chain: readonly Uint8Array[];
  readonly described: readonly PeerCertificate[];
  /** The chain's validation, started by ExpectCertificate. */
  readonly verification: Promise<ChainOutcome>;
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
    const { hello } = this.n;
    // The signature check starts now, beside the chain validation; the chain's outcome is reported first,
    // as when one was awaited before the other.
    const signatureChecked = this.#checkSignature(m, io);
    signatureChecked.catch(() => {});
    const chain = await this.identity.verification;
    if (chain.error !== undefined) throw chain.error;
    await signatureChecked;
    const { config } = hello;
    if (config.verifyPeer) {
      const error = chain.ignored;
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

  /** Checks the CertificateVerify (RFC 8446 §4.4.3) with the leaf's key, read without waiting for the chain. */
  async #checkSignature(m: HandshakeMessage, io: HandshakeIo): Promise<void> {
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
    const key = hello.config.verifier.publicKeyOf(this.identity.chain[0]);
    checkSchemeFitsKey(scheme, key, "server");
    const content = certificateVerifyContent("server", await hello.transcript.hash(io.crypto, suite.hash));
    if (!(await io.crypto.verify(scheme.algorithm, key, content, cv.signature))) {
      abort("decrypt_error", "server CertificateVerify signature does not verify (RFC 8446 §4.4.3)");
    }
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
    // Everything that does not wait for another result starts at once: both finished_keys, the transcript
    // hashes before and after the server's Finished, and the Master Secret (started at the ServerHello).
    const serverKey = background(finishedKey(crypto, suite, secrets.server));
    const clientKey = background(finishedKey(crypto, suite, secrets.client));
    const beforeFinished = background(transcript.hash(crypto, suite.hash));
    transcript.add(m.raw);
    const throughFinished = background(transcript.hash(crypto, suite.hash));
    const master = background(handshakeSecret.advance());
    const expected = await verifyDataWith(crypto, suite, await serverKey, await beforeFinished);
    if (!constantTimeEqual(finished.verifyData, expected)) {
      abort("decrypt_error", "server Finished does not verify (RFC 8446 §4.4.4)");
    }
    const app = await (await master).applicationSecrets(await throughFinished);
    io.logSecret("CLIENT_TRAFFIC_SECRET_0", app.client);
    io.logSecret("SERVER_TRAFFIC_SECRET_0", app.server);
    io.logSecret("EXPORTER_SECRET", app.exporter);
    const readInstalled = background(io.setReadSecret(suite, app.server));

    if (config.middleboxCompat && !hello.sentChangeCipherSpec) io.sendChangeCipherSpec();
    if (this.request) {
      await sendClientCertificate(this.request, config.clientCertificate, transcript, io, suite);
    }
    const verifyData = await verifyDataWith(
      crypto,
      suite,
      await clientKey,
      await transcript.hash(crypto, suite.hash),
    );
    const clientFinished = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData }));
    transcript.add(clientFinished);
    const resumptionHash = transcript.hash(crypto, suite.hash);
    const [resumptionSecret] = await Promise.all([
      resumptionHash.then(async (hash) => (await master).resumptionSecret(hash)),
      io.setWriteSecret(suite, app.client, clientFinished),
      readInstalled,
    ]);
    const ignoredCertificateError = config.ignoredCertificateError?.();
    io.handshakeComplete({
      protocol: "TLSv1.3",
      cipherSuite: suite.name,
      group: this.n.group,
      alpnProtocol: this.n.alpnProtocol,
      serverName: config.sni ?? null,
      peerCertificates: this.peerCertificates,
      resumed: this.n.resumed !== undefined,
      ...(ignoredCertificateError ? { ignoredCertificateError } : {}),
    });
    const tickets = clientTicketStore(config, {
      suite,
      alpnProtocol: this.n.alpnProtocol,
      peerCertificates: this.peerCertificates,
    });
    return new Connected("client", suite, app.client, app.server, resumptionSecret, tickets);
  }
}
