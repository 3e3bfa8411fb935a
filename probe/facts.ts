/**
 * What the handshake messages of the probe's connection say (see `decrypt.ts`), for a handshake the library
 * did not complete — refused at verification, or cut short by the server: the version, suite, group and
 * ALPN that were negotiated, the server's certificates, and whether it asked for a client certificate.
 *
 * @module
 */

import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  nameOf,
  TLS12_SUITES,
} from "../handshake/constants.ts";
import { decodeAlpn, decodeKeyShareServer, decodeServerName } from "../handshake/extensions.ts";
import { decodeCertificate, decodeEncryptedExtensions, type Extension } from "../handshake/messages.ts";
import { decodeCertificate12, decodeClientHello12, decodeServerHello12 } from "../handshake/messages12.ts";
import type { DecodedConnection } from "./decrypt.ts";
import type { HandshakeMessageSeen } from "./trace.ts";

/** What was negotiated, as far as the messages tell. */
export interface NegotiatedFacts {
  readonly protocol: "TLSv1.3" | "TLSv1.2";
  readonly cipherSuite: string;
  readonly group: string | null;
  readonly alpnProtocol: string | null;
  readonly serverName: string | null;
  readonly resumed: boolean;
}

function find(messages: readonly HandshakeMessageSeen[], type: number): HandshakeMessageSeen | undefined {
  return messages.findLast((m) => m.type === type);
}

function extension(extensions: readonly Extension[], type: number): Uint8Array | undefined {
  return extensions.find((e) => e.type === type)?.data;
}

/** The negotiated parameters from the ServerHello (and EncryptedExtensions or ServerKeyExchange). */
export function negotiatedFacts(decoded: DecodedConnection): NegotiatedFacts | null {
  const { sent, received } = decoded.messages;
  const helloMessage = find(received, HandshakeType.server_hello);
  if (!helloMessage || !decoded.version) return null;
  const hello = decodeServerHello12(helloMessage.body);
  const tls13 = decoded.version === "TLSv1.3";
  const tls12Suite = TLS12_SUITES.find((s) => s.code === hello.cipherSuite);
  const cipherSuite = tls12Suite ? tls12Suite.name : nameOf(CipherSuite, hello.cipherSuite);
  let group: string | null = null;
  let alpnData = extension(hello.extensions, ExtensionType.application_layer_protocol_negotiation);
  if (tls13) {
    const share = extension(hello.extensions, ExtensionType.key_share);
    if (share) group = nameOf(NamedGroup, decodeKeyShareServer(share).group);
    const ee = find(received, HandshakeType.encrypted_extensions);
    if (ee) {
      alpnData = extension(
        decodeEncryptedExtensions(ee.body).extensions,
        ExtensionType.application_layer_protocol_negotiation,
      );
    }
  } else {
    // ECParameters: curve_type named_curve (3), then the NamedCurve (RFC 8422 §5.4).
    const ske = find(received, HandshakeType.server_key_exchange);
    if (ske && ske.body[0] === 3) group = nameOf(NamedGroup, (ske.body[1] << 8) | ske.body[2]);
  }
  const clientHello = find(sent, HandshakeType.client_hello);
  const sni = clientHello &&
    extension(decodeClientHello12(clientHello.body).extensions, ExtensionType.server_name);
  return {
    protocol: decoded.version,
    cipherSuite,
    group,
    alpnProtocol: alpnData ? decodeAlpn(alpnData)[0] ?? null : null,
    serverName: sni ? decodeServerName(sni) : null,
    resumed: tls13 && extension(hello.extensions, ExtensionType.pre_shared_key) !== undefined,
  };
}

/** The certificates the server sent (DER, leaf first), when its Certificate message was read. */
export function serverCertificates(decoded: DecodedConnection): Uint8Array[] {
  const message = find(decoded.messages.received, HandshakeType.certificate);
  if (!message) return [];
  return decoded.version === "TLSv1.3"
    ? decodeCertificate(message.body).certificateList.map((e) => e.certData)
    : [...decodeCertificate12(message.body).certificateList];
}

/** Whether the server asked for a client certificate, and how many certificates the client's answer held. */
export function clientCertificateFacts(
  decoded: DecodedConnection,
): { requested: boolean; sent: number | undefined } {
  const requested = find(decoded.messages.received, HandshakeType.certificate_request) !== undefined;
  const answer = find(decoded.messages.sent, HandshakeType.certificate);
  let sent: number | undefined;
  if (answer) {
    sent = decoded.version === "TLSv1.3"
      ? decodeCertificate(answer.body).certificateList.length
      : decodeCertificate12(answer.body).certificateList.length;
  }
  return { requested, sent };
}
