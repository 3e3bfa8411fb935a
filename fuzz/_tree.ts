/**
 * Structure-aware views of TLS 1.3 handshake messages and of DER, for mutation: a message body is parsed
 * by a schema (RFC 8446 §4 presentation language) into a tree of integers, opaque bytes and length-prefixed
 * vectors; a mutation edits one node; serializing recomputes every length prefix unless a mutation pinned
 * one (`lengthOverride`), so that most mutants still parse and reach the handshake logic.
 *
 * @module
 */

import { concat, Reader } from "../bytes.ts";
import { ExtensionType, HandshakeType } from "../handshake/constants.ts";

/** A node of a parsed message. `vec` with `lenSize` 0 is a struct (no length prefix). */
export type Node =
  | { kind: "int"; name: string; size: 1 | 2 | 3 | 4; value: number }
  | { kind: "bytes"; name: string; data: Uint8Array; der?: boolean }
  | { kind: "vec"; name: string; lenSize: 0 | 1 | 2 | 3; children: Node[]; lengthOverride?: number };

type Schema =
  | { t: "int"; name: string; size: 1 | 2 | 3 | 4 }
  | { t: "fixed"; name: string; n: number }
  | { t: "opaque"; name: string; lenSize: 1 | 2 | 3; der?: boolean }
  | { t: "list"; name: string; lenSize: 1 | 2 | 3; item: Schema }
  | { t: "struct"; name: string; fields: Schema[] }
  | { t: "optional"; item: Schema }
  | { t: "extensions"; name: string; context: number }
  | { t: "rest"; name: string };

const int = (name: string, size: 1 | 2 | 3 | 4): Schema => ({ t: "int", name, size });
const opaque = (name: string, lenSize: 1 | 2 | 3, der = false): Schema => ({
  t: "opaque",
  name,
  lenSize,
  der,
});
const list = (name: string, lenSize: 1 | 2 | 3, item: Schema): Schema => ({ t: "list", name, lenSize, item });
const struct = (name: string, ...fields: Schema[]): Schema => ({ t: "struct", name, fields });
const extensions = (context: number): Schema => ({ t: "extensions", name: "extensions", context });
const rest = (name: string): Schema => ({ t: "rest", name });

const keyShareEntry = struct("KeyShareEntry", int("group", 2), opaque("key_exchange", 2));

/** Candidate schemas of an extension's data; the first that consumes the data exactly is used. */
function extensionSchemas(context: number, type: number): Schema[] {
  const ch = context === HandshakeType.client_hello;
  switch (type) {
    case ExtensionType.server_name:
      return [list("server_name_list", 2, struct("ServerName", int("name_type", 1), opaque("host_name", 2)))];
    case ExtensionType.supported_groups:
      return [list("named_group_list", 2, int("NamedGroup", 2))];
    case ExtensionType.signature_algorithms:
    case ExtensionType.signature_algorithms_cert:
      return [list("supported_signature_algorithms", 2, int("SignatureScheme", 2))];
    case ExtensionType.application_layer_protocol_negotiation:
      return [list("protocol_name_list", 2, opaque("ProtocolName", 1))];
    case ExtensionType.supported_versions:
      return ch ? [list("versions", 1, int("ProtocolVersion", 2))] : [int("selected_version", 2)];
    case ExtensionType.cookie:
      return [opaque("cookie", 2)];
    case ExtensionType.psk_key_exchange_modes:
      return [list("ke_modes", 1, int("PskKeyExchangeMode", 1))];
    case ExtensionType.key_share:
      return ch ? [list("client_shares", 2, keyShareEntry)] : [keyShareEntry, int("selected_group", 2)];
    case ExtensionType.certificate_authorities:
      return [list("authorities", 2, opaque("DistinguishedName", 2, true))];
    case ExtensionType.pre_shared_key:
      return ch
        ? [struct(
          "OfferedPsks",
          list(
            "identities",
            2,
            struct("PskIdentity", opaque("identity", 2), int("obfuscated_ticket_age", 4)),
          ),
          list("binders", 2, opaque("PskBinderEntry", 1)),
        )]
        : [int("selected_identity", 2)];
    case ExtensionType.early_data:
      return context === HandshakeType.new_session_ticket ? [int("max_early_data_size", 4)] : [];
    case ExtensionType.ec_point_formats:
      return [list("ec_point_format_list", 1, int("ECPointFormat", 1))];
    case 0xff01: // renegotiation_info (RFC 5746 §3.2)
      return [opaque("renegotiated_connection", 1)];
    default:
      return [];
  }
}

