/**
 * The client's side of resumption (RFC 8446 §2.2, §4.2.11, §4.6.1): taking a ticket out of the session
 * cache, offering it in pre_shared_key with its binder — again, recomputed, after a HelloRetryRequest — and
 * checking the server's choice; and keeping each NewSessionTicket the server sends.
 *
 * A ticket is offered only when it is fresh (younger than its lifetime, at most 7 days), its suite is among
 * the offered suites, it was made for the same server name, and the server certificates it records still
 * pass this connection's verification (trust anchors, name, validity, `verifyPeer`): the session cache is
 * shared by connections whose options may differ, and resuming must not skip a check that a full handshake
 * would make. Only psk_dhe_ke is offered, so (EC)DHE still gives forward secrecy; 0-RTT is never offered.
 *
 * @module
 */

import type { CryptoProvider } from "../crypto/provider.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { PeerCertificate } from "../x509/verifier.ts";
import { abort, findExtension } from "./checks.ts";
import type { ClientConfig } from "./client_config.ts";
import { ExtensionType, HandshakeType, type Tls13Suite } from "./constants.ts";
import {
  type ClientHello,
  encodeClientHello,
  encodeHandshake,
  type Extension,
  type ServerHello,
} from "./messages.ts";
import {
  decodePreSharedKeyClient,
  decodePreSharedKeyServer,
  preSharedKeyExtension,
  resumptionBinder,
  truncateClientHello,
} from "./psk.ts";
import {
  type CachedSession,
  MAX_TICKET_LIFETIME,
  type SessionTicket,
  type TicketHandler,
} from "./session.ts";

/** A ticket the client offers: the ticket, its suite, and the server's certificates it stands for. */
export interface ResumptionOffer {
  /** The ticket as kept in the cache. */
  readonly ticket: SessionTicket;
  /** The ticket's suite; the server must pick a suite with its hash. */
  readonly suite: Tls13Suite;
  /** The server's certificates from the ticket, described: `peerCertificates` of a resumed handshake. */
  readonly peerCertificates: readonly PeerCertificate[];
}

/** The key of the connection's server in the session cache. */
function sessionKey(config: ClientConfig): string {
  return config.sessionKey ?? `${config.serverName}:0`;
}

/** The ClientHello to send, as a message, and whether it offers the ticket. */
export interface ClientHelloMessage {
  /** The ClientHello, with the real binder. */
  readonly hello: ClientHello;
  /** Its encoding as a handshake message, header included. */
  readonly message: Uint8Array;
  /** The offer, when the ClientHello carries it (a test hook may have removed it). */
  readonly resumption: ResumptionOffer | undefined;
}

/**
 * Takes the ticket kept for this server out of the cache (a ticket is used once, RFC 8446 §C.4) and returns
 * it when it may be offered; undefined otherwise. Errors of the cache are ignored.
 */
export async function takeTicket(config: ClientConfig): Promise<ResumptionOffer | undefined> {
  const cache = config.sessionCache;
  if (!cache) return undefined;
  let ticket: CachedSession | undefined;
  const key = sessionKey(config);
  try {
    ticket = await cache.get(key);
    // Only a TLS 1.3 ticket is used up here; a TLS 1.2 session is session12.ts's to take.
    if (ticket?.protocol === "TLSv1.3") await cache.delete(key);
  } catch {
    return undefined;
  }
  if (!ticket || ticket.protocol !== "TLSv1.3" || ticket.serverName !== config.serverName) return undefined;
  const age = config.now().getTime() - ticket.receivedAt;
  const suite = config.suites.find((s) => s.name === ticket.cipherSuite);
  if (!suite || age < 0 || age >= Math.min(ticket.lifetime, MAX_TICKET_LIFETIME) * 1000) return undefined;
  const peerCertificates = await recheckServer(config, ticket.serverCertificates);
  return peerCertificates && { ticket, suite, peerCertificates };
}

/** The ticket's server chain, described, if it passes this connection's verification; else undefined. */
export async function recheckServer(
  config: ClientConfig,
  chain: readonly Uint8Array[],
): Promise<PeerCertificate[] | undefined> {
  if (chain.length === 0) return undefined;
  try {
    const described = chain.map((der) => config.verifier.describe(der));
    let error: CertificateVerificationError | undefined;
    try {
      await config.verifier.verifyServer({ chain, serverName: config.serverName, now: config.now() });
    } catch (e) {
      if (!(e instanceof CertificateVerificationError) || !config.unsafelyIgnoreCertificateErrors) throw e;
      error = e;
    }
    await config.verifyPeer?.({
      certificates: described,
      serverName: config.serverName,
      ...(error ? { error: { code: error.code, message: error.message } } : {}),
    });
    return described;
  } catch {
    return undefined;
  }
}

/**
 * The pre_shared_key extension offering `offer` at time `now` (ms), with a placeholder binder of the right
 * length; {@link clientHelloMessage} fills the binder in. It must go last (RFC 8446 §4.2.11).
 */
