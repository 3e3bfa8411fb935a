/**
 * Bounding a handshake in time: `handshakeTimeout` and `signal`, for both the client (`connectTls`,
 * `startTls`) and the server (`acceptTls`, `listenTls`). A peer that stalls or trickles bytes (slowloris)
 * cannot hold a connection, or the task waiting on it, past the deadline.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import type { TlsConn } from "./conn.ts";

/** The client's default `handshakeTimeout`: 30 s (a server stalling a client is cut off, a slow link is not). */
export const DEFAULT_CLIENT_HANDSHAKE_TIMEOUT = 30_000;

/** Checks a `handshakeTimeout` option: a finite number of milliseconds, 0 for none. */
export function checkHandshakeTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs === undefined) return;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new TlsError(`handshakeTimeout must be a number of milliseconds ≥ 0, not ${timeoutMs}`);
  }
}

/**
 * Completes `conn`'s handshake within `timeoutMs` (0: no limit) or until `signal` aborts; on either the
 * connection is closed and the promise rejects — with a `TlsError` for the timeout, with `signal.reason` for
 * an abort (also when the signal was aborted before the call). With `refTimer` false the timer does not keep
 * the event loop alive (for an unref'd listener).
 *
 * @example
 * ```ts ignore
 * await handshakeWithin(conn, 10_000, AbortSignal.timeout(5_000));
 * ```
 */
export async function handshakeWithin(
  conn: TlsConn,
  timeoutMs: number,
  signal?: AbortSignal,
  refTimer = true,
): Promise<void> {
  if (signal?.aborted) {
    conn.close();
    throw signal.reason;
  }
  if (timeoutMs <= 0 && !signal) {
    await conn.handshake();
    return;
  }
  const { promise, reject } = Promise.withResolvers<never>();
  const stop = (reason: unknown) => {
    conn.close();
    reject(reason);
  };
  const timer = timeoutMs > 0
    ? setTimeout(
      () => stop(new TlsError(`the TLS handshake did not complete within ${timeoutMs} ms`)),
      timeoutMs,
    )
    : undefined;
  if (timer !== undefined && !refTimer) Deno.unrefTimer(timer);
  const onAbort = () => stop(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([conn.handshake(), promise]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    conn.handshake().catch(() => {});
  }
}
