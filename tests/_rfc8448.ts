/**
 * Loader for `tests/vectors/rfc8448/transcripts.vec`, the RFC 8448 example handshakes in Botan's `.vec`
 * format (see `tests/vectors/README.md` for source and licence).
 *
 * The format: `[Section]` lines start a section; `Key = value` lines belong to the section above; lines
 * starting with `#` and blank lines are ignored. Values are returned as written (hex for records and
 * messages, sometimes uppercase; decimal for timestamps; text for PSK identities), with surrounding
 * whitespace removed.
 *
 * @module
 */

/** Where the RFC 8448 transcripts file lives. */
export const RFC8448_TRANSCRIPTS: URL = new URL("./vectors/rfc8448/transcripts.vec", import.meta.url);

/**
 * Parses the text of a `.vec` file into `{ section: { key: value } }`. Throws an `Error` naming the line for
 * a key outside any section, a repeated section or key, or a line that is neither a section, a `Key = value`
 * pair, a comment nor blank.
 */
export function parseVec(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      const name = section[1].trim();
      if (Object.hasOwn(sections, name)) throw new Error(`line ${i + 1}: section [${name}] repeated`);
      current = sections[name] = {};
      continue;
    }
    const pair = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new Error(`line ${i + 1}: cannot parse "${line.slice(0, 40)}"`);
    if (current === undefined) throw new Error(`line ${i + 1}: "${pair[1]}" outside a section`);
    if (Object.hasOwn(current, pair[1])) throw new Error(`line ${i + 1}: key ${pair[1]} repeated`);
    current[pair[1]] = pair[2].trim();
  }
  return sections;
}

/**
 * Loads the RFC 8448 transcripts: `loadRfc8448()["Simple_1RTT_Handshake"]["Message_ServerHello"]` is the
 * ServerHello of RFC 8448 §3 in hex. Needs read permission for `tests/vectors/`.
 *
 * @example
 * ```ts
 * const simple = loadRfc8448()["Simple_1RTT_Handshake"];
 * const serverHello = Uint8Array.fromHex(simple["Message_ServerHello"]);
 * ```
 */
export function loadRfc8448(): Record<string, Record<string, string>> {
  return parseVec(Deno.readTextFileSync(RFC8448_TRANSCRIPTS));
}
