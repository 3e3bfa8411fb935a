/**
 * The TLS 1.3 server's states after its flight: the client's Certificate and CertificateVerify when a
 * certificate was requested (RFC 8446 §4.4.2, §4.4.3), and the client's Finished (§4.4.4), ending in the
 * connected state.
 *
 * @module
 */

import { constantTimeEqual, equal } from "../bytes.ts";
import type { GroupName, PublicKeyInfo } from "../crypto/provider.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { PeerCertificate } from "../x509/verifier.ts";
import { abort, checkChainLength, checkSchemeFitsKey } from "./checks.ts";
import { certificateVerifyContent } from "./client13_server_auth.ts";
import { Connected } from "./connected13.ts";
import { background } from "./_background.ts";
import {
  HandshakeType,
  nameOf,
  SCHEMES,
  SignatureScheme,
  TLS13_SIGNATURE_SCHEMES,
  type Tls13Suite,
} from "./constants.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import { finishedKey, type MasterSecret, verifyDataWith } from "./key_schedule.ts";
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeFinished,
  type HandshakeMessage,
} from "./messages.ts";
import type { ServerConfig } from "./server_config.ts";
import type { Transcript } from "./transcript.ts";
import { serverTicketIssuer } from "./ticket13.ts";

/** What the server carries from its flight to the end of the handshake. */
export interface ServerKeyState {
  /** The listener's configuration. */
  readonly config: ServerConfig;
  /** The transcript through the server's Finished. */
  readonly transcript: Transcript;
  /** The negotiated cipher suite. */
  readonly suite: Tls13Suite;
  /** The negotiated key-exchange group. */
  readonly group: GroupName;
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** The SNI the client sent, or null. */
  readonly serverName: string | null;
  /** client_handshake_traffic_secret: the client's Finished is keyed from it. */
  readonly clientHandshakeSecret: Uint8Array;
  /** client_application_traffic_secret_0, installed for reading after the client's Finished. */
  readonly clientApplicationSecret: Uint8Array;
  /** server_application_traffic_secret_0, already installed for writing. */
  readonly serverApplicationSecret: Uint8Array;
  /** The Master Secret, for the resumption master secret. */
  readonly master: MasterSecret;
  /** Whether the handshake resumed a session from a ticket (no certificates were exchanged). */
  readonly resumed?: boolean;
}

function unexpected(m: HandshakeMessage, expected: string): never {
  abort("unexpected_message", `${nameOf(HandshakeType, m.type)} where the client's ${expected} was expected`);
}

/** Waits for the client's Certificate, which a CertificateRequest makes mandatory (RFC 8446 §4.4.2). */
export class ExpectClientCertificate implements HandshakeState {
  /** The state's name, for errors and traces. */
  readonly name = "ExpectClientCertificate";
  /** `requestContext` is the CertificateRequest's certificate_request_context, which must be echoed. */
  constructor(private readonly k: ServerKeyState, private readonly requestContext: Uint8Array) {}

  async handle(m: HandshakeMessage): Promise<HandshakeState> {
    if (m.type !== HandshakeType.certificate) unexpected(m, "Certificate");
    const { config, transcript } = this.k;
    const certificate = decodeCertificate(m.body);
    if (!equal(certificate.certificateRequestContext, this.requestContext)) {
      abort(
        "illegal_parameter",
        "client Certificate does not echo the certificate_request_context (RFC 8446 §4.4.2)",
      );
    }
    if (certificate.certificateList.length === 0) {
      // RFC 8446 §4.4.2.4: without a certificate the server may go on, or abort with certificate_required.
      if (config.clientAuth === "require") {
        abort(
          "certificate_required",
          'the client sent no certificate, and clientAuth "require" asks for one (RFC 8446 §4.4.2.4); ' +
            'clientAuth "request" lets such clients in',
        );
      }
      transcript.add(m.raw);
      return new ExpectClientFinished(this.k, []);
    }
    checkChainLength(certificate.certificateList.length, "client");
    for (const entry of certificate.certificateList) {
      // The CertificateRequest asked for neither OCSP nor SCTs, so no entry may carry extensions.
      if (entry.extensions.length > 0) {
        abort(
          "unsupported_extension",
          "client CertificateEntry carries an extension that was not requested (RFC 8446 §4.4.2)",
        );
      }
    }
    const verifier = config.clientVerifier;
    if (!verifier) abort("internal_error", "a client certificate was requested without a verifier");
    const chain = certificate.certificateList.map((e) => e.certData);
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
    return new ExpectClientCertificateVerify(this.k, verified.publicKey, described);
  }
}

