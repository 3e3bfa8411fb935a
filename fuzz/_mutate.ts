/**
 * Mutation operators of the fuzzer, from the most structured to the least:
 *
 * - handshake messages, through their parsed tree (`_tree.ts`): one integer, byte string, vector or extension
 *   edited with the lengths around it fixed up, or a length pinned to a lie; certificates through their DER
 *   tree; message type and length header; messages dropped, duplicated, swapped, or injected (KeyUpdate,
 *   NewSessionTicket, a second ClientHello, Finished, unknown types…);
 * - records of the script: dropped, duplicated, reordered, split (also into zero-length fragments), merged,
 *   re-typed, moved to another key epoch or into the clear, padded, over-long, with a lying header length or
 *   version, inserted (ChangeCipherSpec, alerts, empty records), or repeated as a flood;
 * - bytes of the protected stream: bit flips, overwrites, insertions, deletions, duplicated ranges, truncation
 *   (then the transport ends), and delivery in random chunks down to one byte per `receive()`;
 * - random bytes and random records from scratch.
 *
 * Every operator draws from the case's {@link Rng} only, so a case is reproduced from its seed.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import { ExtensionType, HandshakeType } from "../handshake/constants.ts";
import { encodeHandshake, encodeKeyUpdate, encodeNewSessionTicket } from "../handshake/messages.ts";
import {
  cloneScript,
  CT,
  handshakeBytes,
  type Scenario,
  type Script,
  type ScriptRecord,
  serializeScript,
} from "./_harness.ts";
import type { Rng } from "./_rng.ts";
import {
  clone,
  extensionNode,
  type Node,
  parseBody,
  parseDer,
  serialize,
  serializeDer,
  walk,
  walkDer,
} from "./_tree.ts";

/** A generated case: what to deliver, whether the transport then ends, and what was done. */
export interface FuzzInput {
  readonly deliveries: Uint8Array[];
  readonly closeAtEnd: boolean;
  readonly description: string[];
  /** The peer's handshake messages as sent, unless raw bytes were edited (see `RunOptions`). */
  readonly handshakeBytes?: Uint8Array;
}

const U16_VALUES = [
  0x0000,
  0x0001,
  0x0300,
  0x0301,
  0x0302,
  0x0303,
  0x0304,
  0x7f1c,
  0x1301,
  0x1302,
  0x1303,
  0x1304,
  0x1305,
  0x00ff,
  0x001d,
  0x0017,
  0x0018,
  0x0019,
  0x001e,
  0x11ec,
  0x0100,
  0x0403,
  0x0503,
  0x0804,
  0x0805,
  0x0807,
  0x0808,
  0x0401,
  0x0201,
  0x0203,
  0x0a0a,
  0xfafa,
  0x7fff,
  0x8000,
  0xfffe,
  0xffff,
];
const EXTENSION_TYPES = [...Object.values(ExtensionType), 0x0a0a, 0xff01, 0xfe0d, 0x3374, 0xffff, 60, 99];
const CONTENT_TYPES = [0, 1, 19, 20, 21, 22, 23, 24, 25, 255];

function maxOf(size: number): number {
  return size === 4 ? 0xffffffff : 2 ** (8 * size) - 1;
}

function mutateInt(rng: Rng, node: Node & { kind: "int" }): string {
  const max = maxOf(node.size);
  const before = node.value;
  node.value = rng.weighted<number>([
    [3, rng.int(max + 1)],
    [2, 0],
    [2, max],
    [2, (before + 1) % (max + 1)],
    [2, before === 0 ? max : before - 1],
    [node.size === 2 ? 6 : 1, rng.pick(U16_VALUES) & max],
    [node.size === 1 ? 3 : 0, rng.pick([0, 1, 2, 3, 0x7f, 0x80, 0xfe, 0xff])],
  ]) >>> 0;
  return `${node.name}: ${before} → ${node.value}`;
}

