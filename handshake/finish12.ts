/**
 * The end of every TLS 1.2 handshake, for both roles and both full and abbreviated handshakes (RFC 5246
 * §7.1, §7.4.9): sending ChangeCipherSpec and Finished, waiting for the peer's ChangeCipherSpec (which
 * installs the read keys) and then its Finished, checked in constant time.
 *
 * @module
 */

import { constantTimeEqual } from "../bytes.ts";
import { abort } from "./checks.ts";
import { HandshakeType, nameOf, type Tls12Suite } from "./constants.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState, Tls12TrafficKeys } from "./context12.ts";
import { verifyData } from "./key_schedule12.ts";
import { decodeEmptyBody, decodeFinished12 } from "./messages12.ts";
import { encodeHandshake, type HandshakeMessage } from "./messages.ts";
import type { Transcript } from "./transcript.ts";

/** What the final states need: whose Finished to expect, under which keys, and what to do after it. */
export interface FinishContext {
  /** This side's role. */
  readonly role: "client" | "server";
  /** The negotiated suite. */
  readonly suite: Tls12Suite;
  /** The transcript, which the Finished messages join. */
  readonly transcript: Transcript;
  /** The master secret. */
  readonly master: Uint8Array;
  /** The peer's write keys, installed for reading on its ChangeCipherSpec. */
  readonly peerKeys: Tls12TrafficKeys;
  /** Runs once the peer's Finished has verified and joined the transcript; returns the next state. */
  readonly afterPeerFinished: (io: Tls12HandshakeIo) => Promise<Tls12HandshakeState>;
}

/** The peer's role. */
function peerOf(role: "client" | "server"): "client" | "server" {
  return role === "client" ? "server" : "client";
}

/**
 * RFC 5246 §7.4.1.1: a client ignores a HelloRequest that arrives while it is negotiating (it is not part of
 * the transcript). True when `m` is such a message.
 */
export function ignoredHelloRequest(m: HandshakeMessage, role: "client" | "server"): boolean {
  if (role !== "client" || m.type !== HandshakeType.hello_request) return false;
  decodeEmptyBody(m.body, "HelloRequest");
  return true;
}

/** `unexpected_message` for `m`, naming what was expected. */
export function unexpected12(m: HandshakeMessage, expected: string): never {
  abort("unexpected_message", `${nameOf(HandshakeType, m.type)} where ${expected} was expected`);
}

/** Sends ChangeCipherSpec, switches to `ownKeys`, and sends this side's Finished (RFC 5246 §7.1, §7.4.9). */
export async function sendChangeCipherSpecAndFinished(
  io: Tls12HandshakeIo,
  role: "client" | "server",
  suite: Tls12Suite,
  master: Uint8Array,
  transcript: Transcript,
  ownKeys: Tls12TrafficKeys,
): Promise<void> {
  await io.changeWriteCipherSpec12(suite, ownKeys);
  const data = await verifyData(io.crypto, suite, master, role, transcript);
  const finished = encodeHandshake(HandshakeType.finished, data);
  transcript.add(finished);
  io.sendHandshake(finished);
}

/** Waits for the peer's ChangeCipherSpec; installs the peer's keys for reading (RFC 5246 §7.1). */
export class ExpectChangeCipherSpec12 implements Tls12HandshakeState {
  readonly name = "ExpectChangeCipherSpec";
  /** `f` says whose Finished to expect and what follows it. */
  constructor(private readonly f: FinishContext) {}

  handle(m: HandshakeMessage): Promise<Tls12HandshakeState> {
    if (ignoredHelloRequest(m, this.f.role)) return Promise.resolve(this);
    unexpected12(m, "ChangeCipherSpec");
  }

  async handleChangeCipherSpec(io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    await io.setReadKeys12(this.f.suite, this.f.peerKeys);
    return new ExpectFinished12(this.f);
  }
}

/** Waits for the peer's Finished and checks it in constant time (RFC 5246 §7.4.9). */
class ExpectFinished12 implements Tls12HandshakeState {
  readonly name = "ExpectFinished";
  constructor(private readonly f: FinishContext) {}

  async handle(m: HandshakeMessage, io: Tls12HandshakeIo): Promise<Tls12HandshakeState> {
    const { f } = this;
    if (ignoredHelloRequest(m, f.role)) return this;
    if (m.type !== HandshakeType.finished) unexpected12(m, "Finished");
    const received = decodeFinished12(m.body);
    const peer = peerOf(f.role);
    const expected = await verifyData(io.crypto, f.suite, f.master, peer, f.transcript);
    if (!constantTimeEqual(received, expected)) {
      abort("decrypt_error", `${peer} Finished does not verify (RFC 5246 §7.4.9)`);
    }
    f.transcript.add(m.raw);
    return await f.afterPeerFinished(io);
  }
}

/**
 * Either side of a TLS 1.2 connection after its handshake. Renegotiation is refused in both directions
 * (RFC 5746 allows it only securely; this library never renegotiates): a HelloRequest to a client or a
 * ClientHello to a server is answered with a fatal no_renegotiation alert, as BoringSSL does. Every other
 * handshake message, and a ChangeCipherSpec, is unexpected_message.
 */
export class Connected12 implements Tls12HandshakeState {
  readonly name = "Connected12";
  /** `role` is this side's role. */
  constructor(private readonly role: "client" | "server") {}

  handle(m: HandshakeMessage): Promise<Tls12HandshakeState> {
    if (
      (this.role === "client" && m.type === HandshakeType.hello_request) ||
      (this.role === "server" && m.type === HandshakeType.client_hello)
    ) {
      abort(
        "no_renegotiation",
        `the peer asked for a renegotiation, which this library refuses (RFC 5746 §4)`,
      );
    }
    abort("unexpected_message", `${nameOf(HandshakeType, m.type)} after the TLS 1.2 handshake`);
  }
}