/** Waits for the client's CertificateVerify (RFC 8446 §4.4.3). */
class ExpectClientCertificateVerify implements HandshakeState {
  readonly name = "ExpectClientCertificateVerify";
  constructor(
    private readonly k: ServerKeyState,
    private readonly publicKey: PublicKeyInfo,
    private readonly described: readonly PeerCertificate[],
  ) {}

  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.certificate_verify) unexpected(m, "CertificateVerify");
    const { config, transcript, suite } = this.k;
    const cv = decodeCertificateVerify(m.body);
    const scheme = SCHEMES[cv.algorithm];
    // RFC 8446 §4.4.3: the scheme must be one the CertificateRequest's signature_algorithms listed.
    if (!scheme || !scheme.tls13 || !TLS13_SIGNATURE_SCHEMES.includes(cv.algorithm)) {
      abort(
        "illegal_parameter",
        `client CertificateVerify uses ${nameOf(SignatureScheme, cv.algorithm)}, which was not requested`,
      );
    }
    checkSchemeFitsKey(scheme, this.publicKey, "client");
    const content = certificateVerifyContent("client", await transcript.hash(io.crypto, suite.hash));
    if (!(await io.crypto.verify(scheme.algorithm, this.publicKey, content, cv.signature))) {
      abort("decrypt_error", "client CertificateVerify signature does not verify (RFC 8446 §4.4.3)");
    }
    if (config.verifyPeer) {
      try {
        await config.verifyPeer({ certificates: this.described, serverName: this.k.serverName ?? "" });
      } catch (e) {
        throw new CertificateVerificationError(
          "rejected_by_callback",
          `verifyPeer rejected the client certificate: ${e instanceof Error ? e.message : String(e)}`,
          this.described[0]?.subject,
          { cause: e },
        );
      }
    }
    transcript.add(m.raw);
    return new ExpectClientFinished(this.k, this.described);
  }
}

/** Waits for the client's Finished, then installs the application read key (RFC 8446 §4.4.4, §7). */
export class ExpectClientFinished implements HandshakeState {
  /** The state's name, for errors and traces. */
  readonly name = "ExpectClientFinished";
  /** `peerCertificates` are the client's, as described for `TlsHandshakeInfo` (empty without one). */
  constructor(
    private readonly k: ServerKeyState,
    private readonly peerCertificates: readonly PeerCertificate[],
  ) {}

  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    if (m.type !== HandshakeType.finished) unexpected(m, "Finished");
    const { transcript, suite } = this.k;
    const { crypto } = io;
    const finished = decodeFinished(m.body, suite.hashLength);
    // Started together: the finished_key, the transcript hashes before and after the client's Finished, and
    // the application read key (installed only once the Finished has verified: nothing is read meanwhile).
    const key = background(finishedKey(crypto, suite, this.k.clientHandshakeSecret));
    const beforeFinished = background(transcript.hash(crypto, suite.hash));
    transcript.add(m.raw);
    const resumption = background(
      transcript.hash(crypto, suite.hash).then((hash) => this.k.master.resumptionSecret(hash)),
    );
    const readInstalled = background(io.setReadSecret(suite, this.k.clientApplicationSecret));
    const expected = await verifyDataWith(crypto, suite, await key, await beforeFinished);
    if (!constantTimeEqual(finished.verifyData, expected)) {
      abort("decrypt_error", "client Finished does not verify (RFC 8446 §4.4.4)");
    }
    const [resumptionSecret] = await Promise.all([resumption, readInstalled]);
    io.handshakeComplete({
      protocol: "TLSv1.3",
      cipherSuite: suite.name,
      group: this.k.group,
      alpnProtocol: this.k.alpnProtocol,
      serverName: this.k.serverName,
      peerCertificates: this.peerCertificates,
      resumed: this.k.resumed ?? false,
    });
    const { config } = this.k;
    const tickets = config.sessionTickets && serverTicketIssuer({
      keys: config.sessionTickets,
      now: config.now,
      cipherSuite: suite.code,
      alpnProtocol: this.k.alpnProtocol,
      serverName: this.k.serverName,
      clientCertificates: this.peerCertificates.map((c) => c.der),
    });
    const connected = new Connected(
      "server",
      suite,
      this.k.serverApplicationSecret,
      this.k.clientApplicationSecret,
      resumptionSecret,
      tickets,
    );
    // RFC 8446 §4.6.1: tickets go out once the client's Finished is verified, under the application key.
    await connected.sendTickets(io);
    return connected;
  }
}