/** Byte-level edits of a byte string (returns the new bytes). */
export function mutateBytes(rng: Rng, data: Uint8Array): { data: Uint8Array; what: string } {
  const d = data.slice();
  const at = rng.int(d.length + 1);
  switch (rng.int(8)) {
    case 0:
      if (d.length === 0) return { data: rng.bytes(rng.range(1, 8)), what: "random bytes" };
      d[at % d.length] ^= 1 << rng.int(8);
      return { data: d, what: `bit flip at ${at % d.length}` };
    case 1:
      if (d.length === 0) return { data: Uint8Array.of(rng.int(256)), what: "one byte" };
      d[at % d.length] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return { data: d, what: `byte set at ${at % d.length}` };
    case 2:
      return { data: d.subarray(0, at), what: `truncated to ${at}` };
    case 3: {
      const extra = rng.bytes(rng.pick([1, 2, 4, rng.range(1, 64)]));
      return {
        data: concat(d.subarray(0, at), extra, d.subarray(at)),
        what: `${extra.length} bytes inserted at ${at}`,
      };
    }
    case 4:
      return { data: new Uint8Array(0), what: "emptied" };
    case 5:
      return { data: rng.bytes(d.length), what: "randomized" };
    case 6:
      return { data: concat(d, d), what: "doubled" };
    default: {
      const end = Math.min(d.length, at + rng.range(1, 16));
      return { data: concat(d.subarray(0, at), d.subarray(end)), what: `bytes ${at}..${end} removed` };
    }
  }
}

/** DER-aware edits of a certificate (or any DER), falling back to byte edits. */
export function mutateDer(rng: Rng, der: Uint8Array): { data: Uint8Array; what: string } {
  const tlvs = parseDer(der);
  if (!tlvs || tlvs.length === 0) return mutateBytes(rng, der);
  const all = walkDer(tlvs);
  const { tlv, siblings } = rng.pick(all);
  let what: string;
  switch (rng.int(9)) {
    case 0: {
      const before = tlv.tag;
      tlv.tag = rng.pick([
        0x01,
        0x02,
        0x03,
        0x04,
        0x05,
        0x06,
        0x0c,
        0x13,
        0x17,
        0x18,
        0x30,
        0x31,
        0xa0,
        0xa3,
        0x80,
        0x1f,
        rng.int(256),
      ]);
      if ((tlv.tag & 0x20) === 0 && tlv.constructed) {
        tlv.value = serializeDer(tlv.children);
        tlv.constructed = false;
      } else if ((tlv.tag & 0x20) !== 0 && !tlv.constructed) {
        tlv.tag &= ~0x20;
      }
      what = `tag 0x${before.toString(16)} → 0x${tlv.tag.toString(16)}`;
      break;
    }
    case 1:
      tlv.lengthBytes = rng.pick([
        Uint8Array.of(0x80),
        Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff),
        Uint8Array.of(0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0),
        Uint8Array.of(0x81, rng.int(256)),
        Uint8Array.of(0x82, 0, rng.int(256)),
        Uint8Array.of(rng.int(0x80)),
        Uint8Array.of(0xff),
      ]);
      what = `length bytes ${tlv.lengthBytes.toHex()}`;
      break;
    case 2:
      if (tlv.constructed && tlv.children.length > 0) {
        tlv.children.splice(rng.int(tlv.children.length), 1);
        what = "child removed";
      } else {
        const m = mutateBytes(rng, tlv.value);
        tlv.value = m.data;
        what = `value ${m.what}`;
      }
      break;
    case 3: {
      const i = siblings.indexOf(tlv);
      siblings.splice(i, 0, structuredClone(tlv));
      what = "TLV duplicated";
      break;
    }
    case 4: {
      const i = siblings.indexOf(tlv);
      siblings.splice(i, 1);
      what = "TLV removed";
      break;
    }
    case 5: {
      // Deep nesting: a parser that recurses per level must not overflow its stack or take long.
      const depth = rng.pick([64, 500, 3000]);
      let nested: Uint8Array = Uint8Array.of(0x05, 0x00);
      for (let i = 0; i < depth; i++) {
        nested = serializeDer([{ tag: 0x30, constructed: false, children: [], value: nested }]);
      }
      tlv.tag = 0x30;
      tlv.constructed = false;
      tlv.value = nested;
      what = `nested ${depth} SEQUENCEs deep`;
      break;
    }
    case 6:
      tlv.tag &= ~0x20;
      tlv.constructed = false;
      tlv.value = rng.pick([
        new Uint8Array(0),
        Uint8Array.of(0),
        Uint8Array.of(0xff),
        Uint8Array.of(0x00, 0x00, 0x01),
        Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
        Uint8Array.of(0x08, 0xff),
        new TextEncoder().encode("991399999999Z"),
        rng.bytes(rng.range(1, 40)),
      ]);
      what = `primitive value ${tlv.value.toHex()}`;
      break;
    case 7: {
      const i = siblings.indexOf(tlv);
      if (i + 1 < siblings.length) {
        [siblings[i], siblings[i + 1]] = [siblings[i + 1], siblings[i]];
        what = "TLVs swapped";
      } else {
        what = "no swap";
      }
      break;
    }
    default: {
      const m = mutateBytes(rng, tlv.constructed ? serializeDer(tlv.children) : tlv.value);
      tlv.tag &= ~0x20;
      tlv.constructed = false;
      tlv.value = m.data;
      what = `contents ${m.what}`;
    }
  }
  return { data: serializeDer(tlvs), what: `DER ${what}` };
}

