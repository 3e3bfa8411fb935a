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

/**
 * Most KeyUpdates accepted without application data in between (a peer could otherwise spin us), besides
 * the answers to our own update requests.
 */
const MAX_KEY_UPDATES_IN_A_ROW = 32;

/**
 * The connected state. A client accepts NewSessionTicket and KeyUpdate; a server accepts only KeyUpdate
 * (we never request post-handshake authentication). Session tickets go through `tickets`: a client hands each
 * NewSessionTicket to it, a server issues its tickets with {@link Connected.sendTickets}.
 *
 * Key changes (RFC 8446 §4.6.3) are made in one synchronous step each: the next write secret is chained on
 * the current one as a promise, and the engine queues the KeyUpdate and switches to the new key at once. So
 * two updates in flight together — `updateKeys()` twice, or the application's update beside the answer to a
 * peer's update_requested — take generations N + 1 and N + 2 in call order, never the same one twice.
 */
export class Connected implements HandshakeState {
  readonly name = "Connected";
  /** Our current application traffic secret (a promise while its derivation is under way). */
  #writeSecret: Promise<Uint8Array>;
  /** Its generation: N of application_traffic_secret_N (RFC 8446 §7.2). */
  #writeGeneration = 0;
  #readSecret: Promise<Uint8Array>;
  #readGeneration = 0;
  readonly #resumptionSecret: Uint8Array;
  #keyUpdatesInARow = 0;
  /** Our KeyUpdates with update_requested that the peer has not answered yet (RFC 8446 §4.6.3). */
  #requestsUnanswered = 0;
  /**
   * Set when we answer the peer's update_requested, cleared when we send application data: the peer's further
   * requests while we are silent are answered by that one KeyUpdate (RFC 8446 §4.6.3).
   */
  #answeredSinceData = false;

  constructor(
    private readonly role: "client" | "server",
    private readonly suite: Tls13Suite,
    writeSecret: Uint8Array,
    readSecret: Uint8Array,
    resumptionSecret: Uint8Array,
    private readonly tickets?: TicketHandler,
  ) {
    this.#writeSecret = Promise.resolve(writeSecret);
    this.#readSecret = Promise.resolve(readSecret);
    this.#resumptionSecret = resumptionSecret;
  }

  /** Called by the engine when application data arrives, which resets the KeyUpdate run. */
  applicationDataReceived(): void {
    this.#keyUpdatesInARow = 0;
  }

  /** Called by the engine when it sends application data: the next update request gets a KeyUpdate again. */
  applicationDataSent(): void {
    this.#answeredSinceData = false;
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

  /**
   * RFC 8446 §4.6.3: the peer's KeyUpdate. An update request is answered first, synchronously, so that our
   * KeyUpdate precedes any application data written from now on — unless we already answered one and have
   * sent no application data since, or we have sent close_notify (§6.1: nothing may follow it).
   */
  async #keyUpdate(m: HandshakeMessage, io: HandshakeIo): Promise<void> {
    // RFC 8446 §4.6.3: a request_update other than 0 or 1 "MUST" be answered with illegal_parameter.
    if (m.body.length === 1 && m.body[0] > KeyUpdateRequest.update_requested) {
      abort(
        "illegal_parameter",
        `KeyUpdate.request_update ${m.body[0]} is neither 0 nor 1 (RFC 8446 §4.6.3)`,
      );
    }
    const update = decodeKeyUpdate(m.body);
    // An answer to a request of ours is not the peer spinning us; it may answer several with one.
    const answer = update.requestUpdate === KeyUpdateRequest.update_not_requested &&
      this.#requestsUnanswered > 0;
    if (answer) this.#requestsUnanswered--;
    else if (++this.#keyUpdatesInARow > MAX_KEY_UPDATES_IN_A_ROW) {
      abort(
        "unexpected_message",
        `more than ${MAX_KEY_UPDATES_IN_A_ROW} KeyUpdates without application data`,
      );
    }
    // The new read key is installed (still being derived) before anything is sent: a KeyUpdate that does
    // not end its record is refused here, with no answer queued (RFC 8446 §5.1).
    const next = this.#readSecret.then((secret) => nextTrafficSecret(io.crypto, this.suite, secret));
    const installed = io.updateReadSecret(this.suite, this.#readGeneration + 1, next);
    this.#readSecret = next;
    this.#readGeneration++;
    let answered: Promise<void> | undefined;
    if (
      update.requestUpdate === KeyUpdateRequest.update_requested && !this.#answeredSinceData && !io.closed
    ) {
      this.#answeredSinceData = true;
      answered = this.updateWriteKey(io, false);
    }
    await Promise.all([installed, answered]);
  }

  /**
   * Sends a KeyUpdate and switches this side's write key (RFC 8446 §4.6.3). The switch happens before this
   * returns; the promise settles when the new key is ready.
   */
  updateWriteKey(io: HandshakeIo, requestPeerUpdate: boolean): Promise<void> {
    const request = requestPeerUpdate
      ? KeyUpdateRequest.update_requested
      : KeyUpdateRequest.update_not_requested;
    const message = encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: request }));
    const next = this.#writeSecret.then((secret) => nextTrafficSecret(io.crypto, this.suite, secret));
    const installed = io.updateWriteSecret(this.suite, this.#writeGeneration + 1, next, message);
    this.#writeSecret = next;
    this.#writeGeneration++;
    if (requestPeerUpdate) this.#requestsUnanswered++;
    return installed;
  }
}
