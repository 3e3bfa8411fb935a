/**
 * Server identity checks (RFC 6125 §6, as profiled for TLS by RFC 9525): the name the client asked for is
 * matched against the subjectAltName of the certificate only — never the subject's common name.
 *
 * - DNS names compare case-insensitively (ASCII only) and ignore one trailing dot (RFC 6125 §6.4.1).
 * - A wildcard is allowed only as the whole leftmost label of a presented name of at least three labels
 *   (RFC 6125 §6.4.3, RFC 9525 §6.3): `*.example.com` matches `a.example.com` but not `a.b.example.com`,
 *   not `example.com`; `*.com` and `f*o.example.com` match nothing.
 * - An IP address in any textual form matches only an iPAddress entry with the same bytes, never a dNSName
 *   (RFC 6125 §6.2.1, RFC 9525 §6.2).
 * - An internationalized name is compared in A-label form (RFC 6125 §6.4.2, RFC 5890): {@link toALabel}
 *   turns each non-ASCII label of the reference name into `xn--` and its Punycode; a certificate's dNSName
 *   is ASCII (IA5String) by construction, so U-labels there are malformed.
 *
 * @module
 */

import { punycodeEncode } from "./_punycode.ts";

/** A subjectAltName entry this library uses (RFC 5280 §4.2.1.6). */
export type SubjectAltName =
  | { readonly type: "dns"; readonly value: string }
  | { readonly type: "ip"; readonly value: string; readonly bytes: Uint8Array };

/** Parses a dotted-quad IPv4 address (four decimal octets, no leading zeros); undefined if it is not one. */
function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bytes.push(Number(p));
  }
  return bytes;
}

/** Parses an IPv6 address in any RFC 4291 §2.2 text form, including an embedded IPv4 tail. */
function parseIPv6(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        out.push(v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  if (halves[0].includes(".") && halves.length === 2) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * The bytes of an IP literal — 4 for IPv4, 16 for IPv6, which may be written in brackets — or undefined
 * when `text` is not an IP literal.
 *
 * @example
 * ```ts ignore
 * parseIpAddress("::1"); // 16 bytes
 * parseIpAddress("localhost"); // undefined
 * ```
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const bytes = text.includes(":") ? parseIPv6(text) : parseIPv4(text);
  return bytes ? new Uint8Array(bytes) : undefined;
}

/**
 * The text form of an IP address: dotted decimal for 4 bytes, the RFC 5952 canonical form for 16 bytes
 * (lowercase, no leading zeros, the longest run of two or more zero groups as `::`, IPv4-mapped addresses
 * with a dotted tail).
 */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes[i] << 8 | bytes[i + 1]);
  // RFC 5952 §5: ::ffff:0:0/96 is written with its IPv4 address in dotted form.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.subarray(12).join(".")}`;
  }
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** Lowercases ASCII letters only (RFC 6125 §6.4.1: no locale-dependent case folding). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** The labels of a DNS name, lowercased and without a trailing dot; undefined if it is not a valid name. */
function dnsLabels(name: string): string[] | undefined {
  if (name.endsWith(".")) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253 || !/^[\x21-\x7e]+$/.test(name)) return undefined;
  return asciiLower(name).split(".");
}

/**
 * Whether `name` (lowercased, without a trailing dot) is a syntactically valid presented dNSName: labels of
 * letters, digits, hyphens (not first or last) and underscores, 1 to 63 octets each, 253 at most in all;
 * with `wildcard`, the leftmost label may be `*`. `.example.com`, `a..b` or `-a.example` are not names.
 *
 * @example
 * ```ts ignore
 * isValidDnsName("*.example.com", true); // true
 * isValidDnsName(".example.com", true); // false
 * ```
 */
export function isValidDnsName(name: string, wildcard: boolean): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  return labels.every((label, i) => LABEL.test(label) || (wildcard && i === 0 && label === "*"));
}

/**
 * Whether the presented dNSName `presented` matches the reference DNS name `reference` (RFC 6125 §6.4).
 *
 * @example
 * ```ts ignore
 * matchDnsName("*.example.com", "www.Example.com."); // true
 * matchDnsName("*.example.com", "a.b.example.com"); // false
 * ```
 */
export function matchDnsName(presented: string, reference: string): boolean {
  const ref = dnsLabels(reference);
  const pre = dnsLabels(presented);
  if (!ref || !pre || ref.length !== pre.length) return false;
  // The reference must be a plain host name: every label valid, and the last not all digits (which would
  // make it an IPv4 address in disguise, as WHATWG URL parsing reads such hosts).
  if (!ref.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(ref[ref.length - 1])) return false;
  for (let i = 0; i < pre.length; i++) {
    if (i === 0 && pre[0] === "*") {
      // RFC 6125 §6.4.3 / RFC 9525 §6.3: the wildcard is the whole leftmost label, and does not cover a
      // public suffix-like two-label name ("*.com").
      if (pre.length < 3) return false;
      continue;
    }
    if (!LABEL.test(pre[i]) || pre[i] !== ref[i]) return false;
  }
  return true;
}