function randomExtension(rng: Rng, context: number, siblings: readonly Node[]): Node {
  const type = rng.chance(0.3) && siblings.length > 0
    ? ((siblings[rng.int(siblings.length)] as Node & { kind: "vec" }).children[0] as Node & { kind: "int" })
      .value
    : rng.pick(EXTENSION_TYPES);
  const data = rng.pick([
    new Uint8Array(0),
    rng.bytes(rng.range(1, 40)),
    Uint8Array.of(0, 0),
    Uint8Array.of(0),
  ]);
  return extensionNode(context, type, data);
}

function mutateVec(rng: Rng, node: Node & { kind: "vec" }, context: number): string {
  const n = node.children.length;
  if (node.name === "extensions" && rng.chance(0.5)) {
    switch (rng.int(5)) {
      case 0:
        node.children.splice(rng.int(n + 1), 0, randomExtension(rng, context, node.children));
        return "extension added";
      case 1:
        if (n === 0) return "no extension to duplicate";
        node.children.splice(rng.int(n + 1), 0, clone(node.children[rng.int(n)]));
        return "extension duplicated";
      case 2: {
        const count = rng.pick([64 - n, 65 - n, 200]);
        for (let i = 0; i < count; i++) {
          node.children.push(extensionNode(context, 0x1000 + i, new Uint8Array(0)));
        }
        return `${count} unknown extensions added (${n + Math.max(0, count)} in all)`;
      }
      case 3:
        if (n < 2) return "nothing to reorder";
        node.children.unshift(node.children.pop()!);
        return "last extension moved first";
      default:
        if (n === 0) return "no extension to drop";
        node.children.splice(rng.int(n), 1);
        return "extension dropped";
    }
  }
  const ops = [
    "remove",
    "duplicate",
    "swap",
    "clear",
    "insert",
    ...(node.lenSize > 0 ? ["length", "length"] : []),
  ];
  switch (rng.pick(ops)) {
    case "remove":
      if (n === 0) return "nothing to remove";
      node.children.splice(rng.int(n), 1);
      return `${node.name}: element removed`;
    case "duplicate":
      if (n === 0) return "nothing to duplicate";
      node.children.splice(rng.int(n + 1), 0, clone(node.children[rng.int(n)]));
      return `${node.name}: element duplicated`;
    case "swap": {
      if (n < 2) return "nothing to swap";
      const i = rng.int(n - 1);
      [node.children[i], node.children[i + 1]] = [node.children[i + 1], node.children[i]];
      return `${node.name}: elements ${i}, ${i + 1} swapped`;
    }
    case "clear":
      node.children = [];
      return `${node.name}: emptied`;
    case "insert":
      node.children.splice(rng.int(n + 1), 0, {
        kind: "bytes",
        name: "junk",
        data: rng.bytes(rng.range(1, 8)),
      });
      return `${node.name}: junk inserted`;
    default: {
      const actual = serialize({ ...node, lengthOverride: undefined }).length - node.lenSize;
      const max = maxOf(node.lenSize);
      node.lengthOverride = rng.pick([0, actual + 1, Math.max(0, actual - 1), max, rng.int(max + 1)]) & max;
      return `${node.name}: length ${actual} → ${node.lengthOverride}`;
    }
  }
}

