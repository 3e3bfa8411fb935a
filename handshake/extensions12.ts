/**
 * Codecs for the bodies of the extensions TLS 1.2 adds to the hellos: extended_master_secret (RFC 7627 §5.1),
 * renegotiation_info (RFC 5746 §3.2), ec_point_formats (RFC 8422 §5.1.2) and session_ticket (RFC 5077 §3.2).
 * As in `extensions.ts`, decoders throw `DecodeError` for malformed data and encoders `RangeError` for a value
 * the decoder would reject.
 *
 * @module
 */

import { DecodeError, Reader, Writer } from "../bytes.ts";

/** ECPointFormat uncompressed (RFC 8422 §5.1.2), the only format TLS 1.2 peers must support. */
export const EC_POINT_FORMAT_UNCOMPRESSED = 0;

/** extension_data of extended_master_secret: empty (RFC 7627 §5.1). */
export function encodeExtendedMasterSecret(): Uint8Array {
  return new Uint8Array(0);
}

/** Checks that extended_master_secret's extension_data is empty (RFC 7627 §5.1). */
export function decodeExtendedMasterSecret(data: Uint8Array): void {
  if (data.length !== 0) {
    throw new DecodeError(`extended_master_secret: ${data.length} bytes in an empty extension`);
  }
}

/**
 * renegotiation_info (RFC 5746 §3.2): `opaque renegotiated_connection<0..255>`, empty on an initial handshake
 * (the only kind this library performs).
 */
export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (renegotiatedConnection.length > 0xff) {
    throw new RangeError(
      `RenegotiationInfo.renegotiated_connection: length ${renegotiatedConnection.length} > 255`,
    );
  }
  return new Writer(1 + renegotiatedConnection.length).opaque(1, renegotiatedConnection).finish();
}

/** Decodes renegotiation_info into renegotiated_connection; the caller checks that it is empty. */
export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  const r = new Reader(data);
  const value = r.vector(1, "RenegotiationInfo.renegotiated_connection").slice();
  r.end("renegotiation_info");
  return value;
}

/** ec_point_formats (RFC 8422 §5.1.2): `ECPointFormat ec_point_format_list<1..2^8-1>`. */
export function encodeEcPointFormats(
  formats: readonly number[] = [EC_POINT_FORMAT_UNCOMPRESSED],
): Uint8Array {
  if (formats.length < 1 || formats.length > 0xff) {
    throw new RangeError(`ECPointFormatList.ec_point_format_list: length ${formats.length} outside 1..255`);
  }
  const w = new Writer(1 + formats.length);
  w.vector(1, (v) => {
    for (const f of formats) {
      if (!Number.isInteger(f) || f < 0 || f > 0xff) {
        throw new RangeError(`ECPointFormat: ${f} is not in 0..255`);
      }
      v.u8(f);
    }
  });
  return w.finish();
}

/**
 * Decodes ec_point_formats into its list of formats; whether uncompressed(0) is in it — which RFC 8422
 * §5.1.2 requires, with illegal_parameter otherwise — is the caller's check.
 */
export function decodeEcPointFormats(data: Uint8Array): number[] {
  const r = new Reader(data);
  const formats = Array.from(r.vector(1, "ECPointFormatList.ec_point_format_list", 1, 0xff));
  r.end("ec_point_formats");
  return formats;
}

/**
 * session_ticket (RFC 5077 §3.2): the extension_data is the ticket itself, without a length of its own; empty
 * when the client has no ticket (and in the ServerHello). Returned as given.
 */
export function encodeSessionTicket(ticket: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (ticket.length > 0xffff) throw new RangeError(`SessionTicket: length ${ticket.length} > 65535`);
  return ticket.slice();
}

/** Decodes session_ticket: a copy of the opaque ticket (possibly empty). */
export function decodeSessionTicket(data: Uint8Array): Uint8Array {
  return data.slice();
}