/** UTS #46 §4 step 1: the full stops that separate labels besides U+002E. */
const LABEL_SEPARATORS = /[\u3002\uff0e\uff61]/g;
/** Only ASCII characters. */
const ASCII_ONLY = /^\p{ASCII}*$/u;
/** An ASCII character other than a letter, digit, hyphen or underscore (after lowercasing). */
const ASCII_PUNCTUATION = /(?![a-z0-9_-])\p{ASCII}/u;
/** Code points that never belong in a host name: controls, separators, surrogates, unassigned, private use. */
const FORBIDDEN = /[\p{Cc}\p{Z}\p{Cs}\p{Cn}\p{Co}]/u;

/**
 * The A-label form (RFC 5890 §2.3.2.1) of a DNS name: every label that holds a non-ASCII character is
 * mapped approximately as UTS #46 does it (NFKC, then lowercase — `"Bücher"` and `"ｂücher"` both become
 * `"bücher"`; `ß` stays, as in the nontransitional processing of URLs), then written as `xn--` and its
 * Punycode (RFC 3492). ASCII labels, and IP literals, are returned unchanged. Throws `TypeError` for a
 * name that cannot be a host name: a forbidden code point (control, space, unassigned, private use), ASCII
 * punctuation in an internationalized label, an empty label, or an A-label longer than 63 octets or a
 * name longer than 253.
 *
 * The full validity rules of IDNA2008 (RFC 5892's code point classes, contextual and bidi rules) are not
 * applied: the A-label is only compared with names a CA certified and sent as SNI, so an invalid U-label
 * can only fail to match.
 *
 * @example
 * ```ts ignore
 * toALabel("bücher.example"); // "xn--bcher-kva.example"
 * toALabel("www.example.com"); // "www.example.com"
 * ```
 */
export function toALabel(name: string): string {
  if (ASCII_ONLY.test(name) || parseIpAddress(name)) return name;
  const trailingDot = /[.\u3002\uff0e\uff61]$/.test(name);
  const labels = name.replace(LABEL_SEPARATORS, ".").split(".");
  if (trailingDot) labels.pop();
  const out = labels.map((label) => {
    if (ASCII_ONLY.test(label)) return label;
    const mapped = label.normalize("NFKC").toLowerCase().normalize("NFC");
    if (
      mapped.length === 0 || FORBIDDEN.test(mapped) || ASCII_PUNCTUATION.test(mapped)
    ) {
      throw new TypeError(`"${name}" is not a valid internationalized host name (label "${label}")`);
    }
    if (ASCII_ONLY.test(mapped)) return mapped;
    const aLabel = `xn--${punycodeEncode(mapped)}`;
    if (aLabel.length > 63) throw new TypeError(`"${name}": the A-label of "${label}" exceeds 63 octets`);
    return aLabel;
  });
  if (out.some((l) => l.length === 0)) throw new TypeError(`"${name}" has an empty label`);
  const result = out.join(".");
  if (result.length > 253) throw new TypeError(`"${name}" exceeds 253 octets in A-label form`);
  return trailingDot ? `${result}.` : result;
}

/**
 * Whether the certificate names `sans` cover `serverName`, a DNS name (U-labels allowed: it is compared in
 * A-label form) or an IP literal.
 *
 * @example
 * ```ts ignore
 * matchServerName([{ type: "dns", value: "example.com" }], "EXAMPLE.com"); // true
 * ```
 */
export function matchServerName(sans: readonly SubjectAltName[], serverName: string): boolean {
  return matchingName(sans, serverName) !== undefined;
}

/** The entry of `sans` that covers `serverName` (see {@link matchServerName}), or undefined. */
export function matchingName(
  sans: readonly SubjectAltName[],
  serverName: string,
): SubjectAltName | undefined {
  const ip = parseIpAddress(serverName);
  if (ip) {
    return sans.find((san) =>
      san.type === "ip" && san.bytes.length === ip.length && san.bytes.every((b, i) => b === ip[i])
    );
  }
  let reference: string;
  try {
    reference = toALabel(serverName);
  } catch {
    return undefined; // not a host name: nothing can match it
  }
  return sans.find((san) => san.type === "dns" && matchDnsName(san.value, reference));
}
