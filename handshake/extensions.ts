/**
 * Codecs for the bodies of the TLS 1.3 extensions this library speaks (RFC 8446 §4.2, RFC 6066 §3,
 * RFC 7301). Each `decodeX(data)` takes the extension_data and rejects truncation, trailing bytes, zero-length
 * vectors the RFC forbids, and duplicates inside lists where the RFC forbids them, with a `DecodeError`.
 * Each `encodeX(value)` returns the extension_data, and throws a `RangeError` for a value its decoder would
 * reject, so that what we send always parses.
 *
 * @module
 */

import { DecodeError, Reader, Writer } from "../bytes.ts";

/** One KeyShareEntry (RFC 8446 §4.2.8). */
export interface KeyShareEntry {
  /** The NamedGroup. */
  readonly group: number;
  /** `opaque key_exchange<1..2^16-1>`: the public key (or KEM ciphertext) for `group`. */
  readonly keyExchange: Uint8Array;
}

/** NameType host_name (RFC 6066 §3). */
const HOST_NAME = 0;

// ---------------------------------------------------------------------------------------------------------
// Shared helpers

/** Throws a `RangeError` unless `v` is an integer in 0..max (used by encoders). */
function checkUint(field: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${field}: ${v} is not in 0..${max}`);
  return v;
}

/** Throws a `RangeError` unless `n` is in min..max (used by encoders, mirroring `Reader.vector`). */
function checkLength(field: string, n: number, min: number, max: number): void {
  if (n < min || n > max) throw new RangeError(`${field}: length ${n} outside ${min}..${max}`);
}

/** Reads a whole extension body with `body`, then requires that nothing is left. */
function decodeAll<T>(data: Uint8Array, field: string, body: (r: Reader) => T): T {
  const r = new Reader(data);
  const value = body(r);
  r.end(field);
  return value;
}

/** Reads a vector of uint16 values whose byte length is bounded by min..max and must be even. */
function readU16List(r: Reader, lengthBytes: 1 | 2, field: string, min: number, max: number): number[] {
  const bytes = r.vector(lengthBytes, field, min, max);
  if (bytes.length % 2 !== 0) throw new DecodeError(`${field}: odd length ${bytes.length}`);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) out.push((bytes[i] << 8) | bytes[i + 1]);
  return out;
}

/** Writes a vector of uint16 values; its byte length must lie in min..max. */
function u16List(
  values: readonly number[],
  lengthBytes: 1 | 2,
  field: string,
  min: number,
  max: number,
): Uint8Array {
  checkLength(field, values.length * 2, min, max);
  const w = new Writer(values.length * 2 + lengthBytes);
  w.vector(lengthBytes, (v) => {
    for (const x of values) v.u16(checkUint(field, x, 0xffff));
  });
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------
// server_name (RFC 6066 §3)

/**
 * A HostName we accept: 1..2^16-1 bytes of printable ASCII without spaces (0x21..0x7e), no trailing dot
 * ("represented as a byte string using ASCII encoding without a trailing dot", RFC 6066 §3). Returns a
 * reason when `bytes` is not acceptable.
 */
function hostNameProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return "empty";
  if (bytes.length > 0xffff) return `length ${bytes.length} over 65535`;
  for (const b of bytes) {
    if (b < 0x21 || b > 0x7e) return `byte 0x${b.toString(16).padStart(2, "0")} is not printable ASCII`;
  }
  if (bytes[bytes.length - 1] === 0x2e) return "trailing dot";
  return undefined;
}

/**
 * server_name in the ClientHello: a list with one host_name (RFC 6066 §3).
 *
 * Throws a `RangeError` for a name that {@link decodeServerName} would reject (empty, not printable ASCII,
 * or ending in a dot).
 */
export function encodeServerName(hostName: string): Uint8Array {
  const bytes = new Uint8Array(hostName.length);
  for (let i = 0; i < hostName.length; i++) {
    const c = hostName.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`HostName: "${hostName}" is not ASCII`);
    bytes[i] = c;
  }
  const problem = hostNameProblem(bytes);
  if (problem !== undefined) throw new RangeError(`HostName: ${problem}`);
  const w = new Writer(bytes.length + 5);
  w.vector(2, (list) => list.u8(HOST_NAME).opaque(2, bytes));
  return w.finish();
}

/**
 * Returns the host_name; rejects an empty list, a second host_name, and non-ASCII names.
 *
 * Entries of unknown NameTypes are skipped (RFC 6066 §3 requires them to start with a uint16 length), but
 * the list must hold exactly one host_name. The name must be printable ASCII without a trailing dot.
 */
export function decodeServerName(data: Uint8Array): string {
  return decodeAll(data, "server_name", (r) =>
    r.sub(2, "ServerNameList.server_name_list", (list) => {
      let hostName: string | undefined;
      while (list.remaining > 0) {
        const nameType = list.u8("ServerName.name_type");
        const name = list.vector(2, "ServerName.name", nameType === HOST_NAME ? 1 : 0, 0xffff);
        if (nameType !== HOST_NAME) continue;
        if (hostName !== undefined) throw new DecodeError("ServerNameList: more than one host_name");
        const problem = hostNameProblem(name);
        if (problem !== undefined) throw new DecodeError(`ServerName.host_name: ${problem}`);
        hostName = new TextDecoder().decode(name); // printable ASCII, checked above
      }
      if (hostName === undefined) throw new DecodeError("ServerNameList: no host_name");
      return hostName;
    }, 1));
}

// ---------------------------------------------------------------------------------------------------------
// supported_versions (RFC 8446 §4.2.1)

/** supported_versions in the ClientHello: a list of versions (`versions<2..254>`). */
export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  return u16List(versions, 1, "SupportedVersions.versions", 2, 254);
}

/** Decodes the ClientHello form of supported_versions: `ProtocolVersion versions<2..254>`. */
export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  return decodeAll(
    data,
    "supported_versions",
    (r) => readU16List(r, 1, "SupportedVersions.versions", 2, 254),
  );
}

/** supported_versions in the ServerHello/HRR: the one selected version. */
export function encodeSupportedVersionsServer(version: number): Uint8Array {
  return new Writer(2).u16(checkUint("SupportedVersions.selected_version", version, 0xffff)).finish();
}

/** Decodes the ServerHello/HRR form of supported_versions: `ProtocolVersion selected_version`. */
export function decodeSupportedVersionsServer(data: Uint8Array): number {
  return decodeAll(data, "supported_versions", (r) => r.u16("SupportedVersions.selected_version"));
}

// ---------------------------------------------------------------------------------------------------------
// supported_groups (RFC 8446 §4.2.7)

/** supported_groups (RFC 8446 §4.2.7): `NamedGroup named_group_list<2..2^16-1>`. */
export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  return u16List(groups, 2, "NamedGroupList.named_group_list", 2, 0xffff);
}

/** Decodes supported_groups; the list must be non-empty and of even length. */
export function decodeSupportedGroups(data: Uint8Array): number[] {
  return decodeAll(
    data,
    "supported_groups",
    (r) => readU16List(r, 2, "NamedGroupList.named_group_list", 2, 0xffff),
  );
}

// ---------------------------------------------------------------------------------------------------------
// signature_algorithms, signature_algorithms_cert (RFC 8446 §4.2.3)

/** signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3). */
export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  return u16List(schemes, 2, "SignatureSchemeList.supported_signature_algorithms", 2, 0xfffe);
}

/** Decodes `SignatureScheme supported_signature_algorithms<2..2^16-2>`. */
export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  return decodeAll(
    data,
    "signature_algorithms",
    (r) => readU16List(r, 2, "SignatureSchemeList.supported_signature_algorithms", 2, 0xfffe),
  );
}

// ---------------------------------------------------------------------------------------------------------
// key_share (RFC 8446 §4.2.8)

function writeKeyShareEntry(w: Writer, entry: KeyShareEntry): void {
  checkLength("KeyShareEntry.key_exchange", entry.keyExchange.length, 1, 0xffff);
  w.u16(checkUint("KeyShareEntry.group", entry.group, 0xffff)).opaque(2, entry.keyExchange);
}

function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16("KeyShareEntry.group");
  const keyExchange = r.vector(2, "KeyShareEntry.key_exchange", 1, 0xffff).slice();
  return { group, keyExchange };
}

/** key_share in the ClientHello: a list of entries; rejects two entries for one group. */
export function encodeKeyShareClient(entries: readonly KeyShareEntry[]): Uint8Array {
  const groups = new Set<number>();
  for (const e of entries) {
    if (groups.has(e.group)) {
      throw new RangeError(`KeyShareClientHello.client_shares: group ${e.group} twice`);
    }
    groups.add(e.group);
  }
  const w = new Writer(2 + entries.reduce((n, e) => n + 4 + e.keyExchange.length, 0));
  w.vector(2, (list) => {
    for (const e of entries) writeKeyShareEntry(list, e);
  });
  return w.finish();
}

/**
 * Decodes `KeyShareEntry client_shares<0..2^16-1>` (an empty list is how a client asks for a
 * HelloRetryRequest); two entries for the same group are a DecodeError (RFC 8446 §4.2.8).
 */
export function decodeKeyShareClient(data: Uint8Array): KeyShareEntry[] {
  return decodeAll(data, "key_share", (r) =>
    r.sub(2, "KeyShareClientHello.client_shares", (list) => {
      const out: KeyShareEntry[] = [];
      const groups = new Set<number>();
      while (list.remaining > 0) {
        const entry = readKeyShareEntry(list);
        if (groups.has(entry.group)) {
          throw new DecodeError(`KeyShareClientHello.client_shares: two entries for group ${entry.group}`);
        }
        groups.add(entry.group);
        out.push(entry);
      }
      return out;
    }));
}

/** key_share in the ServerHello: one entry. */
export function encodeKeyShareServer(entry: KeyShareEntry): Uint8Array {
  const w = new Writer(4 + entry.keyExchange.length);
  writeKeyShareEntry(w, entry);
  return w.finish();
}

/** Decodes `KeyShareEntry server_share`. */
export function decodeKeyShareServer(data: Uint8Array): KeyShareEntry {
  return decodeAll(data, "key_share", readKeyShareEntry);
}

/** key_share in the HelloRetryRequest: the selected group. */
export function encodeKeyShareHrr(group: number): Uint8Array {
  return new Writer(2).u16(checkUint("KeyShareHelloRetryRequest.selected_group", group, 0xffff)).finish();
}

/** Decodes `NamedGroup selected_group`. */
export function decodeKeyShareHrr(data: Uint8Array): number {
  return decodeAll(data, "key_share", (r) => r.u16("KeyShareHelloRetryRequest.selected_group"));
}

// ---------------------------------------------------------------------------------------------------------
// application_layer_protocol_negotiation (RFC 7301 §3.1)

/** application_layer_protocol_negotiation (RFC 7301 §3.1): names as strings (bytes taken as latin1). */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  const w = new Writer(2 + protocols.reduce((n, p) => n + 1 + p.length, 0));
  w.vector(2, (list) => {
    for (const p of protocols) {
      checkLength("ProtocolName", p.length, 1, 0xff);
      list.u8(p.length);
      for (let i = 0; i < p.length; i++) list.u8(checkUint("ProtocolName", p.charCodeAt(i), 0xff));
    }
  });
  const out = w.finish();
  checkLength("ProtocolNameList.protocol_name_list", out.length - 2, 2, 0xffff);
  return out;
}

/** Decodes `ProtocolName protocol_name_list<2..2^16-1>` with each `opaque ProtocolName<1..2^8-1>`. */
export function decodeAlpn(data: Uint8Array): string[] {
  return decodeAll(
    data,
    "application_layer_protocol_negotiation",
    (r) =>
      r.sub(
        2,
        "ProtocolNameList.protocol_name_list",
        (list) => {
          const out: string[] = [];
          while (list.remaining > 0) {
            out.push(String.fromCharCode(...list.vector(1, "ProtocolName", 1, 0xff)));
          }
          return out;
        },
        2,
        0xffff,
      ),
  );
}

// ---------------------------------------------------------------------------------------------------------
// cookie (RFC 8446 §4.2.2)

/** cookie (RFC 8446 §4.2.2): `opaque cookie<1..2^16-1>`. */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  checkLength("Cookie.cookie", cookie.length, 1, 0xffff);
  return new Writer(cookie.length + 2).opaque(2, cookie).finish();
}

/** Decodes a cookie extension and returns a copy of the cookie. */
export function decodeCookie(data: Uint8Array): Uint8Array {
  return decodeAll(data, "cookie", (r) => r.vector(2, "Cookie.cookie", 1, 0xffff).slice());
}

// ---------------------------------------------------------------------------------------------------------
// psk_key_exchange_modes (RFC 8446 §4.2.9)

/** psk_key_exchange_modes (RFC 8446 §4.2.9): `PskKeyExchangeMode ke_modes<1..255>`. */
export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  checkLength("PskKeyExchangeModes.ke_modes", modes.length, 1, 0xff);
  const w = new Writer(modes.length + 1);
  w.vector(1, (list) => {
    for (const m of modes) list.u8(checkUint("PskKeyExchangeModes.ke_modes", m, 0xff));
  });
  return w.finish();
}

/** Decodes psk_key_exchange_modes; unknown modes are returned as they are, for the caller to ignore. */
export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  return decodeAll(
    data,
    "psk_key_exchange_modes",
    (r) => Array.from(r.vector(1, "PskKeyExchangeModes.ke_modes", 1, 0xff)),
  );
}

// ---------------------------------------------------------------------------------------------------------
// certificate_authorities (RFC 8446 §4.2.4)

/**
 * certificate_authorities (RFC 8446 §4.2.4): `DistinguishedName authorities<3..2^16-1>`, each
 * `opaque DistinguishedName<1..2^16-1>` holding a DER X.501 Name.
 */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  const w = new Writer(2 + names.reduce((n, d) => n + 2 + d.length, 0));
  w.vector(2, (list) => {
    for (const name of names) {
      checkLength("DistinguishedName", name.length, 1, 0xffff);
      list.opaque(2, name);
    }
  });
  const out = w.finish();
  checkLength("CertificateAuthoritiesExtension.authorities", out.length - 2, 3, 0xffff);
  return out;
}

/** Decodes certificate_authorities into the DER Names it lists (copies). */
export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  return decodeAll(
    data,
    "certificate_authorities",
    (r) =>
      r.sub(
        2,
        "CertificateAuthoritiesExtension.authorities",
        (list) => {
          const out: Uint8Array[] = [];
          while (list.remaining > 0) out.push(list.vector(2, "DistinguishedName", 1, 0xffff).slice());
          return out;
        },
        3,
        0xffff,
      ),
  );
}
