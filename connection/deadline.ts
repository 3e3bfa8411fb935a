/**
 * Bounding a handshake in time: `handshakeTimeout` and `signal`, for both the client (`connectTls`,
 * `startTls`) and the server (`acceptTls`, `listenTls`). A peer that stalls or trickles bytes (slowloris)
 * cannot hold a connection, or the task waiting on it, past the deadline.
 *
 * @module
 */

import { TlsError } from "../errors.ts";

/** The client's default `handshakeTimeout`: 30 s (a server stalling a client is cut off, a slow link is not). */
export const DEFAULT_CLIENT_HANDSHAKE_TIMEOUT = 30_000;

/** Checks a `handshakeTimeout` option: a finite number of milliseconds, 0 for none. */
export function checkHandshakeTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs === undefined) return;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`handshakeTimeout must be a number of milliseconds ≥ 0, not ${timeoutMs}`);
  }
}

/** How a connection bounds its handshake. */
export interface HandshakeDeadline {
  /** Milliseconds the handshake may take; 0 or absent: no limit. */
  readonly timeoutMs?: number;
  /** Aborting it fails the handshake with the signal's reason. */
  readonly signal?: AbortSignal;
  /** False: the timer does not keep the event loop alive (for an unref'd listener). Default true. */
  readonly refTimer?: boolean;
}

/**
 * Arms `deadline`: `expire` is called once, with a `TlsError` when the time is up or with the signal's
 * reason when it aborts (at once when it is already aborted). Returns the function that disarms it.
 */
export function armDeadline(deadline: HandshakeDeadline, expire: (reason: unknown) => void): () => void {
  const { timeoutMs = 0, signal, refTimer = true } = deadline;
  let done = false;
  const fire = (reason: unknown) => {
    if (done) return;
    disarm();
    expire(reason);
  };
  const timer = timeoutMs > 0
    ? setTimeout(
      () => fire(new TlsError(`the TLS handshake did not complete within ${timeoutMs} ms`)),
      timeoutMs,
    )
    : undefined;
  if (timer !== undefined && !refTimer) Deno.unrefTimer(timer);
  const onAbort = () => fire(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const disarm = () => {
    done = true;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
  if (signal?.aborted) fire(signal.reason);
  return disarm;
}