/** Mutates a handshake message (header included); returns the new bytes and what was done. */
export function mutateMessage(rng: Rng, raw: Uint8Array): { raw: Uint8Array; what: string } {
  const type = raw[0];
  const body = raw.subarray(4);
  const choice = rng.int(10);
  if (choice === 0) {
    const t = rng.pick([0, 1, 2, 4, 5, 8, 11, 13, 15, 20, 24, 25, 254, 99, rng.int(256)]);
    return { raw: concat(Uint8Array.of(t), raw.subarray(1)), what: `msg_type ${type} → ${t}` };
  }
  if (choice === 1) {
    const n = rng.pick([
      0,
      body.length + 1,
      Math.max(0, body.length - 1),
      0xffffff,
      65536,
      65537,
      rng.int(1 << 24),
    ]);
    return {
      raw: concat(Uint8Array.of(type, n >> 16, (n >> 8) & 0xff, n & 0xff), body),
      what: `length ${body.length} → ${n}`,
    };
  }
  const tree = parseBody(type, body);
  const nodes = walk(tree).map((w) => w.node);
  const node = rng.pick(nodes);
  let what: string;
  switch (node.kind) {
    case "int":
      what = mutateInt(rng, node);
      break;
    case "bytes": {
      const m = node.der && rng.chance(0.7) ? mutateDer(rng, node.data) : mutateBytes(rng, node.data);
      node.data = m.data;
      what = `${node.name}: ${m.what}`;
      break;
    }
    case "vec":
      what = mutateVec(rng, node, type);
      break;
  }
  return { raw: encodeHandshake(type, serialize(tree)), what: `${HANDSHAKE_NAMES[type] ?? type}: ${what}` };
}

const HANDSHAKE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(HandshakeType).map(([k, v]) => [v, k]),
);

/** A message to inject, taken from the script or made up. */
function injectedMessage(rng: Rng, script: Script): Uint8Array {
  const existing = script.records.filter((r) => r.type === CT.handshake && r.content.length >= 4);
  if (existing.length > 0 && rng.chance(0.3)) return rng.pick(existing).content.slice();
  return rng.pick([
    () => encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: rng.int(2) })),
    () => encodeHandshake(HandshakeType.key_update, Uint8Array.of(rng.range(2, 255))),
    () =>
      encodeHandshake(
        HandshakeType.new_session_ticket,
        encodeNewSessionTicket({
          ticketLifetime: rng.pick([0, 7200, 604800, 604801, 0xffffffff]),
          ticketAgeAdd: rng.u32(),
          ticketNonce: rng.bytes(rng.int(4)),
          ticket: rng.bytes(rng.range(1, 64)),
          extensions: rng.chance(0.5)
            ? [{ type: ExtensionType.early_data, data: Uint8Array.of(0, 0, 0x40, 0) }]
            : [],
        }),
      ),
    () => encodeHandshake(HandshakeType.end_of_early_data, new Uint8Array(0)),
    () => encodeHandshake(HandshakeType.finished, rng.bytes(rng.pick([32, 48, 0, 12]))),
    () => encodeHandshake(HandshakeType.certificate, Uint8Array.of(0, 0, 0, 0)),
    () => encodeHandshake(HandshakeType.encrypted_extensions, Uint8Array.of(0, 0)),
    () => encodeHandshake(HandshakeType.certificate_request, Uint8Array.of(0, 0, 8, 0, 13, 0, 4, 0, 2, 8, 7)),
    () => encodeHandshake(HandshakeType.message_hash, rng.bytes(32)),
    () => encodeHandshake(HandshakeType.hello_request, new Uint8Array(0)),
    () => encodeHandshake(rng.int(256), rng.bytes(rng.int(40))),
  ])();
}

function handshakeRecords(script: Script): number[] {
  const out: number[] = [];
  script.records.forEach((r, i) => {
    if (r.type === CT.handshake && r.content.length >= 4) out.push(i);
  });
  return out;
}

/** Splits a record's content into the handshake messages it holds (a trailing partial one included). */
function messagesOf(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < content.length) {
    const n = i + 4 <= content.length ? (content[i + 1] << 16) | (content[i + 2] << 8) | content[i + 3] : 0;
    const end = Math.min(content.length, i + 4 + n);
    out.push(content.subarray(i, end));
    i = end;
  }
  return out;
}

