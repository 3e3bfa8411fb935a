/**
 * The `trace` option: structured events as a connection runs — handshake messages with their decoded public
 * fields, keys installed (by label only), alerts, and the time each happened. Never key material.
 *
 * @module
 */

import type { MessageSummary } from "../handshake/describe.ts";

/** Which way something went: from this side (`"sent"`) or from the peer (`"received"`). */
export type TraceDirection = "sent" | "received";

/** One trace event. `time` is milliseconds since the connection's engine was created. */
export type TraceEvent =
  | {
    readonly kind: "message";
    readonly time: number;
    readonly direction: TraceDirection;
    readonly message: MessageSummary;
  }
  | { readonly kind: "change_cipher_spec"; readonly time: number; readonly direction: TraceDirection }
  | {
    /** A secret was derived; only its RFC label and length are reported. */
    readonly kind: "secret";
    readonly time: number;
    readonly label: string;
    readonly length: number;
  }
  | {
    /** Record protection switched for one direction (`"read"` or `"write"`). */
    readonly kind: "keys";
    readonly time: number;
    readonly direction: "read" | "write";
  }
  | {
    readonly kind: "alert";
    readonly time: number;
    readonly direction: TraceDirection;
    readonly alert: string;
  }
  | { readonly kind: "handshake_complete"; readonly time: number };

/**
 * Receives trace events; it must not throw (a throwing tracer is ignored).
 *
 * @example
 * ```ts
 * import { connectTls, type Tracer } from "@subtle/tls";
 *
 * const trace: Tracer = (event) => {
 *   if (event.kind === "message") console.log(event.time, event.direction, event.message.type);
 *   else if (event.kind === "secret") console.log(event.time, "derived", event.label, event.length);
 * };
 * const conn = await connectTls({ hostname: "example.com", port: 443, trace });
 * ```
 */
export type Tracer = (event: TraceEvent) => void;