/** TLS 1.2 shapes of message bodies (RFC 5246 §7.4, RFC 8422 §5.4), tried after the TLS 1.3 ones. */
function tls12Schema(type: number): Schema | undefined {
  switch (type) {
    case HandshakeType.hello_request:
    case HandshakeType.server_hello_done:
      return struct("Empty");
    case HandshakeType.certificate:
      return struct("Certificate12", list("certificate_list", 3, opaque("ASN.1Cert", 3, true)));
    case HandshakeType.server_key_exchange:
      return struct(
        "ServerKeyExchange",
        int("curve_type", 1),
        int("namedcurve", 2),
        opaque("public", 1),
        int("algorithm", 2),
        opaque("signature", 2),
      );
    case HandshakeType.certificate_request:
      return struct(
        "CertificateRequest12",
        list("certificate_types", 1, int("ClientCertificateType", 1)),
        list("supported_signature_algorithms", 2, int("SignatureAndHashAlgorithm", 2)),
        list("certificate_authorities", 2, opaque("DistinguishedName", 2, true)),
      );
    case HandshakeType.client_key_exchange:
      return struct("ClientKeyExchange", opaque("ecdh_Yc", 1));
    case HandshakeType.new_session_ticket:
      return struct("NewSessionTicket12", int("ticket_lifetime_hint", 4), opaque("ticket", 2));
    default:
      return undefined;
  }
}

/** The schema of a handshake message body, by msg_type; undefined for types without one. */
function messageSchema(type: number): Schema | undefined {
  switch (type) {
    case HandshakeType.client_hello:
      return struct(
        "ClientHello",
        int("legacy_version", 2),
        { t: "fixed", name: "random", n: 32 },
        opaque("legacy_session_id", 1),
        list("cipher_suites", 2, int("CipherSuite", 2)),
        opaque("legacy_compression_methods", 1),
        { t: "optional", item: extensions(type) },
      );
    case HandshakeType.server_hello:
      return struct(
        "ServerHello",
        int("legacy_version", 2),
        { t: "fixed", name: "random", n: 32 },
        opaque("legacy_session_id_echo", 1),
        int("cipher_suite", 2),
        int("legacy_compression_method", 1),
        { t: "optional", item: extensions(type) },
      );
    case HandshakeType.encrypted_extensions:
      return struct("EncryptedExtensions", extensions(type));
    case HandshakeType.certificate_request:
      return struct("CertificateRequest", opaque("certificate_request_context", 1), extensions(type));
    case HandshakeType.certificate:
      return struct(
        "Certificate",
        opaque("certificate_request_context", 1),
        list(
          "certificate_list",
          3,
          struct("CertificateEntry", opaque("cert_data", 3, true), extensions(HandshakeType.certificate)),
        ),
      );
    case HandshakeType.certificate_verify:
      return struct("CertificateVerify", int("algorithm", 2), opaque("signature", 2));
    case HandshakeType.finished:
      return struct("Finished", rest("verify_data"));
    case HandshakeType.new_session_ticket:
      return struct(
        "NewSessionTicket",
        int("ticket_lifetime", 4),
        int("ticket_age_add", 4),
        opaque("ticket_nonce", 1),
        opaque("ticket", 2),
        extensions(type),
      );
    case HandshakeType.key_update:
      return struct("KeyUpdate", int("request_update", 1));
    default:
      return undefined;
  }
}

function readInt(r: Reader, size: 1 | 2 | 3 | 4, name: string): number {
  return size === 1 ? r.u8(name) : size === 2 ? r.u16(name) : size === 3 ? r.u24(name) : r.u32(name);
}

function parseWith(schema: Schema, r: Reader): Node | undefined {
  switch (schema.t) {
    case "int":
      return {
        kind: "int",
        name: schema.name,
        size: schema.size,
        value: readInt(r, schema.size, schema.name),
      };
    case "fixed":
      return { kind: "bytes", name: schema.name, data: r.bytes(schema.n, schema.name).slice() };
    case "rest":
      return { kind: "bytes", name: schema.name, data: r.rest().slice() };
    case "opaque":
      return {
        kind: "vec",
        name: schema.name,
        lenSize: schema.lenSize,
        children: [{
          kind: "bytes",
          name: schema.name,
          data: r.vector(schema.lenSize, schema.name).slice(),
          der: schema.der,
        }],
      };
    case "list": {
      const inner = new Reader(r.vector(schema.lenSize, schema.name));
      const children: Node[] = [];
      while (inner.remaining > 0) children.push(parseWith(schema.item, inner)!);
      return { kind: "vec", name: schema.name, lenSize: schema.lenSize, children };
    }
    case "struct": {
      const children: Node[] = [];
      for (const field of schema.fields) {
        const node = parseWith(field, r);
        if (node) children.push(node);
      }
      return { kind: "vec", name: schema.name, lenSize: 0, children };
    }
    case "optional":
      return r.remaining > 0 ? parseWith(schema.item, r) : undefined;
    case "extensions": {
      const inner = new Reader(r.vector(2, "extensions"));
      const children: Node[] = [];
      while (inner.remaining > 0) {
        const type = inner.u16("extension_type");
        const data = inner.vector(2, "extension_data").slice();
        children.push(extensionNode(schema.context, type, data));
      }
      return { kind: "vec", name: "extensions", lenSize: 2, children };
    }
  }
}

