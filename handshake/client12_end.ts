/**
 * The end of the TLS 1.2 client's handshake, shared by the full and the abbreviated handshake: what the client
 * carries from the ServerHello on, the NewSessionTicket the server announced (RFC 5077 §3.3), and the report
 * of the completed handshake with the session a ticket makes resumable.
 *
 * @module
 */

import type { ClientHelloState } from "./client13_hello.ts";
import { HandshakeType, type Tls12Suite } from "./constants.ts";
import type { Tls12ClientConfig, Tls12ClientSession } from "./config12.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState } from "./context12.ts";
import { abort } from "./checks.ts";
import { Connected12, ignoredHelloRequest } from "./finish12.ts";
import { decodeNewSessionTicket12, type NewSessionTicket12 } from "./messages12.ts";
import type { HandshakeMessage } from "./messages.ts";

/** What the TLS 1.2 client carries from the ServerHello on. */
export interface Client12Context {
  /** The ClientHello and what the client offered. */
  readonly hello: ClientHelloState;
  /** The TLS 1.2 settings. */
  readonly config12: Tls12ClientConfig;
  /** The negotiated suite. */
  readonly suite: Tls12Suite;
  /** ClientHello.random. */
  readonly clientRandom: Uint8Array;
  /** ServerHello.random. */
  readonly serverRandom: Uint8Array;
  /** Whether the extended master secret was negotiated. */
  readonly extendedMasterSecret: boolean;
  /** The negotiated ALPN protocol, or null. */
  readonly alpnProtocol: string | null;
  /** Whether the ServerHello announced a NewSessionTicket (RFC 5077 §3.2). */
  readonly ticketExpected: boolean;
}

/** Waits for the NewSessionTicket the ServerHello announced (RFC 5077 §3.3). */
export class ExpectNewSessionTicket12 implements Tls12HandshakeState {
  readonly name = "ExpectNewSessionTicket12";
  /** `next` makes the state after the ticket. */
  constructor(
    private readonly k: Client12Context,
    private readonly next: (ticket: NewSessionTicket12) => Tls12HandshakeState,
  ) {}

  handle(m: HandshakeMessage): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, "client")) return Promise.resolve(this);
    if (m.type !== HandshakeType.new_session_ticket) {
      abort(
        "unexpected_message",
        `handshake message ${m.type} where NewSessionTicket was expected (RFC 5077 §3.3)`,
      );
    }
    const ticket = decodeNewSessionTicket12(m.body);
    this.k.hello.transcript.add(m.raw);
    return Promise.resolve(this.next(ticket));
  }
}

/** How a TLS 1.2 client handshake ended. */
export interface Client12Outcome {
  /** The master secret of the session. */
  readonly master: Uint8Array;
  /** The NewSessionTicket received in this handshake, if any. */
  readonly ticket: NewSessionTicket12 | undefined;
  /** The server's certificates (of the original handshake when resumed). */
  readonly peerCertificates: Tls12ClientSession["peerCertificates"];
  /** The ECDHE group, or null (RSA key transport, or a resumption). */
  readonly group: string | null;
  /** Whether this was an abbreviated handshake. */
  readonly resumed: boolean;
}

/** Reports the handshake, stores the session a new ticket makes resumable, and enters the connected state. */
export function complete(
  k: Client12Context,
  io: Tls12HandshakeIo,
  outcome: Client12Outcome,
): Tls12HandshakeState {
  const { config } = k.hello;
  const { ticket, master, peerCertificates } = outcome;
  if (ticket && ticket.ticket.length > 0 && k.config12.storeSession) {
    k.config12.storeSession({
      ticket: ticket.ticket,
      masterSecret: master,
      cipherSuite: k.suite.code,
      extendedMasterSecret: k.extendedMasterSecret,
      peerCertificates,
      serverName: config.serverName,
      receivedAt: config.now(),
      lifetimeHint: ticket.lifetimeHint,
    });
  } else if (outcome.resumed && k.config12.session && k.config12.storeSession) {
    // No new ticket: the resumed session stays resumable with its ticket (RFC 5077 §3.4), until it expires.
    k.config12.storeSession(k.config12.session);
  }
  const ignoredCertificateError = config.ignoredCertificateError?.();
  io.handshakeComplete({
    protocol: "TLSv1.2",
    cipherSuite: k.suite.name,
    group: outcome.group,
    alpnProtocol: k.alpnProtocol,
    serverName: config.sni ?? null,
    peerCertificates,
    resumed: outcome.resumed,
    ...(ignoredCertificateError ? { ignoredCertificateError } : {}),
  });
  return new Connected12("client");
}