/** One message-level mutation (on a handshake record of the script). */
function mutateHandshake(rng: Rng, script: Script): string {
  const candidates = handshakeRecords(script);
  if (candidates.length === 0) return mutateRecords(rng, script);
  const index = rng.pick(candidates);
  const record = script.records[index];
  const messages = messagesOf(record.content);
  const m = rng.int(messages.length);
  switch (
    rng.weighted<string>([[12, "mutate"], [1, "drop"], [1, "duplicate"], [2, "inject"], [1, "split"], [
      1,
      "merge",
    ]])
  ) {
    case "mutate": {
      const mutated = mutateMessage(rng, messages[m]);
      messages[m] = mutated.raw;
      record.content = concat(...messages);
      return `record ${index}: ${mutated.what}`;
    }
    case "drop":
      script.records.splice(index, 1);
      return `record ${index} (handshake) dropped`;
    case "duplicate":
      script.records.splice(index + 1, 0, { ...record });
      return `record ${index} (handshake) duplicated`;
    case "inject": {
      const message = injectedMessage(rng, script);
      const at = rng.int(script.records.length + 1);
      const near = script.records[Math.min(at, script.records.length - 1)];
      const epoch = rng.chance(0.7) ? near.epoch : rng.range(-1, 2);
      script.records.splice(at, 0, { type: CT.handshake, content: message, epoch });
      return `${HANDSHAKE_NAMES[message[0]] ?? message[0]} injected at ${at} (epoch ${epoch})`;
    }
    case "split": {
      // A message split into two records, the second possibly under the next key (RFC 8446 §5.1 forbids it).
      const cut = rng.range(0, record.content.length);
      const second: ScriptRecord = { ...record, content: record.content.slice(cut) };
      if (rng.chance(0.3)) second.epoch++;
      record.content = record.content.slice(0, cut);
      script.records.splice(index + 1, 0, second);
      return `record ${index} split at ${cut}${second.epoch !== record.epoch ? " across a key change" : ""}`;
    }
    default: {
      const next = script.records[index + 1];
      if (!next) return "nothing to merge";
      record.content = concat(record.content, next.content);
      script.records.splice(index + 1, 1);
      return `records ${index} and ${index + 1} merged`;
    }
  }
}