/** An Extension node: its type and its data, parsed by the data's schema when one fits. */
export function extensionNode(context: number, type: number, data: Uint8Array): Node {
  let parsed: Node = { kind: "bytes", name: "extension_data", data };
  for (const schema of extensionSchemas(context, type)) {
    try {
      const r = new Reader(data);
      const node = parseWith(schema, r);
      if (node && r.remaining === 0) {
        parsed = node;
        break;
      }
    } catch {
      // try the next candidate
    }
  }
  return {
    kind: "vec",
    name: "Extension",
    lenSize: 0,
    children: [
      { kind: "int", name: "extension_type", size: 2, value: type },
      { kind: "vec", name: "extension_data", lenSize: 2, children: [parsed] },
    ],
  };
}

/** Parses a handshake message body of msg_type `type`; a body that does not fit its schema is one `bytes` node. */
export function parseBody(type: number, body: Uint8Array): Node {
  for (const schema of [messageSchema(type), tls12Schema(type)]) {
    if (!schema) continue;
    try {
      const r = new Reader(body);
      const node = parseWith(schema, r);
      if (node && r.remaining === 0) return node;
    } catch {
      // not in this shape: the next one, or opaque bytes
    }
  }
  return { kind: "bytes", name: "body", data: body.slice() };
}

function lengthPrefix(size: number, n: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (n >>> (8 * (size - 1 - i))) & 0xff;
  return out;
}

/** The bytes of a tree; a vector's length prefix is its contents' length unless a mutation pinned it. */
export function serialize(node: Node): Uint8Array {
  switch (node.kind) {
    case "int":
      return lengthPrefix(node.size, node.value >>> 0);
    case "bytes":
      return node.data;
    case "vec": {
      const body = concat(...node.children.map(serialize));
      if (node.lenSize === 0) return body;
      return concat(lengthPrefix(node.lenSize, node.lengthOverride ?? body.length), body);
    }
  }
}

/** Every node of a tree with its parent (undefined for the root), depth first. */
export function walk(root: Node): { node: Node; parent: (Node & { kind: "vec" }) | undefined }[] {
  const out: { node: Node; parent: (Node & { kind: "vec" }) | undefined }[] = [];
  const visit = (node: Node, parent: (Node & { kind: "vec" }) | undefined) => {
    out.push({ node, parent });
    if (node.kind === "vec") { for (const child of node.children) visit(child, node); }
  };
  visit(root, undefined);
  return out;
}

/** A deep copy of a tree. */
export function clone(node: Node): Node {
  switch (node.kind) {
    case "int":
      return { ...node };
    case "bytes":
      return { ...node, data: node.data.slice() };
    case "vec":
      return { ...node, children: node.children.map(clone) };
  }
}

// ---------------------------------------------------------------------------------------------------------
// DER (X.690) as a tree of TLVs, for mutating certificates

/** One DER TLV: a constructed one has children, a primitive one a value. */
export interface Tlv {
  tag: number;
  constructed: boolean;
  children: Tlv[];
  value: Uint8Array;
  /** Encoded length bytes to use instead of the real length (a mutation). */
  lengthBytes?: Uint8Array;
}

/** Parses DER into TLVs (single-byte tags, definite lengths); undefined when the input is not such DER. */
export function parseDer(bytes: Uint8Array, depth = 0): Tlv[] | undefined {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length || depth > 32) return undefined;
    const tag = bytes[i++];
    if ((tag & 0x1f) === 0x1f) return undefined;
    let length = bytes[i++];
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0 || n > 3 || i + n > bytes.length) return undefined;
      length = 0;
      for (let k = 0; k < n; k++) length = length * 256 + bytes[i++];
    }
    if (i + length > bytes.length) return undefined;
    const value = bytes.subarray(i, i + length);
    i += length;
    const constructed = (tag & 0x20) !== 0;
    const children = constructed ? parseDer(value, depth + 1) : [];
    if (!children) return undefined;
    out.push({ tag, constructed, children, value: constructed ? new Uint8Array(0) : value.slice() });
  }
  return out;
}

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** The DER bytes of TLVs, lengths recomputed unless pinned by `lengthBytes`. */
export function serializeDer(tlvs: readonly Tlv[]): Uint8Array {
  return concat(
    ...tlvs.map((t) => {
      const value = t.constructed ? serializeDer(t.children) : t.value;
      return concat(Uint8Array.of(t.tag), t.lengthBytes ?? derLength(value.length), value);
    }),
  );
}

/** Every TLV with its sibling list, depth first. */
export function walkDer(tlvs: Tlv[]): { tlv: Tlv; siblings: Tlv[] }[] {
  const out: { tlv: Tlv; siblings: Tlv[] }[] = [];
  for (const tlv of tlvs) {
    out.push({ tlv, siblings: tlvs });
    if (tlv.constructed) out.push(...walkDer(tlv.children));
  }
  return out;
}
