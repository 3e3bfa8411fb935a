/**
 * Every buffer and counter a peer can push is capped, each with its alert (see SECURITY_NOTES.md): one below
 * the limit the connection goes on, at the limit it fails. The peer is a recorded handshake replayed by
 * `tests/_scripted.ts`, edited record by record and protected again under the recorded keys.
 */
import assert from "node:assert/strict";
import { concat, Writer } from "../bytes.ts";
import { runTarget, serializeScript } from "../fuzz/_harness.ts";
import { HandshakeType } from "../handshake/constants.ts";
import {
  decodeCertificate,
  decodeEncryptedExtensions,
  encodeCertificate,
  encodeEncryptedExtensions,
  encodeHandshake,
  encodeKeyUpdate,
} from "../handshake/messages.ts";
import { MAX_CERTIFICATE_CHAIN } from "../handshake/checks.ts";
import { MAX_CLIENT_HELLO } from "../record/handshake_reassembler.ts";
import {
  MAX_HANDSHAKE_RECORDS,
  MAX_POST_HANDSHAKE_MESSAGES,
  MAX_USER_CANCELED,
} from "../connection/engine.ts";
import {
  afterHandshake,
  assertAlert,
  assertCompleted,
  CT,
  edit,
  epochs,
  fragments,
  messageIndex,
  play,
  scenario,
  type ScriptRecord,
} from "./_scripted.ts";

const empty = (epoch: number): ScriptRecord => ({
  type: CT.application_data,
  content: new Uint8Array(0),
  epoch,
});

Deno.test("limits: RFC 8446 §6.2 a handshake message over 64 KiB (a ClientHello over 131 396) is decode_error as soon as its header arrives", async () => {
  for (
    const [name, type, limit] of [
      ["client", HandshakeType.certificate, 65536],
      ["server", HandshakeType.client_hello, MAX_CLIENT_HELLO],
    ] as const
  ) {
    const s = await scenario(name);
    const header = (length: number) =>
      edit(s, (records) => {
        const i = messageIndex(records, name === "server" ? HandshakeType.client_hello : type);
        const content = new Uint8Array(4 + 100);
        content.set([type, length >> 16, (length >> 8) & 0xff, length & 0xff]);
        records.splice(i, records.length - i, { ...records[i], content });
      });
    const over = await play(s, header(limit + 1));
    assert.match(assertAlert(over, "decode_error").message, new RegExp(`exceeds the ${limit}-byte limit`));
    // Exactly the limit is waited for: no error, no handshake.
    const at = await play(s, header(limit));
    assert.equal(at.error, undefined);
    assert.equal(at.connected, false);
  }
});

Deno.test("limits: RFC 8446 §5.1 a handshake message may span any number of records, one byte each", async () => {
  for (const name of ["client", "server-mtls-alpn"]) {
    const s = await scenario(name);
    const split = edit(s, (records) => {
      const end = afterHandshake(records);
      const out: ScriptRecord[] = [];
      for (const r of records.slice(0, end)) {
        out.push(...(r.type === CT.handshake ? fragments(r, r.content.length) : [r]));
      }
      records.splice(0, end, ...out);
    });
    // The longest message (the Certificate) comes in more records than the old cap of 256.
    const longest = Math.max(
      ...s.script.records.filter((r) => r.type === CT.handshake).map((r) => r.content.length),
    );
    assert.ok(longest > 256, `${longest} bytes`);
    assertCompleted(await play(s, split, { together: true }));
  }
});

Deno.test(`limits: at most ${MAX_HANDSHAKE_RECORDS} records before the handshake completes (RFC 5246 §7.4.1.1 HelloRequests)`, async () => {
  // A TLS 1.2 client ignores HelloRequests while it negotiates: a server could send them without end.
  const s = await scenario("client-tls12");
  const deliveries = await serializeScript(s.script, s.epochs);
  const serverHello = 5 + s.script.records[0].content.length;
  /** The recorded server traffic with `n` HelloRequest records after the ServerHello, in one delivery. */
  const withRequests = (n: number) => {
    const all = concat(...deliveries);
    const out = new Uint8Array(all.length + 9 * n);
    out.set(all.subarray(0, serverHello));
    const request = Uint8Array.of(CT.handshake, 3, 3, 0, 4, HandshakeType.hello_request, 0, 0, 0);
    for (let i = 0; i < n; i++) out.set(request, serverHello + 9 * i);
    out.set(all.subarray(serverHello), serverHello + 9 * n);
    return [out];
  };
  const under = await runTarget(s, withRequests(1000));
  assert.equal(under.error, undefined);
  assert.ok(under.connected, "1,000 HelloRequests are ignored and the handshake completes");
  // The ServerHello counts too: MAX_HANDSHAKE_RECORDS HelloRequests after it are one record over the cap.
  const over = await runTarget(s, withRequests(MAX_HANDSHAKE_RECORDS));
  assert.match(
    assertAlert(over, "unexpected_message").message,
    new RegExp(`more than ${MAX_HANDSHAKE_RECORDS} records`),
  );
});

for (const [name, who] of [["client", "server"], ["server-mtls-alpn", "client"]] as const) {
  Deno.test(`limits: a ${who} chain of more than ${MAX_CERTIFICATE_CHAIN} certificates is bad_certificate, unparsed`, async () => {
    const s = await scenario(name);
    const chain = (n: number) =>
      edit(s, (records) => {
        const i = messageIndex(records, HandshakeType.certificate);
        const cert = decodeCertificate(records[i].content.subarray(4));
        const leaf = cert.certificateList[0];
        records[i] = {
          ...records[i],
          content: encodeHandshake(
            HandshakeType.certificate,
            encodeCertificate({ ...cert, certificateList: Array.from({ length: n }, () => leaf) }),
          ),
        };
      });
    // Ten copies of the leaf verify (the path is found), and only the CertificateVerify then fails.
    assertAlert(await play(s, chain(MAX_CERTIFICATE_CHAIN)), "decrypt_error");
    const over = assertAlert(await play(s, chain(MAX_CERTIFICATE_CHAIN + 1)), "bad_certificate");
    assert.match(over.message, /11 certificates, more than 10/);
  });
}

