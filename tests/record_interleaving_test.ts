/**
 * RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record types. That is, if a handshake
 * message is split over two or more records, there MUST NOT be any other records between them." A
 * ChangeCipherSpec or a closure/warning alert between the fragments of a handshake message is
 * unexpected_message (RFC 5246 §6.2.1 says the same for TLS 1.2); a fatal alert there is still reported as the
 * peer's. Played against the real engine by a scripted peer (`tests/_scripted.ts`).
 */
import assert from "node:assert/strict";
import { HandshakeType } from "../handshake/constants.ts";
import {
  assertAlert,
  assertCompleted,
  CT,
  edit,
  fragments,
  messageIndex,
  play,
  scenario,
  type ScriptRecord,
} from "./_scripted.ts";

const CCS: ScriptRecord = { type: CT.change_cipher_spec, content: Uint8Array.of(1), epoch: -1 };

/** The scenario's script with the message of `type` in two records and `between` inserted between them. */
async function splitWith(name: string, type: number, between: (epoch: number) => ScriptRecord) {
  const s = await scenario(name);
  const script = edit(s, (records) => {
    const i = messageIndex(records, type);
    const [first, second] = fragments(records[i], 2);
    records.splice(i, 1, first, between(first.epoch), second);
  });
  return { s, script };
}

Deno.test("RFC 8446 §5.1: a ChangeCipherSpec between two fragments of the ServerHello is unexpected_message", async () => {
  const { s, script } = await splitWith("client", HandshakeType.server_hello, () => CCS);
  const error = assertAlert(await play(s, script), "unexpected_message");
  assert.match(error.message, /between the fragments of a handshake message/);
});

Deno.test("RFC 8446 §5.1: a ChangeCipherSpec between two fragments of an encrypted message is unexpected_message", async () => {
  for (const type of [HandshakeType.certificate, HandshakeType.encrypted_extensions]) {
    const { s, script } = await splitWith("client", type, () => CCS);
    const error = assertAlert(await play(s, script), "unexpected_message");
    assert.match(error.message, /between the fragments of a handshake message/);
  }
});

Deno.test("RFC 8446 §5.1: a ChangeCipherSpec between two fragments of the client's Finished is unexpected_message", async () => {
  const { s, script } = await splitWith("server", HandshakeType.finished, () => CCS);
  assertAlert(await play(s, script), "unexpected_message");
});

Deno.test("RFC 8446 §5.1: a user_canceled alert between two fragments of an encrypted message is unexpected_message", async () => {
  for (
    const [name, type] of [["client", HandshakeType.certificate], ["server", HandshakeType.finished]] as const
  ) {
    const { s, script } = await splitWith(name, type, (epoch) => ({
      type: CT.alert,
      content: Uint8Array.of(1, 90),
      epoch,
    }));
    const error = assertAlert(await play(s, script), "unexpected_message");
    assert.match(error.message, /user_canceled alert between the fragments/, name);
  }
});

Deno.test("RFC 8446 §5.1: a user_canceled alert between two handshake messages is still accepted", async () => {
  const s = await scenario("client");
  const script = edit(s, (records) => {
    const i = messageIndex(records, HandshakeType.certificate);
    records.splice(i, 0, { type: CT.alert, content: Uint8Array.of(1, 90), epoch: records[i].epoch });
  });
  assertCompleted(await play(s, script));
});

Deno.test("RFC 8446 §6.2: a fatal alert between two fragments is reported as the peer's", async () => {
  const { s, script } = await splitWith("client", HandshakeType.certificate, (epoch) => ({
    type: CT.alert,
    content: Uint8Array.of(2, 40),
    epoch,
  }));
  assertAlert(await play(s, script), "handshake_failure", "remote");
});

Deno.test("RFC 5246 §6.2.1: TLS 1.2 — a warning alert between two fragments of a handshake message is unexpected_message", async () => {
  for (const description of [90, 100]) { // user_canceled, no_renegotiation: warnings TLS 1.2 otherwise ignores
    const { s, script } = await splitWith("client-tls12", HandshakeType.certificate, () => ({
      type: CT.alert,
      content: Uint8Array.of(1, description),
      epoch: -1,
    }));
    const error = assertAlert(await play(s, script), "unexpected_message");
    assert.match(error.message, /alert between the fragments/);
  }
});
