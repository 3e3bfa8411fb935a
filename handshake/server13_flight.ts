/**
 * The TLS 1.3 server's flight (RFC 8446 §2, §4.1.3, §4.3, §4.4): ServerHello — then, in middlebox
 * compatibility mode, a ChangeCipherSpec — and, under the handshake keys, EncryptedExtensions, an optional
 * CertificateRequest, Certificate, CertificateVerify and Finished; the write key then moves to the
 * application traffic secret (RFC 8446 §7).
 *
 * @module
 */

import { CryptoInputError } from "../crypto/provider.ts";
import { abort } from "./checks.ts";
import { certificateVerifyContent } from "./client13_server_auth.ts";
import {
  CERT_SIGNATURE_SCHEMES,
  ExtensionType,
  HandshakeType,
  ProtocolVersion,
  SCHEMES,
  TLS13_SIGNATURE_SCHEMES,
} from "./constants.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import {
  encodeAlpn,
  encodeCertificateAuthorities,
  encodeKeyShareServer,
  encodeSignatureAlgorithms,
  encodeSupportedVersionsServer,
} from "./extensions.ts";
import { EarlySecret, finishedKey, verifyDataWith } from "./key_schedule.ts";
import {
  type ClientHello,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeHandshake,
  encodeServerHello,
  type Extension,
} from "./messages.ts";
import type { ServerConfig } from "./server_config.ts";
import type { ServerNegotiation } from "./server13_hello.ts";
import {
  ExpectClientCertificate,
  ExpectClientFinished,
  type ServerKeyState,
} from "./server13_client_auth.ts";
import type { Transcript } from "./transcript.ts";
import { background } from "./_background.ts";
import type { AcceptedPsk } from "./server13_psk.ts";
import { encodePreSharedKeyServer } from "./psk.ts";

/** What the ClientHello states hand to the flight. */
export interface ServerHelloContext {
  /** The listener's configuration. */
  readonly config: ServerConfig;
  /** The transcript up to and including the (last) ClientHello. */
  readonly transcript: Transcript;
  /** The (last) ClientHello. */
  readonly clientHello: ClientHello;
  /** What was negotiated, with the client's share for the group. */
  readonly negotiated: ServerNegotiation & { readonly share: NonNullable<ServerNegotiation["share"]> };
  /** Whether a ChangeCipherSpec already followed a HelloRetryRequest. */
  readonly sentChangeCipherSpec: boolean;
  /** The PSK of a resumed session, when a ticket was accepted (RFC 8446 §2.2). */
  readonly psk?: AcceptedPsk;
}

/** The certificate_request_context of the handshake's CertificateRequest: empty (RFC 8446 §4.3.2). */
const HANDSHAKE_REQUEST_CONTEXT = new Uint8Array(0);

/** EncryptedExtensions (RFC 8446 §4.3.1): the SNI acknowledgement and the ALPN protocol. */
function encryptedExtensions(negotiated: ServerNegotiation): Extension[] {
  const extensions: Extension[] = [];
  // RFC 6066 §3: a server that used the server_name answers with an empty one.
  if (negotiated.sniMatched) extensions.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
  if (negotiated.alpnProtocol !== null) {
    extensions.push({
      type: ExtensionType.application_layer_protocol_negotiation,
      data: encodeAlpn([negotiated.alpnProtocol]),
    });
  }
  return extensions;
}

/** CertificateRequest extensions (RFC 8446 §4.3.2): signature_algorithms is required. */
function certificateRequestExtensions(config: ServerConfig): Extension[] {
  const extensions: Extension[] = [
    { type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(TLS13_SIGNATURE_SCHEMES) },
    {
      type: ExtensionType.signature_algorithms_cert,
      data: encodeSignatureAlgorithms(CERT_SIGNATURE_SCHEMES),
    },
  ];
  if (config.clientCaNames.length > 0) {
    extensions.push({
      type: ExtensionType.certificate_authorities,
      data: encodeCertificateAuthorities(config.clientCaNames),
    });
  }
  return extensions;
}

/**
 * Answers a ClientHello that carried a usable key share: sends the whole server flight, installs the keys,
 * and returns the state that waits for the client's second flight.
 */
