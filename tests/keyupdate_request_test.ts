/**
 * RFC 8446 §4.6.3: "If an implementation receives any other value [of request_update than 0 or 1], it MUST
 * terminate the connection with an "illegal_parameter" alert." A KeyUpdate body that is not one byte is
 * still decode_error. Both roles, against a scripted peer (`tests/_scripted.ts`).
 */
import { HandshakeType } from "../handshake/constants.ts";
import { afterHandshake, assertAlert, edit, messageIndex, play, scenario } from "./_scripted.ts";

for (const name of ["client", "server"]) {
  Deno.test(`RFC 8446 §4.6.3 (${name}): KeyUpdate.request_update 2, 3, 127, 128, 254, 255 is illegal_parameter`, async () => {
    const s = await scenario(name);
    // The edges and both halves of the byte (tlsfuzzer's test-tls13-keyupdate.py tries every value).
    for (const value of [2, 3, 127, 128, 254, 255]) {
      const script = edit(s, (records) => {
        const i = messageIndex(records, HandshakeType.key_update, afterHandshake(records));
        records[i] = { ...records[i], content: Uint8Array.of(HandshakeType.key_update, 0, 0, 1, value) };
      });
      assertAlert(await play(s, script), "illegal_parameter");
    }
  });

  Deno.test(`RFC 8446 §4.6.3 (${name}): a KeyUpdate body of other than one byte is decode_error`, async () => {
    const s = await scenario(name);
    for (const body of [[], [0, 0], [1, 7]]) {
      const script = edit(s, (records) => {
        const i = messageIndex(records, HandshakeType.key_update, afterHandshake(records));
        records[i] = {
          ...records[i],
          content: Uint8Array.of(HandshakeType.key_update, 0, 0, body.length, ...body),
        };
      });
      assertAlert(await play(s, script), "decode_error");
    }
  });
}
