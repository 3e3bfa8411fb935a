/**
 * Payloads and transfers for the interop tests: send bytes through a connection and check that they come
 * back intact, or download a body over HTTP/1.0. Every transfer has a deadline after which it closes the
 * connection and fails, so a stuck peer or client fails its test instead of hanging the run.
 *
 * Works with any connection that reads and writes like `Deno.Conn`: the client under test and
 * `Deno.connectTls` alike.
 *
 * @module
 */

/** 1 MiB, the size of the interop transfers. */
export const MiB = 1 << 20;

/** What the transfers need of a connection. */
export interface ByteConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** `length` random bytes. */
export function randomPayload(length = MiB): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  return data;
}

/**
 * `length` bytes of random hexadecimal text in lines of `lineLength` bytes (newline included), for peers
 * that echo text lines only (`gnutls-serv --echo`).
 */
export function textPayload(length = MiB, lineLength = 1024): Uint8Array {
  const hex = new TextEncoder().encode(randomPayload(Math.ceil(length / 2)).toHex());
  const data = hex.subarray(0, length);
  for (let i = lineLength - 1; i < length; i += lineLength) data[i] = 0x0a;
  data[length - 1] = 0x0a;
  return data;
}

/** Throws unless `actual` equals `expected`, naming the first differing offset. */
export function assertBytesEqual(actual: Uint8Array, expected: Uint8Array, what = "data"): void {
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  if (i === n && actual.length === expected.length) return;
  throw new Error(
    `${what}: got ${actual.length} bytes, expected ${expected.length}; first difference at offset ${i}`,
  );
}

/** Writes all of `data`, in pieces of at most `chunk` bytes. */
export async function writeAll(conn: ByteConn, data: Uint8Array, chunk = 64 * 1024): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off, off + chunk));
}

/** Reads exactly `length` bytes; throws if the stream ends first. */
export async function readExactly(conn: ByteConn, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const n = await conn.read(buf.subarray(off));
    if (n === null) throw new Error(`the stream ended after ${off} of ${length} bytes`);
    off += n;
  }
  return buf;
}

/** Reads until the stream ends (`read()` returns `null`). */
export async function readToEnd(conn: ByteConn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(64 * 1024);
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.subarray(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}

/**
 * Runs `transfer`; if it has not finished after `timeoutMs`, closes `conn` (which fails its pending reads
 * and writes) and throws a timeout error.
 */
export async function withDeadline<T>(
  conn: ByteConn,
  timeoutMs: number,
  what: string,
  transfer: () => Promise<T>,
): Promise<T> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }, timeoutMs);
  try {
    return await transfer();
  } catch (e) {
    if (timedOut) throw new Error(`${what}: not done after ${timeoutMs} ms`, { cause: e });
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Writes `payload` while reading as many bytes back, and throws unless they are the same bytes. Writing and
 * reading overlap: a 1 MiB echo does not fit in the buffers between the two ends.
 */
export async function assertEchoes(conn: ByteConn, payload: Uint8Array, timeoutMs = 60_000): Promise<void> {
  const received = await withDeadline(conn, timeoutMs, `echo of ${payload.length} bytes`, async () => {
    const [, back] = await Promise.all([writeAll(conn, payload), readExactly(conn, payload.length)]);
    return back;
  });
  assertBytesEqual(received, payload, "echoed data");
}

/**
 * Half-closes `conn` (close_notify) and expects the peer to close in turn: the next read must report the
 * end of the stream (`null`), not data and not an error.
 */
export async function assertPeerClosesToo(
  conn: ByteConn & { closeWrite(): Promise<void> },
  timeoutMs = 10_000,
): Promise<void> {
  await withDeadline(conn, timeoutMs, "close_notify exchange", async () => {
    await conn.closeWrite();
    const n = await conn.read(new Uint8Array(16));
    if (n !== null) throw new Error(`read ${n} bytes after close_notify, expected the end of the stream`);
  });
}

/** An HTTP/1.0 response. */
export interface HttpResponse {
  status: number;
  headers: Map<string, string>;
  body: Uint8Array;
}

/**
 * Sends `GET path HTTP/1.0` and reads the response until the server closes (with close_notify: a truncated
 * stream makes the client's read throw).
 */
export async function httpGet(conn: ByteConn, path = "/", timeoutMs = 60_000): Promise<HttpResponse> {
  const raw = await withDeadline(conn, timeoutMs, `GET ${path}`, async () => {
    await writeAll(conn, new TextEncoder().encode(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`));
    return await readToEnd(conn);
  });
  let end = -1;
  for (let i = 0; i + 3 < raw.length; i++) {
    if (raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`no HTTP header in a ${raw.length}-byte response`);
  const [statusLine, ...lines] = new TextDecoder().decode(raw.subarray(0, end)).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) throw new Error(`bad HTTP status line ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status, headers, body: raw.subarray(end + 4) };
}

/** The DER bytes of the first certificate in `pem`. */
export function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new Error("no certificate in PEM");
  return Uint8Array.fromBase64(match[1].replace(/\s+/g, ""));
}