export async function sendServerFlight(ctx: ServerHelloContext, io: HandshakeIo): Promise<HandshakeState> {
  const { config, transcript, clientHello, negotiated, psk } = ctx;
  const { crypto } = io;
  const { suite, group, share } = negotiated;

  // RFC 8446 §4.2.8: the server's share, and the shared secret.
  let response;
  try {
    response = await crypto.respondKeyExchange(group, share.keyExchange);
  } catch (e) {
    if (e instanceof CryptoInputError) {
      abort("illegal_parameter", `ClientHello key_share for ${group} is invalid: ${e.message}`);
    }
    throw e;
  }

  // ServerHello (RFC 8446 §4.1.3), in the clear.
  const serverHello = encodeHandshake(
    HandshakeType.server_hello,
    encodeServerHello({
      legacyVersion: ProtocolVersion.TLS12,
      random: crypto.randomBytes(32),
      legacySessionIdEcho: clientHello.legacySessionId,
      cipherSuite: suite.code,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: ExtensionType.supported_versions,
          data: encodeSupportedVersionsServer(ProtocolVersion.TLS13),
        },
        {
          type: ExtensionType.key_share,
          data: encodeKeyShareServer({ group: share.group, keyExchange: response.publicKey }),
        },
        // RFC 8446 §4.2.11: the identity of the accepted PSK.
        ...(psk
          ? [{ type: ExtensionType.pre_shared_key, data: encodePreSharedKeyServer(psk.selectedIdentity) }]
          : []),
      ],
    }),
  );
  transcript.add(serverHello);
  io.sendHandshake(serverHello);
  // RFC 8446 §D.4: a client that sent a legacy_session_id is in middlebox compatibility mode.
  if (clientHello.legacySessionId.length > 0 && !ctx.sentChangeCipherSpec) io.sendChangeCipherSpec();

  // RFC 8446 §7.1: handshake traffic secrets over ClientHello…ServerHello.
  const helloHash = background(transcript.hash(crypto, suite.hash));

  // The messages sent under the handshake keys do not depend on them: they are added to the transcript
  // now, and the CertificateVerify signature over it is computed while the key schedule runs. They are
  // sent, in this order, once the handshake write key is installed.
  const flight: Uint8Array[] = [];
  const send = (type: number, body: Uint8Array): Uint8Array => {
    const message = encodeHandshake(type, body);
    transcript.add(message);
    flight.push(message);
    return message;
  };
  send(
    HandshakeType.encrypted_extensions,
    // A resumption chose no certificate by the SNI: nothing to acknowledge.
    encodeEncryptedExtensions({
      extensions: encryptedExtensions(psk ? { ...negotiated, sniMatched: false } : negotiated),
    }),
  );
  // RFC 8446 §2.2, §4.3.2: a resumption is authenticated by the PSK: no certificates either way.
  const requestClientCertificate = config.clientAuth !== "none" && !psk;
  if (requestClientCertificate) {
    send(
      HandshakeType.certificate_request,
      encodeCertificateRequest({
        certificateRequestContext: HANDSHAKE_REQUEST_CONTEXT,
        extensions: certificateRequestExtensions(config),
      }),
    );
  }
  const certificateVerify = psk ? undefined : background(signCertificate(ctx, io, send));

  const early = await EarlySecret.create(crypto, suite, psk?.psk);
  const handshakeSecret = await early.advance(response.sharedSecret);
  const master = background(handshakeSecret.advance());
  const secrets = await handshakeSecret.trafficSecrets(await helloHash);
  const serverFinishedKey = background(finishedKey(crypto, suite, secrets.server));
  io.logSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets.client);
  io.logSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets.server);
  await Promise.all([io.setWriteSecret(suite, secrets.server), io.setReadSecret(suite, secrets.client)]);
  for (const message of flight) io.sendHandshake(message);
  if (certificateVerify) {
    const message = await certificateVerify;
    transcript.add(message);
    io.sendHandshake(message);
  }

  // RFC 8446 §4.4.4: Finished, then the application secrets over ClientHello…server Finished.
  const verifyData = await verifyDataWith(
    crypto,
    suite,
    await serverFinishedKey,
    await transcript.hash(crypto, suite.hash),
  );
  const finished = encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData }));
  transcript.add(finished);
  const app = await (await master).applicationSecrets(await transcript.hash(crypto, suite.hash));
  io.logSecret("CLIENT_TRAFFIC_SECRET_0", app.client);
  io.logSecret("SERVER_TRAFFIC_SECRET_0", app.server);
  io.logSecret("EXPORTER_SECRET", app.exporter);
  // The Finished goes under the handshake key; what follows under the application key.
  await io.setWriteSecret(suite, app.server, finished);

  const state: ServerKeyState = {
    config,
    transcript,
    suite,
    group,
    alpnProtocol: negotiated.alpnProtocol,
    serverName: negotiated.serverName,
    clientHandshakeSecret: secrets.client,
    clientApplicationSecret: app.client,
    serverApplicationSecret: app.server,
    master: await master,
    resumed: psk !== undefined,
  };
  if (psk) return new ExpectClientFinished(state, psk.clientCertificates);
  return requestClientCertificate
    ? new ExpectClientCertificate(state, HANDSHAKE_REQUEST_CONTEXT)
    : new ExpectClientFinished(state, []);
}

/**
 * Adds the server's Certificate with `send` at once, and gives its CertificateVerify (RFC 8446 §4.4.2,
 * §4.4.3), which the caller adds to the transcript and sends once the signature is ready.
 */
async function signCertificate(
  ctx: ServerHelloContext,
  io: HandshakeIo,
  send: (type: number, body: Uint8Array) => Uint8Array,
): Promise<Uint8Array> {
  const { negotiated, transcript } = ctx;
  const { certified, suite } = negotiated;
  send(
    HandshakeType.certificate,
    encodeCertificate({
      certificateRequestContext: new Uint8Array(0),
      certificateList: certified.chain.map((certData) => ({ certData, extensions: [] })),
    }),
  );
  // RFC 8446 §4.4.3: the signature covers the transcript through the Certificate.
  const content = certificateVerifyContent("server", await transcript.hash(io.crypto, suite.hash));
  const signature = await certified.key.sign(SCHEMES[negotiated.signatureScheme].algorithm, content);
  return encodeHandshake(
    HandshakeType.certificate_verify,
    encodeCertificateVerify({ algorithm: negotiated.signatureScheme, signature }),
  );
}
