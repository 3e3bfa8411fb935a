/**
 * Strictness of the record layer and the state machines against a scripted peer (`tests/_scripted.ts`):
 * data after close_notify is ignored (RFC 8446 §6.1), a handshake message may not straddle a key change on
 * either side (§5.1), over-long records are record_overflow (§5.1, §5.2, §5.4), malformed messages are
 * decode_error while well-formed wrong values are illegal_parameter and broken protection is bad_record_mac
 * (§6.2), and a message the current state does not expect is unexpected_message.
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import type { PublicKeyInfo } from "../crypto/provider.ts";
import type { TlsAlertError } from "../errors.ts";
import { checkSchemeFitsKey } from "../handshake/checks.ts";
import { HandshakeType, SCHEMES, SignatureScheme } from "../handshake/constants.ts";
import { encodeHandshake, encodeKeyUpdate } from "../handshake/messages.ts";
import {
  afterHandshake,
  assertAlert,
  assertCompleted,
  CT,
  edit,
  messageIndex,
  play,
  scenario,
  type ScriptRecord,
} from "./_scripted.ts";

const decoder = new TextDecoder();
const keyUpdate = encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: 0 }));

for (const name of ["client", "server"]) {
  Deno.test(`strictness (${name}): RFC 8446 §6.1 records after close_notify are ignored`, async () => {
    const s = await scenario(name);
    const garbage = (epoch: number): ScriptRecord[] => [
      { type: CT.application_data, content: new TextEncoder().encode("late data"), epoch },
      { type: CT.handshake, content: Uint8Array.of(99, 0, 0, 1, 0), epoch },
      { type: CT.alert, content: Uint8Array.of(2, 40), epoch },
      { type: 42, content: Uint8Array.of(1, 2, 3), epoch: -1 },
    ];
    const script = edit(s, (records) => records.push(...garbage(records.at(-1)!.epoch)));
    for (const together of [false, true]) {
      const o = await play(s, script, { together });
      assertCompleted(o);
      const text = decoder.decode(o.plaintext);
      assert.ok(!text.includes("after close_notify") && !text.includes("late data"), text);
    }
  });
}

Deno.test("strictness (server): RFC 8446 §5.1 a handshake message may not straddle the server's key changes", async () => {
  const s = await scenario("server");
  // The ClientHello record carries the first byte of the next message: the read key changes after the hello.
  const afterHello = edit(s, (records) => {
    const i = messageIndex(records, HandshakeType.client_hello);
    records[i] = {
      ...records[i],
      content: concat(records[i].content, Uint8Array.of(HandshakeType.finished)),
    };
  });
  assert.match(
    assertAlert(await play(s, afterHello), "unexpected_message").message,
    /split across a key change/,
  );
  // The client Finished record carries a partial KeyUpdate: the read key changes after the Finished.
  const afterFinished = edit(s, (records) => {
    const i = messageIndex(records, HandshakeType.finished);
    records[i] = { ...records[i], content: concat(records[i].content, keyUpdate.subarray(0, 2)) };
  });
  assert.match(
    assertAlert(await play(s, afterFinished), "unexpected_message").message,
    /split across a key change/,
  );
});

for (const name of ["client", "server"]) {
  Deno.test(`strictness (${name}): RFC 8446 §5.1 a KeyUpdate sharing its record with a partial message is refused`, async () => {
    const s = await scenario(name);
    const script = edit(s, (records) => {
      const i = messageIndex(records, HandshakeType.key_update, afterHandshake(records));
      records[i] = { ...records[i], content: concat(records[i].content, keyUpdate.subarray(0, 3)) };
    });
    assert.match(
      assertAlert(await play(s, script), "unexpected_message").message,
      /split across a key change/,
    );
  });
}

Deno.test("strictness: RFC 8446 §5.1 a plaintext record over 2^14 bytes is record_overflow", async () => {
  const s = await scenario("server");
  const sized = (n: number) =>
    edit(s, (records) => {
      const content = new Uint8Array(n);
      content.set([HandshakeType.client_hello, 0, 0xff, 0xff]);
      records.splice(0, records.length, { type: CT.handshake, content, epoch: -1 });
    });
  assertAlert(await play(s, sized(16385)), "record_overflow");
  // 2^14 bytes is a legal record: the engine waits for the rest of the 64 KiB message.
  const legal = await play(s, sized(16384));
  assert.equal(legal.error, undefined);
});

Deno.test("strictness: RFC 8446 §5.2, §5.4 protected records over 2^14 + 256, or padded past 2^14 + 1, are record_overflow", async () => {
  const s = await scenario("client");
  const padded = (padding: number) =>
    edit(s, (records) => {
      const i = afterHandshake(records) + 1; // the first application data record
      assert.equal(records[i].type, CT.application_data);
      records[i] = { ...records[i], padding: padding - records[i].content.length };
    });
  // content + type + padding = 2^14 + 1 is the most a record may hold.
  assertCompleted(await play(s, padded(16384)));
  assertAlert(await play(s, padded(16385)), "record_overflow");
  // A header announcing more than 2^14 + 256 bytes is refused before the body is read.
  const header = edit(s, (records) => {
    records.splice(afterHandshake(records), 0, {
      type: CT.application_data,
      content: new Uint8Array(0),
      epoch: 1,
      lengthDelta: 16641 - 17,
    });
  });
  assertAlert(await play(s, header), "record_overflow");
});

Deno.test("strictness: RFC 8446 §6.2 decode_error for malformed, illegal_parameter for wrong values, bad_record_mac for broken protection", async () => {
  const s = await scenario("client");
  const sh = (f: (content: Uint8Array) => Uint8Array) =>
    edit(s, (records) => {
      const i = messageIndex(records, HandshakeType.server_hello);
      records[i] = { ...records[i], content: f(records[i].content) };
    });
  // A ServerHello one byte short (its header adjusted): a field runs past the end.
  const truncated = sh((c) => {
    const body = c.subarray(4, c.length - 1);
    return encodeHandshake(HandshakeType.server_hello, body);
  });
  assertAlert(await play(s, truncated), "decode_error");
  // A well-formed ServerHello choosing a suite that was not offered.
  const suite = sh((c) => {
    const copy = c.slice();
    const sessionIdLength = copy[4 + 2 + 32];
    copy[4 + 2 + 32 + 1 + sessionIdLength + 1] = 0x05; // cipher_suite 0x1305, which was not offered
    return copy;
  });
  assertAlert(await play(s, suite), "illegal_parameter");
  // A bit flipped inside a protected record.
  const script = edit(s, () => {});
  const ee = messageIndex(script.records, HandshakeType.encrypted_extensions);
  const flipped = await play(s, script, {
    tamper: (deliveries) => {
      const d = deliveries[ee].slice();
      d[d.length - 1] ^= 1;
      deliveries[ee] = d;
      return deliveries;
    },
  });
  assertAlert(flipped, "bad_record_mac");
});

Deno.test("strictness: RFC 8446 §6.2 every alert but close_notify and user_canceled ends the connection", async () => {
  const s = await scenario("client");
  for (
    const [level, description, expected] of [[2, 40, "handshake_failure"], [1, 40, "handshake_failure"], [
      2,
      255,
      "unknown_alert_255",
    ]] as const
  ) {
    const script = edit(
      s,
      (records) =>
        records.splice(afterHandshake(records), 0, {
          type: CT.alert,
          content: Uint8Array.of(level, description),
          epoch: 1,
        }),
    );
    assertAlert(await play(s, script), expected, "remote");
  }
  const malformed = edit(
    s,
    (records) =>
      records.splice(afterHandshake(records), 0, {
        type: CT.alert,
        content: Uint8Array.of(2, 40, 0),
        epoch: 1,
      }),
  );
  assertAlert(await play(s, malformed), "decode_error");
});

const OTHER_TYPES = [
  HandshakeType.client_hello,
  HandshakeType.server_hello,
  HandshakeType.new_session_ticket,
  HandshakeType.end_of_early_data,
  HandshakeType.encrypted_extensions,
  HandshakeType.certificate,
  HandshakeType.certificate_request,
  HandshakeType.certificate_verify,
  HandshakeType.finished,
  HandshakeType.key_update,
  HandshakeType.message_hash,
  99,
];

Deno.test("strictness: a handshake message the state does not expect is unexpected_message", async () => {
  for (
    const [name, first] of [["client", HandshakeType.server_hello], [
      "server",
      HandshakeType.client_hello,
    ]] as const
  ) {
    const s = await scenario(name);
    for (const type of OTHER_TYPES.filter((t) => t !== first)) {
      // In place of the first message (in the clear), a well-framed message of another type.
      const script = edit(s, (records) => {
        const i = messageIndex(records, first);
        records[i] = { ...records[i], content: encodeHandshake(type, new Uint8Array(8)) };
      });
      assertAlert(await play(s, script), "unexpected_message");
    }
  }
  // After the handshake: a client accepts only NewSessionTicket and KeyUpdate; a server only KeyUpdate.
  for (const [name, allowed] of [["client", [4, 24]], ["server", [24]]] as const) {
    const s = await scenario(name);
    for (const type of OTHER_TYPES.filter((t) => !(allowed as readonly number[]).includes(t))) {
      const script = edit(
        s,
        (records) =>
          records.splice(afterHandshake(records), 0, {
            type: CT.handshake,
            content: encodeHandshake(type, new Uint8Array(8)),
            epoch: 1,
          }),
      );
      assertAlert(await play(s, script), "unexpected_message");
    }
  }
});

Deno.test("strictness: Finished, PSK binders and cookie MACs are compared in constant time", async () => {
  // Each comparison of a secret-derived value goes through constantTimeEqual (bytes.ts), never equal().
  const sites: [string, RegExp][] = [
    ["handshake/client13_server_auth.ts", /constantTimeEqual\(finished\.verifyData, expected\)/],
    ["handshake/server13_client_auth.ts", /constantTimeEqual\(finished\.verifyData, expected\)/],
    ["handshake/finish12.ts", /constantTimeEqual\(received, expected\)/],
    ["handshake/server13_psk.ts", /constantTimeEqual\(ticket\.offered\.binders\[ticket\.index\], expected\)/],
    ["handshake/server13_cookie.ts", /constantTimeEqual\(tag, await mac\(/],
  ];
  for (const [file, pattern] of sites) {
    const source = await Deno.readTextFile(new URL(`../${file}`, import.meta.url));
    assert.match(source, pattern, file);
    assert.doesNotMatch(source, /[^A-Za-z]equal\((finished\.verifyData|received|tag|[^)]*binders)/, file);
  }
});

Deno.test("strictness: RFC 8446 §5.4 an empty alert record is unexpected_message, in the clear or protected; §6 a 1- or 3-byte one decode_error", async () => {
  for (const name of ["client", "server"]) {
    const s = await scenario(name);
    for (const epoch of [-1, 0, 1]) {
      const alert = (content: Uint8Array) =>
        edit(s, (records) => {
          const i = records.findIndex((r) => r.epoch === epoch);
          records.splice(i, 0, { type: CT.alert, content, epoch });
        });
      const empty = assertAlert(await play(s, alert(new Uint8Array(0))), "unexpected_message");
      assert.match(empty.message, /zero-length alert/, `${name}, epoch ${epoch}`);
      assertAlert(await play(s, alert(Uint8Array.of(2))), "decode_error");
      assertAlert(await play(s, alert(Uint8Array.of(2, 40, 0))), "decode_error");
    }
  }
});

Deno.test("strictness: RFC 8446 §4.2.3 a CertificateVerify scheme for another curve or key type is illegal_parameter, before verifying", () => {
  const key = (keyType: PublicKeyInfo["keyType"], curve?: PublicKeyInfo["curve"]): PublicKeyInfo => ({
    spki: new Uint8Array(0),
    keyType,
    curve,
  });
  const scheme = (code: number) => SCHEMES[code];
  const fits = (code: number, k: PublicKeyInfo) => {
    try {
      checkSchemeFitsKey(scheme(code), k, "client");
      return true;
    } catch (e) {
      assert.equal((e as TlsAlertError).alert, "illegal_parameter");
      assert.match((e as TlsAlertError).message, /does not fit/);
      return false;
    }
  };
  const S = SignatureScheme;
  assert.ok(fits(S.ecdsa_secp256r1_sha256, key("EC", "P-256")));
  assert.ok(!fits(S.ecdsa_secp384r1_sha384, key("EC", "P-256")), "a P-384 scheme with a P-256 key");
  assert.ok(!fits(S.ecdsa_secp521r1_sha512, key("EC", "P-384")), "a P-521 scheme with a P-384 key");
  assert.ok(!fits(S.ecdsa_secp256r1_sha256, key("Ed25519")));
  assert.ok(!fits(S.rsa_pss_pss_sha256, key("RSA")), "rsa_pss_pss needs an RSASSA-PSS key");
  assert.ok(fits(S.rsa_pss_rsae_sha256, key("RSA")));
  assert.ok(fits(S.ed25519, key("Ed25519")));
});
