/**
 * PEM, the textual encoding of DER structures (RFC 7468): `-----BEGIN LABEL-----`, base64 lines,
 * `-----END LABEL-----`. Text between blocks ("explanatory text", RFC 7468 §5.2) is ignored; encapsulated
 * headers of the obsolete RFC 1421 kind are refused, as is any base64 that is not strictly canonical.
 *
 * @module
 */

/** A PEM input is malformed: mismatched labels, a missing END line, bad base64, or an unexpected label. */
export class PemError extends Error {
  /** Always `"PemError"`. */
  override name = "PemError";
}

/** One decoded PEM block. */
export interface PemBlock {
  /** The label, e.g. `"CERTIFICATE"` or `"PRIVATE KEY"`. */
  readonly label: string;
  /** The decoded DER bytes. */
  readonly der: Uint8Array;
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;
const END = /^-----END ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----$/;

/**
 * Decodes every PEM block of `text`, in order. When `label` is given, every block must carry it.
 *
 * @example
 * ```ts ignore
 * const certs = decodePem(await Deno.readTextFile("chain.pem"), "CERTIFICATE").map((b) => b.der);
 * ```
 */
export function decodePem(text: string, label?: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i].trimEnd());
    if (!begin) {
      if (lines[i].startsWith("-----END")) throw new PemError(`line ${i + 1}: END line without BEGIN`);
      continue;
    }
    const blockLabel = begin[1] ?? "";
    if (label !== undefined && blockLabel !== label) {
      throw new PemError(`line ${i + 1}: expected a "${label}" block, found "${blockLabel}"`);
    }
    let body = "";
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j].trim();
      if (line.startsWith("-----")) break;
      if (line.includes(":")) throw new PemError(`line ${j + 1}: encapsulated headers are not supported`);
      body += line;
    }
    const end = j < lines.length ? END.exec(lines[j].trim()) : null;
    if (!end) throw new PemError(`line ${i + 1}: "${blockLabel}" block has no END line`);
    if ((end[1] ?? "") !== blockLabel) {
      throw new PemError(
        `line ${j + 1}: END label "${end[1] ?? ""}" does not match BEGIN label "${blockLabel}"`,
      );
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new PemError(`line ${i + 1}: invalid base64 characters`);
    let der: Uint8Array;
    try {
      der = Uint8Array.fromBase64(body, { lastChunkHandling: "strict" });
    } catch (e) {
      throw new PemError(`line ${i + 1}: invalid base64 (${(e as Error).message})`);
    }
    if (der.length === 0) throw new PemError(`line ${i + 1}: "${blockLabel}" block is empty`);
    blocks.push({ label: blockLabel, der });
    i = j;
  }
  return blocks;
}

/**
 * Encodes `der` as one PEM block with 64-character lines (RFC 7468 §2), ending in a newline.
 *
 * @example
 * ```ts ignore
 * await Deno.writeTextFile("cert.pem", encodePem("CERTIFICATE", der));
 * ```
 */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = der.toBase64();
  const lines = [`-----BEGIN ${label}-----`];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(`-----END ${label}-----`, "");
  return lines.join("\n");
}