/** One record-level mutation of the script. */
function mutateRecords(rng: Rng, script: Script): string {
  const records = script.records;
  const i = rng.int(records.length);
  const r = records[i];
  switch (rng.int(14)) {
    case 0:
      records.splice(i, 1);
      return `record ${i} dropped`;
    case 1:
      records.splice(i + 1, 0, { ...r });
      return `record ${i} duplicated`;
    case 2: {
      const j = rng.int(records.length);
      const [moved] = records.splice(i, 1);
      records.splice(j, 0, moved);
      return `record ${i} moved to ${j}`;
    }
    case 3: {
      const before = r.type;
      r.type = rng.pick(CONTENT_TYPES);
      return `record ${i}: content type ${before} → ${r.type}`;
    }
    case 4: {
      const before = r.epoch;
      r.epoch = rng.pick([-1, 0, 1, 2, r.epoch + 1, r.epoch - 1]);
      return `record ${i}: epoch ${before} → ${r.epoch}`;
    }
    case 5: {
      const cut = rng.range(0, r.content.length);
      records.splice(i + 1, 0, { ...r, content: r.content.slice(cut) });
      r.content = r.content.slice(0, cut);
      return `record ${i} split at ${cut}`;
    }
    case 6: {
      const kind = rng.int(9);
      const epoch = rng.chance(0.6) ? r.epoch : rng.range(-1, 2);
      const inserted: ScriptRecord = [
        { type: CT.change_cipher_spec, content: Uint8Array.of(1), epoch: -1 },
        {
          type: CT.change_cipher_spec,
          content: rng.pick([Uint8Array.of(2), Uint8Array.of(1, 1), new Uint8Array(0)]),
          epoch,
        },
        { type: CT.application_data, content: new Uint8Array(0), epoch },
        {
          type: CT.alert,
          content: Uint8Array.of(rng.pick([1, 2, 3]), rng.pick([0, 10, 40, 90, 100, 255])),
          epoch,
        },
        { type: CT.alert, content: Uint8Array.of(1, 90), epoch },
        { type: CT.alert, content: rng.bytes(rng.pick([0, 1, 3])), epoch },
        { type: CT.application_data, content: rng.bytes(rng.range(1, 100)), epoch },
        { type: CT.handshake, content: new Uint8Array(0), epoch },
        { type: rng.pick(CONTENT_TYPES), content: rng.bytes(rng.int(30)), epoch },
      ][kind];
      records.splice(i, 0, inserted);
      return `record inserted at ${i}: type ${inserted.type}, ${inserted.content.length} bytes, epoch ${epoch}`;
    }
    case 7:
      r.padding = rng.pick([1, 255, 16384 - r.content.length, 16385 - r.content.length, 16400]);
      return `record ${i}: padding ${r.padding}`;
    case 8:
      r.version = rng.pick([0x0300, 0x0301, 0x0302, 0x0304, 0x0200, 0x0403, 0xffff, 0x0000]);
      return `record ${i}: version 0x${r.version.toString(16)}`;
    case 9:
      r.outerType = rng.pick(CONTENT_TYPES);
      return `record ${i}: header type ${r.outerType}`;
    case 10:
      r.lengthDelta = rng.pick([1, -1, 5, -5, 300, 20000, -20000]);
      return `record ${i}: header length off by ${r.lengthDelta}`;
    case 11: {
      const n = rng.pick([16385, 16640, 18432]);
      records.splice(i, 0, {
        type: rng.pick([CT.handshake, CT.application_data]),
        content: rng.bytes(n),
        epoch: r.epoch,
      });
      return `record of ${n} bytes inserted at ${i} (epoch ${r.epoch})`;
    }
    case 12: {
      // A flood: one record repeated (empty records, ChangeCipherSpec, warnings, fragments…).
      const n = rng.pick([5, 33, 100, 600]);
      const copies = Array.from({ length: n }, () => ({ ...r }));
      records.splice(i, 0, ...copies);
      return `record ${i} repeated ${n} times`;
    }
    default: {
      const j = i + 1;
      if (j >= records.length) return "nothing to swap";
      [records[i], records[j]] = [records[j], records[i]];
      return `records ${i}, ${j} swapped`;
    }
  }
}

/** Byte-level edits of the protected stream; returns deliveries and whether the transport ends early. */
function mutateStream(
  rng: Rng,
  deliveries: Uint8Array[],
  what: string[],
): { deliveries: Uint8Array[]; truncated: boolean } {
  const stream = concat(...deliveries);
  let bytes = stream;
  let truncated = false;
  const edits = rng.range(1, 3);
  for (let k = 0; k < edits; k++) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(6)) {
      case 0: {
        const n = rng.pick([1, 1, 2, 8]);
        bytes = bytes.slice();
        for (let j = 0; j < n && bytes.length > 0; j++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8);
        what.push(`${n} bit flip(s) in the stream`);
        break;
      }
      case 1:
        if (bytes.length > 0) {
          bytes = bytes.slice();
          bytes[at % bytes.length] = rng.int(256);
          what.push(`stream byte ${at % bytes.length} overwritten`);
        }
        break;
      case 2:
        bytes = bytes.subarray(0, at);
        truncated = true;
        what.push(`stream truncated at ${at} of ${stream.length}`);
        break;
      case 3: {
        const junk = rng.bytes(rng.pick([1, 5, 100]));
        bytes = concat(bytes.subarray(0, at), junk, bytes.subarray(at));
        what.push(`${junk.length} random bytes inserted at ${at}`);
        break;
      }
      case 4: {
        const end = Math.min(bytes.length, at + rng.range(1, 200));
        bytes = concat(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end));
        what.push(`stream bytes ${at}..${end} duplicated`);
        break;
      }
      default: {
        const end = Math.min(bytes.length, at + rng.range(1, 200));
        bytes = concat(bytes.subarray(0, at), bytes.subarray(end));
        what.push(`stream bytes ${at}..${end} deleted`);
      }
    }
  }
  return { deliveries: rechunk(rng, bytes, deliveries, what), truncated };
}