Deno.test("limits: 32 empty application_data records in a row are accepted, the 33rd is unexpected_message", async () => {
  for (const name of ["client", "server"]) {
    const s = await scenario(name);
    const flood = (n: number) =>
      edit(
        s,
        (records) => records.splice(afterHandshake(records), 0, ...Array.from({ length: n }, () => empty(1))),
      );
    assertCompleted(await play(s, flood(32)));
    assert.match(
      assertAlert(await play(s, flood(33)), "unexpected_message").message,
      /empty application_data/,
    );
  }
});

Deno.test(`limits: RFC 8446 §6.1 at most ${MAX_USER_CANCELED} user_canceled alerts, then unexpected_message`, async () => {
  const s = await scenario("client");
  const canceled = (n: number) =>
    edit(s, (records) =>
      records.splice(
        afterHandshake(records),
        0,
        ...Array.from({ length: n }, () => ({ type: CT.alert, content: Uint8Array.of(1, 90), epoch: 1 })),
      ));
  assertCompleted(await play(s, canceled(MAX_USER_CANCELED)));
  assert.match(
    assertAlert(await play(s, canceled(MAX_USER_CANCELED + 1)), "unexpected_message").message,
    /user_canceled/,
  );
});

Deno.test("limits: RFC 8446 §4.6.3 32 KeyUpdates without application data are accepted, the 33rd is not", async () => {
  for (const name of ["client", "server"]) {
    const s = await scenario(name);
    const keys = await epochs(s, 40);
    const updates = (n: number) =>
      edit(s, (records) => {
        const at = afterHandshake(records);
        for (const r of records.slice(at)) r.epoch += n; // everything after the run moves on n keys
        const run = Array.from({ length: n }, (_, k) => ({
          type: CT.handshake,
          content: encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: 0 })),
          epoch: 1 + k,
        }));
        records.splice(at, 0, ...run);
      });
    assertCompleted(await play(s, updates(32), { epochs: keys }));
    const over = await play(s, updates(33), { epochs: keys });
    assert.match(assertAlert(over, "unexpected_message").message, /more than 32 KeyUpdates/);
  }
});

Deno.test(`limits: ${MAX_POST_HANDSHAKE_MESSAGES} post-handshake messages without application data, not one more`, async () => {
  const s = await scenario("client");
  const tickets = (n: number) =>
    edit(s, (records) => {
      const i = messageIndex(records, HandshakeType.new_session_ticket);
      records.splice(i, 1, ...Array.from({ length: n }, () => ({ ...records[i] })));
    });
  assertCompleted(await play(s, tickets(MAX_POST_HANDSHAKE_MESSAGES)));
  const over = await play(s, tickets(MAX_POST_HANDSHAKE_MESSAGES + 1));
  assert.match(assertAlert(over, "unexpected_message").message, /post-handshake messages/);
});

Deno.test("limits: RFC 8446 §5, §D.4 one ChangeCipherSpec record in a handshake, none after it", async () => {
  for (const name of ["client", "server"]) {
    const s = await scenario(name);
    const ccs = (): ScriptRecord => ({ type: CT.change_cipher_spec, content: Uint8Array.of(1), epoch: -1 });
    const more = (n: number) =>
      edit(s, (records) => {
        const i = records.findIndex((r) => r.type === CT.change_cipher_spec);
        records.splice(i, 0, ...Array.from({ length: n }, ccs));
      });
    assert.equal(s.script.records.filter((r) => r.type === CT.change_cipher_spec).length, 1);
    assertCompleted(await play(s, more(0)));
    const second = assertAlert(await play(s, more(1)), "unexpected_message");
    assert.match(second.message, /change_cipher_spec/);
    const late = edit(s, (records) => records.splice(afterHandshake(records) + 1, 0, ccs()));
    assertAlert(await play(s, late), "unexpected_message");
  }
});

Deno.test("limits: RFC 8446 §4.2 the codecs read as many extensions as fit in a block (16 383), in every block", () => {
  const most = Math.floor(0xffff / 4);
  const block = (n: number) => {
    const out = new Uint8Array(2 + 4 * n);
    out.set([(4 * n) >> 8, (4 * n) & 0xff]);
    for (let k = 0; k < n; k++) out.set([0x20 + (k >> 8), k & 0xff, 0, 0], 2 + 4 * k);
    return out;
  };
  assert.equal(decodeEncryptedExtensions(block(most)).extensions.length, most);
  // The same block inside a Certificate entry.
  const entry = (n: number) =>
    new Writer().opaque(1, new Uint8Array(0)).vector(
      3,
      (list) => list.opaque(3, Uint8Array.of(0x30)).bytes(block(n)),
    )
      .finish();
  assert.equal(decodeCertificate(entry(most)).certificateList[0].extensions.length, most);
  // And the encoders write what the decoders read.
  const many = Array.from({ length: most }, (_, k) => ({ type: 0x2000 + k, data: new Uint8Array(0) }));
  assert.equal(
    decodeEncryptedExtensions(encodeEncryptedExtensions({ extensions: many })).extensions.length,
    most,
  );
  assert.throws(
    () => encodeEncryptedExtensions({ extensions: [...many, { type: 1, data: new Uint8Array(0) }] }),
    RangeError,
  );
});
