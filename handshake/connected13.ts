/**
 * Either side of a TLS 1.3 connection after its handshake: post-handshake messages (RFC 8446 §4.6).
 *
 * @module
 */

import { HandshakeType, KeyUpdateRequest, nameOf, type Tls13Suite } from "./constants.ts";
import type { HandshakeIo, HandshakeState } from "./context.ts";
import { nextTrafficSecret, ticketPsk } from "./key_schedule.ts";
import {
  decodeKeyUpdate,
  decodeNewSessionTicket,
  encodeHandshake,
  encodeKeyUpdate,
  type HandshakeMessage,
} from "./messages.ts";
import { abort } from "./checks.ts";
import type { TicketHandler } from "./session.ts";

/** Most KeyUpdates accepted without application data in between (a peer could otherwise spin us). */
const MAX_KEY_UPDATES_IN_A_ROW = 32;

/**
 * The connected state. A client accepts NewSessionTicket and KeyUpdate; a server accepts only KeyUpdate
 * (we never request post-handshake authentication). Session tickets go through `tickets`: a client hands each
 * NewSessionTicket to it, a server issues its tickets with {@link Connected.sendTickets}.
 */
export class Connected implements HandshakeState {
  readonly name = "Connected";
  #writeSecret: Uint8Array;
  #readSecret: Uint8Array;
  readonly #resumptionSecret: Uint8Array;
  #keyUpdatesInARow = 0;

  constructor(
    private readonly role: "client" | "server",
    private readonly suite: Tls13Suite,
    writeSecret: Uint8Array,
    readSecret: Uint8Array,
    resumptionSecret: Uint8Array,
    private readonly tickets?: TicketHandler,
  ) {
    this.#writeSecret = writeSecret;
    this.#readSecret = readSecret;
    this.#resumptionSecret = resumptionSecret;
  }

  /** Called by the engine when application data arrives, which resets the KeyUpdate run. */
  applicationDataReceived(): void {
    this.#keyUpdatesInARow = 0;
  }

  async handle(m: HandshakeMessage, io: HandshakeIo): Promise<HandshakeState> {
    switch (m.type) {
      case HandshakeType.new_session_ticket:
        if (this.role !== "client") break;
        await this.#newSessionTicket(m, io);
        return this;
      case HandshakeType.key_update:
        await this.#keyUpdate(m, io);
        return this;
    }
    abort("unexpected_message", `${nameOf(HandshakeType, m.type)} after the handshake (RFC 8446 §4.6)`);
  }

  /** RFC 8446 §4.6.1: a client keeps the ticket with its PSK, when it has a place to keep it. */
  async #newSessionTicket(m: HandshakeMessage, io: HandshakeIo): Promise<void> {
    const ticket = decodeNewSessionTicket(m.body);
    if (!this.tickets?.received) return;
    await this.tickets.received(ticket, await this.#psk(io, ticket.ticketNonce));
  }

  #psk(io: HandshakeIo, ticketNonce: Uint8Array): Promise<Uint8Array> {
    return ticketPsk(io.crypto, this.suite, this.#resumptionSecret, ticketNonce);
  }

  /** Server: sends the session's NewSessionTickets, when tickets are issued (RFC 8446 §4.6.1). */
  async sendTickets(io: HandshakeIo): Promise<void> {
    if (this.role !== "server" || !this.tickets?.issue) return;
    await this.tickets.issue(io, (nonce) => this.#psk(io, nonce));
  }

  async #keyUpdate(m: HandshakeMessage, io: HandshakeIo): Promise<void> {
    const update = decodeKeyUpdate(m.body);
    if (++this.#keyUpdatesInARow > MAX_KEY_UPDATES_IN_A_ROW) {
      abort(
        "unexpected_message",
        `more than ${MAX_KEY_UPDATES_IN_A_ROW} KeyUpdates without application data`,
      );
    }
    this.#readSecret = await nextTrafficSecret(io.crypto, this.suite, this.#readSecret);
    await io.setReadSecret(this.suite, this.#readSecret);
    if (update.requestUpdate === KeyUpdateRequest.update_requested) await this.updateWriteKey(io, false);
  }

  /** Sends a KeyUpdate and switches this side's write key (RFC 8446 §4.6.3). */
  async updateWriteKey(io: HandshakeIo, requestPeerUpdate: boolean): Promise<void> {
    const next = await nextTrafficSecret(io.crypto, this.suite, this.#writeSecret);
    const request = requestPeerUpdate
      ? KeyUpdateRequest.update_requested
      : KeyUpdateRequest.update_not_requested;
    this.#writeSecret = next;
    const message = encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: request }));
    await io.setWriteSecret(this.suite, next, message);
  }
}