/** Splits a stream into deliveries: as before, at random, or one byte at a time. */
function rechunk(rng: Rng, bytes: Uint8Array, original: readonly Uint8Array[], what: string[]): Uint8Array[] {
  const mode = rng.int(4);
  if (mode === 0 || mode === 1) {
    const out: Uint8Array[] = [];
    let offset = 0;
    for (const d of original) {
      if (offset >= bytes.length) break;
      out.push(bytes.subarray(offset, offset + d.length));
      offset += d.length;
    }
    if (offset < bytes.length) out.push(bytes.subarray(offset));
    return out;
  }
  if (mode === 2) {
    what.push("delivered in random chunks");
    const out: Uint8Array[] = [];
    for (let offset = 0; offset < bytes.length;) {
      const n = rng.pick([1, 2, 5, 17, 100, 1000, 5000]);
      out.push(bytes.subarray(offset, offset + n));
      offset += n;
    }
    return out;
  }
  what.push("delivered one byte at a time");
  const out: Uint8Array[] = Array.from(bytes.subarray(0, 6000), (b) => Uint8Array.of(b));
  if (bytes.length > 6000) out.push(bytes.subarray(6000));
  return out;
}

/** Inputs made from scratch: random bytes, random records, random handshake messages in the clear. */
function fromScratch(rng: Rng, what: string[]): Uint8Array[] {
  switch (rng.int(4)) {
    case 0: {
      const n = rng.pick([1, 4, 5, 6, 100, 3000]);
      what.push(`${n} random bytes`);
      return [rng.bytes(n)];
    }
    case 1: {
      const out: Uint8Array[] = [];
      const n = rng.range(1, 20);
      for (let i = 0; i < n; i++) {
        const content = rng.bytes(rng.pick([0, 1, 2, 17, 40, 300]));
        out.push(
          concat(
            Uint8Array.of(
              rng.pick(CONTENT_TYPES),
              3,
              rng.pick([1, 3]),
              content.length >> 8,
              content.length & 0xff,
            ),
            content,
          ),
        );
      }
      what.push(`${n} random records`);
      return [concat(...out)];
    }
    case 2: {
      const message = encodeHandshake(
        rng.pick([1, 2, 4, 8, 11, 13, 15, 20, 24, rng.int(256)]),
        rng.bytes(rng.int(200)),
      );
      what.push(`plaintext handshake message of type ${message[0]} with a random body`);
      return [concat(Uint8Array.of(22, 3, 1, message.length >> 8, message.length & 0xff), message)];
    }
    default: {
      what.push("a partial record header, then nothing");
      return [Uint8Array.of(22, 3, 1, 0).subarray(0, rng.range(1, 4))];
    }
  }
}

/** Makes one fuzz input for `scenario` from `rng`. */
export async function makeInput(rng: Rng, scenario: Scenario): Promise<FuzzInput> {
  const what: string[] = [];
  const kind = rng.weighted<string>([[45, "message"], [25, "record"], [22, "stream"], [3, "scratch"], [
    5,
    "mixed",
  ]]);
  if (kind === "scratch") {
    return { deliveries: fromScratch(rng, what), closeAtEnd: rng.chance(0.5), description: what };
  }
  const script = cloneScript(scenario.script);
  const rounds = rng.weighted<number>([[6, 1], [3, 2], [1, 4]]);
  for (let k = 0; k < rounds; k++) {
    if (kind === "message" || (kind === "mixed" && rng.chance(0.5))) what.push(mutateHandshake(rng, script));
    else if (kind === "record" || kind === "mixed") what.push(mutateRecords(rng, script));
  }
  let deliveries = await serializeScript(script, scenario.epochs);
  let truncated = false;
  let edited = false;
  if (kind === "stream" || (kind !== "message" && rng.chance(0.2))) {
    ({ deliveries, truncated } = mutateStream(rng, deliveries, what));
    edited = true;
  } else if (rng.chance(0.15)) {
    deliveries = rechunk(rng, concat(...deliveries), deliveries, what);
  }
  return {
    deliveries,
    closeAtEnd: truncated || rng.chance(0.3),
    description: what,
    handshakeBytes: edited ? undefined : handshakeBytes(script, scenario.epochs),
  };
}
