/**
 * Distinguished names as strings (RFC 4514): formatting a certificate's Name for messages and for
 * {@link PeerCertificate}, and parsing the simple strings that `generateCertificate` accepts; and the
 * comparison of Names that directoryName constraints need (RFC 5280 §7.1).
 *
 * The string lists RDNs from the last to the first, joined with `", "` (the readable spacing of the
 * `PeerCertificate` examples); multi-valued RDNs join with `"+"`.
 *
 * @module
 */

import { asn1Schema, asn1X509 } from "../deps.ts";
import { utf8 } from "../bytes.ts";
import { encode, oid, sequence, Tag } from "./_der.ts";

/** RFC 4514 §3 short names, plus the customary ones of OpenSSL for attributes RFC 4514 leaves out. */
const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.2.840.113549.1.9.1": "emailAddress",
};
const OIDS_BY_NAME = new Map(Object.entries(SHORT_NAMES).map(([k, v]) => [v.toUpperCase(), k]));

/** Escapes an attribute value (RFC 4514 §2.4). */
function escapeValue(value: string): string {
  let out = value.replace(/["+,;<>\\]/g, (c) => `\\${c}`).replace(/\0/g, "\\00");
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && !out.endsWith("\\ ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

function formatValue(value: InstanceType<typeof asn1X509.AttributeValue>): string {
  const text = value.utf8String ?? value.printableString ?? value.ia5String ?? value.teletexString ??
    value.bmpString ?? value.universalString;
  if (text !== undefined) return escapeValue(text);
  // RFC 4514 §2.4: a value that is not a string is written as "#" and the hex of its BER encoding.
  return `#${new Uint8Array(value.anyValue ?? new ArrayBuffer(0)).toHex()}`;
}

/** Formats a DER Name as an RFC 4514 string, e.g. `"CN=example.com, O=Example"`. */
export function formatName(der: Uint8Array): string {
  const name = asn1Schema.AsnParser.parse(der, asn1X509.Name);
  return [...name].reverse().map((rdn) =>
    [...rdn].map((atv) => `${SHORT_NAMES[atv.type] ?? atv.type}=${formatValue(atv.value)}`).join("+")
  ).join(", ");
}

/**
 * An attribute value in the form RFC 5280 §7.1 compares: a character string prepared as the LDAP StringPrep
 * profile does it for caseIgnoreMatch (RFC 4518 §2) — some invisible characters dropped, other white space
 * made a space, case folded, NFKC, and insignificant spaces removed (none leading or trailing, runs of spaces
 * as one) — so that `PrintableString "Example  Ltd"` and `UTF8String "example ltd"` compare equal; any other
 * value as the hex of its encoding, compared byte for byte.
 */
function comparableValue(value: InstanceType<typeof asn1X509.AttributeValue>): string {
  const text = value.utf8String ?? value.printableString ?? value.ia5String ?? value.teletexString ??
    value.bmpString ?? value.universalString;
  if (text === undefined) return `#${new Uint8Array(value.anyValue ?? new ArrayBuffer(0)).toHex()}`;
  const prepared = text
    // RFC 4518 §2.2: soft hyphen, zero-width and other invisible characters map to nothing …
    .replace(/[\u00ad\u1806\u034f\u180b-\u180d\ufe00-\ufe0f\ufffc\u200b-\u200d\u2060\ufeff]/g, "")
    // … control characters too, except the white space ones, which (with the other spaces) become SPACE.
    .replace(/(?![\t\n\v\f\r\u0085])\p{Cc}/gu, "")
    .replace(/[\t\n\v\f\r\u0085\p{Zs}\u2028\u2029]/gu, " ")
    .toLowerCase()
    .normalize("NFKC");
  // RFC 4518 §2.6.1: insignificant space handling.
  return `"${prepared.trim().replace(/ +/g, " ")}`;
}

/** The RDNs of a DER Name, least specific first, each a sorted list of `type=value` comparison keys. */
function comparableRdns(der: Uint8Array): string[][] {
  const name = asn1Schema.AsnParser.parse(der, asn1X509.Name);
  return [...name].map((rdn) => [...rdn].map((atv) => `${atv.type}=${comparableValue(atv.value)}`).sort());
}

/**
 * Whether the DER Name `name` lies within the subtree of the DER Name `base` (RFC 5280 §4.2.1.10): `base`'s
 * RDNs are the first RDNs of `name`, each matching as RFC 5280 §7.1 says — the same attribute types, values
 * equal after string preparation (see {@link comparableValue}), the attributes of a multi-valued RDN in any
 * order. The empty Name is the base of every name.
 *
 * @example
 * ```ts ignore
 * nameWithin(encodeName("CN=www, O=Example, C=NZ"), encodeName("O=example, C=NZ")); // true
 * ```
 */
export function nameWithin(name: Uint8Array, base: Uint8Array): boolean {
  const rdns = comparableRdns(name);
  const baseRdns = comparableRdns(base);
  if (baseRdns.length > rdns.length) return false;
  return baseRdns.every((rdn, i) =>
    rdn.length === rdns[i].length && rdn.every((atv, j) => atv === rdns[i][j])
  );
}

/** Splits `text` at each `separator` that is not escaped with a backslash. */
function splitUnescaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      current += c + text[++i];
    } else if (separators.includes(c)) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

/** Undoes RFC 4514 §2.4 escapes: `\,` and the like, and `\XX` hex pairs that spell UTF-8. */
function unescapeValue(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "\\" ? /^[0-9a-fA-F]{2}/.exec(text.slice(i + 1)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      if (text[i] === "\\" && i + 1 < text.length) i++;
      const char = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...utf8(char));
      i += char.length - 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const DN_START = /^\s*([A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)\s*=/;

/**
 * Encodes a subject given as an RFC 4514 string (`"CN=leaf, O=Example"`), or as a bare common name
 * (`"localhost"`), as a DER Name. Values are UTF8String, except C (PrintableString) and DC and
 * emailAddress (IA5String), as RFC 5280 §4.1.2.4 and Appendix A ask.
 */
export function encodeName(text: string): Uint8Array {
  if (!DN_START.test(text)) text = `CN=${escapeValue(text)}`;
  const rdns = splitUnescaped(text, ",;").map((rdn) =>
    splitUnescaped(rdn, "+").map((atv) => {
      const eq = atv.indexOf("=");
      if (eq < 0) throw new TypeError(`subject: "${atv.trim()}" is not of the form TYPE=value`);
      const type = atv.slice(0, eq).trim();
      const id = /^\d+(\.\d+)+$/.test(type) ? type : OIDS_BY_NAME.get(type.toUpperCase());
      if (!id) throw new TypeError(`subject: unknown attribute type "${type}"`);
      const value = unescapeValue(atv.slice(eq + 1).trim());
      const tag = id === "2.5.4.6"
        ? Tag.PRINTABLE_STRING
        : id === "0.9.2342.19200300.100.1.25" || id === "1.2.840.113549.1.9.1"
        ? Tag.IA5_STRING
        : Tag.UTF8_STRING;
      return sequence(oid(id), encode(tag, utf8(value)));
    })
  );
  // The string lists the most specific RDN first; the DER sequence starts with the least specific.
  return sequence(
    ...rdns.reverse().map((atvs) => {
      // DER orders the members of a SET OF by their encodings (X.690 §11.6).
      atvs.sort((a, b) => compareBytes(a, b));
      return encode(Tag.SET, ...atvs);
    }),
  );
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
