/**
 * The trust anchors of `caCerts`, parsed once per distinct list rather than once per connection: a client
 * that connects again and again with the same `caCerts` (the usual case) would otherwise parse every CA
 * certificate on every connection — about 0.3 ms each, as long as a whole native handshake. Like the
 * embedded Mozilla store, the parsed anchors are immutable and shared; the cache is bounded, least recently
 * used first out, and keyed by the certificates' exact PEM text.
 *
 * @module
 */

import { TrustAnchors } from "../x509/trust_store.ts";

/** Distinct `caCerts` lists kept. */
const CAPACITY = 16;

/** Parsed anchors by the PEM text of their `caCerts` list. */
export class AnchorCache {
  readonly #entries = new Map<string, TrustAnchors>();

  /** The anchors of `pems` (one certificate each, as `splitPem` gives them), parsed on first use. */
  get(pems: readonly string[]): TrustAnchors {
    const key = pems.join("\n");
    let anchors = this.#entries.get(key);
    if (anchors) {
      this.#entries.delete(key);
    } else {
      // Throws for a certificate that does not parse; nothing is cached then.
      anchors = TrustAnchors.from(pems);
      if (this.#entries.size >= CAPACITY) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, anchors);
    return anchors;
  }
}

/** The cache shared by the client connections of this process. */
export const anchorCache: AnchorCache = new AnchorCache();