export function pskOfferExtension(offer: ResumptionOffer, now: number): Extension {
  const age = Math.max(0, now - offer.ticket.receivedAt);
  return preSharedKeyExtension({
    identities: [{
      identity: offer.ticket.ticket,
      obfuscatedTicketAge: (age + offer.ticket.ticketAgeAdd) % 2 ** 32,
    }],
    binders: [new Uint8Array(offer.suite.hashLength)],
  });
}

/**
 * Encodes `hello` as a handshake message. When it ends with the pre_shared_key of `offer`, the binder is
 * computed over `transcriptPrefix` ‖ Truncate(ClientHello) (RFC 8446 §4.2.11.2) and put in place.
 */
export async function clientHelloMessage(
  crypto: CryptoProvider,
  hello: ClientHello,
  offer: ResumptionOffer | undefined,
  transcriptPrefix: Uint8Array,
): Promise<ClientHelloMessage> {
  const placeholder = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
  const last = hello.extensions.at(-1);
  if (!offer || last?.type !== ExtensionType.pre_shared_key) {
    return { hello, message: placeholder, resumption: undefined };
  }
  const { identities, binders } = decodePreSharedKeyClient(last.data);
  const truncated = truncateClientHello(placeholder, binders);
  const binder = await resumptionBinder(crypto, offer.suite, offer.ticket.psk, transcriptPrefix, truncated);
  const final: ClientHello = {
    ...hello,
    extensions: [...hello.extensions.slice(0, -1), preSharedKeyExtension({ identities, binders: [binder] })],
  };
  return {
    hello: final,
    message: encodeHandshake(HandshakeType.client_hello, encodeClientHello(final)),
    resumption: offer,
  };
}

/**
 * After a HelloRetryRequest selecting `suite`: the offer to renew in the second ClientHello, or undefined when
 * the suite's hash is not the ticket's, which drops the PSK (RFC 8446 §4.1.2, §4.2.11).
 */
export function retryOffer(
  offer: ResumptionOffer | undefined,
  suite: Tls13Suite,
): ResumptionOffer | undefined {
  return offer && offer.suite.hash === suite.hash ? offer : undefined;
}

/**
 * The PSK the ServerHello accepted, or undefined for a full handshake. RFC 8446 §4.2.11: selected_identity
 * must be one offered (we offer one: index 0) and the suite must have the PSK's hash, else illegal_parameter.
 */
export function acceptedOffer(
  sh: ServerHello,
  offer: ResumptionOffer | undefined,
  suite: Tls13Suite,
): ResumptionOffer | undefined {
  const data = findExtension(sh.extensions, ExtensionType.pre_shared_key);
  if (data === undefined) return undefined;
  if (!offer) abort("unsupported_extension", "ServerHello accepted a pre_shared_key that was not offered");
  const selected = decodePreSharedKeyServer(data);
  if (selected !== 0) {
    abort(
      "illegal_parameter",
      `ServerHello selected_identity ${selected}, but one PSK was offered (RFC 8446 §4.2.11)`,
    );
  }
  if (suite.hash !== offer.suite.hash) {
    abort(
      "illegal_parameter",
      `ServerHello selected ${suite.name}, whose hash is not the PSK's (RFC 8446 §4.2.11)`,
    );
  }
  return offer;
}

/** What a client's tickets record about the session, besides the PSK. */
export interface ClientSession {
  /** The negotiated suite. */
  readonly suite: Tls13Suite;
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** The server's certificates (from the full handshake, or from the resumed ticket). */
  readonly peerCertificates: readonly PeerCertificate[];
}

/**
 * The client's {@link TicketHandler}, when the configuration has a session cache: keeps each
 * NewSessionTicket under the connection's key, its lifetime capped at 7 days; a lifetime of 0 means "do not
 * keep" (RFC 8446 §4.6.1). Errors of the cache are ignored.
 */
export function clientTicketStore(config: ClientConfig, session: ClientSession): TicketHandler | undefined {
  const cache = config.sessionCache;
  if (!cache) return undefined;
  return {
    async received(nst, psk) {
      const lifetime = Math.min(nst.ticketLifetime, MAX_TICKET_LIFETIME);
      if (lifetime === 0) return;
      const ticket: SessionTicket = {
        protocol: "TLSv1.3",
        ticket: nst.ticket,
        psk,
        cipherSuite: session.suite.name,
        ticketAgeAdd: nst.ticketAgeAdd,
        lifetime,
        receivedAt: config.now().getTime(),
        alpnProtocol: session.alpnProtocol,
        serverName: config.serverName,
        serverCertificates: session.peerCertificates.map((c) => c.der),
      };
      try {
        await cache.set(sessionKey(config), ticket);
      } catch {
        // A cache that fails only costs the next connection a full handshake.
      }
    },
  };
}
