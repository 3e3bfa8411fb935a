/**
 * The client's in-memory session cache: a bounded map from `"<serverName>:<port>"` to the latest ticket,
 * least recently used first out, tickets dropped once their lifetime has passed. One instance, made on
 * first use, is the default `sessionCache` of every client connection of the process.
 *
 * @module
 */

import type { CachedSession, SessionCache } from "../handshake/session.ts";

export type { CachedSession, SessionCache, SessionTicket } from "../handshake/session.ts";
export type { Tls12SessionTicket } from "../handshake/session12.ts";

/** Tickets kept by default: one per server, for this many servers. */
export const DEFAULT_SESSION_CACHE_CAPACITY = 256;

/** Options of {@link MemorySessionCache}. */
export interface MemorySessionCacheOptions {
  /** Servers (keys) kept at most, the least recently used dropped first; default 256. */
  capacity?: number;
  /** The clock that expires tickets (ms since the epoch); default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link SessionCache} in memory: one ticket per key (the newest), at most `capacity` keys, least recently
 * used evicted first; a ticket older than its lifetime is never returned.
 *
 * @example
 * ```ts
 * import { connectTls, MemorySessionCache } from "@subtle/tls";
 *
 * const sessionCache = new MemorySessionCache({ capacity: 16 });
 * const conn = await connectTls({ hostname: "example.com", port: 443, sessionCache });
 * ```
 */
export class MemorySessionCache implements SessionCache {
  readonly #entries = new Map<string, CachedSession>();
  readonly #capacity: number;
  readonly #now: () => number;

  /** An empty cache of `options.capacity` keys (default 256). */
  constructor(options: MemorySessionCacheOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_SESSION_CACHE_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity ${capacity} is not a positive integer`);
    }
    this.#capacity = capacity;
    this.#now = options.now ?? Date.now;
  }

  /** Keys (servers) with a ticket kept, expired ones included until they are looked up. */
  get size(): number {
    return this.#entries.size;
  }

  /** The ticket for `key` unless it has expired (then it is dropped); marks `key` as recently used. */
  get(key: string): CachedSession | undefined {
    const ticket = this.#entries.get(key);
    if (!ticket) return undefined;
    this.#entries.delete(key);
    if (this.#now() - ticket.receivedAt >= ticket.lifetime * 1000) return undefined;
    this.#entries.set(key, ticket);
    return ticket;
  }

  /** Keeps `ticket` for `key` (replacing an older one), evicting the least recently used key when full. */
  set(key: string, ticket: CachedSession): void {
    this.#entries.delete(key);
    this.#entries.set(key, ticket);
    while (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Forgets the ticket of `key`. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every ticket. */
  clear(): void {
    this.#entries.clear();
  }
}

let shared: MemorySessionCache | undefined;

/**
 * The session cache that client connections use when their options name none: a {@link MemorySessionCache}
 * of 256 servers, made on first use and shared by the whole process. `clear()` it to forget every session.
 *
 * @example
 * ```ts
 * import { defaultSessionCache } from "@subtle/tls";
 *
 * defaultSessionCache().clear(); // e.g. after the trust settings changed
 * ```
 */
export function defaultSessionCache(): MemorySessionCache {
  shared ??= new MemorySessionCache();
  return shared;
}
