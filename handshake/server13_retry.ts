/**
 * RFC 8446 §4.1.2: the ClientHello that answers a HelloRetryRequest is the first one, unchanged but for what
 * the RFC lets a client change — key_share (replaced by a share for the requested group), cookie (added when
 * the HelloRetryRequest had one), early_data (removed), pre_shared_key (updated) and padding (added, removed
 * or resized). Every other field and extension comes back with the same value, in the same order.
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { abort } from "./checks.ts";
import { ExtensionType, nameOf } from "./constants.ts";
import type { ClientHello, Extension } from "./messages.ts";

/** The extensions a second ClientHello may change, add or leave out (RFC 8446 §4.1.2). */
const MAY_CHANGE: ReadonlySet<number> = new Set([
  ExtensionType.key_share,
  ExtensionType.cookie,
  ExtensionType.early_data,
  ExtensionType.pre_shared_key,
  ExtensionType.padding,
]);

function kept(extensions: readonly Extension[]): Extension[] {
  return extensions.filter((e) => !MAY_CHANGE.has(e.type));
}

/** Aborts with illegal_parameter unless `second` is `first` with only the permitted changes. */
export function checkRetriedHello(first: ClientHello, second: ClientHello): void {
  const changed = (what: string): never =>
    abort(
      "illegal_parameter",
      `the second ClientHello changes ${what}, which a HelloRetryRequest does not allow (RFC 8446 §4.1.2)`,
    );
  if (second.legacyVersion !== first.legacyVersion) changed("legacy_version");
  if (!equal(second.random, first.random)) changed("the random");
  if (!equal(second.legacySessionId, first.legacySessionId)) changed("legacy_session_id");
  if (
    second.cipherSuites.length !== first.cipherSuites.length ||
    second.cipherSuites.some((s, i) => s !== first.cipherSuites[i])
  ) {
    changed("cipher_suites");
  }
  if (!equal(second.legacyCompressionMethods, first.legacyCompressionMethods)) {
    changed("legacy_compression_methods");
  }
  const before = kept(first.extensions);
  const after = kept(second.extensions);
  for (let i = 0; i < Math.max(before.length, after.length); i++) {
    const [a, b] = [before[i], after[i]];
    if (a?.type !== b?.type) {
      changed(`its extensions (${nameOf(ExtensionType, (b ?? a).type)} added, removed or moved)`);
    }
    if (!equal(a.data, b.data)) changed(`the ${nameOf(ExtensionType, a.type)} extension`);
  }
  if (second.extensions.some((e) => e.type === ExtensionType.early_data)) {
    abort("illegal_parameter", "early_data in the ClientHello after a HelloRetryRequest (RFC 8446 §4.2.10)");
  }
}
