/**
 * Codecs for the bodies of the TLS 1.3 extensions this library speaks (RFC 8446 §4.2, RFC 6066 §3,
 * RFC 7301). Each `decodeX(data)` takes the extension_data and rejects truncation, trailing bytes, zero-length
 * vectors the RFC forbids, and duplicates inside lists where the RFC forbids them, with a `DecodeError`.
 *
 * @module
 */

import { DecodeError } from "../bytes.ts";

/** One KeyShareEntry (RFC 8446 §4.2.8). */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

function notYet(): never {
  throw new DecodeError("not implemented");
}

/** server_name in the ClientHello: a list with one host_name (RFC 6066 §3). */
export function encodeServerName(hostName: string): Uint8Array {
  void hostName;
  return notYet();
}
/** Returns the host_name; rejects an empty list, a second host_name, and non-ASCII names. */
export function decodeServerName(data: Uint8Array): string {
  void data;
  return notYet();
}

/** supported_versions in the ClientHello: a list of versions. */
export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  void versions;
  return notYet();
}
export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  void data;
  return notYet();
}
/** supported_versions in the ServerHello/HRR: the one selected version. */
export function encodeSupportedVersionsServer(version: number): Uint8Array {
  void version;
  return notYet();
}
export function decodeSupportedVersionsServer(data: Uint8Array): number {
  void data;
  return notYet();
}

/** supported_groups (RFC 8446 §4.2.7). */
export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  void groups;
  return notYet();
}
export function decodeSupportedGroups(data: Uint8Array): number[] {
  void data;
  return notYet();
}

/** signature_algorithms and signature_algorithms_cert (RFC 8446 §4.2.3). */
export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  void schemes;
  return notYet();
}
export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  void data;
  return notYet();
}

/** key_share in the ClientHello: a list of entries; rejects two entries for one group. */
export function encodeKeyShareClient(entries: readonly KeyShareEntry[]): Uint8Array {
  void entries;
  return notYet();
}
export function decodeKeyShareClient(data: Uint8Array): KeyShareEntry[] {
  void data;
  return notYet();
}
/** key_share in the ServerHello: one entry. */
export function encodeKeyShareServer(entry: KeyShareEntry): Uint8Array {
  void entry;
  return notYet();
}
export function decodeKeyShareServer(data: Uint8Array): KeyShareEntry {
  void data;
  return notYet();
}
/** key_share in the HelloRetryRequest: the selected group. */
export function encodeKeyShareHrr(group: number): Uint8Array {
  void group;
  return notYet();
}
export function decodeKeyShareHrr(data: Uint8Array): number {
  void data;
  return notYet();
}

/** application_layer_protocol_negotiation (RFC 7301 §3.1): names as strings (bytes taken as latin1). */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  void protocols;
  return notYet();
}
export function decodeAlpn(data: Uint8Array): string[] {
  void data;
  return notYet();
}

/** cookie (RFC 8446 §4.2.2). */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  void cookie;
  return notYet();
}
export function decodeCookie(data: Uint8Array): Uint8Array {
  void data;
  return notYet();
}

/** psk_key_exchange_modes (RFC 8446 §4.2.9). */
export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  void modes;
  return notYet();
}
export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  void data;
  return notYet();
}
