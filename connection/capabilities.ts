/**
 * Fits the suites and groups of the options to what the platform's WebCrypto can do (older Chromium releases
 * lack ChaCha20-Poly1305 and ML-KEM, for instance): by default whatever is missing is left out;
 * named explicitly, a missing one is a clear `TlsError`.
 *
 * @module
 */

import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { TlsError } from "../errors.ts";
import type { ResolvedVersions } from "./versions.ts";

/** The resolved versions and groups, keeping only what `crypto` can run. */
export async function fitToPlatform(
  crypto: CryptoProvider,
  versions: ResolvedVersions,
  groups: readonly GroupName[],
  explicit: { readonly cipherSuites?: unknown; readonly groups?: unknown },
): Promise<{ versions: ResolvedVersions; groups: readonly GroupName[] }> {
  const { aeads, groups: available } = await crypto.capabilities();
  const all = [...versions.suites13, ...versions.suites12];
  if (explicit.cipherSuites !== undefined) {
    const missing = all.find((s) => !aeads.includes(s.aead));
    if (missing) {
      throw new TlsError(
        `cipher suite ${missing.name} is not available: this platform's WebCrypto has no ${missing.aead} ` +
          `(it has ${aeads.join(", ") || "no AEAD"})`,
      );
    }
  }
  if (explicit.groups !== undefined) {
    const missing = groups.find((g) => !available.includes(g));
    if (missing) {
      throw new TlsError(
        `group ${missing} is not available on this platform's WebCrypto (it has ${
          available.join(", ") || "none"
        })`,
      );
    }
  }
  const fitted: ResolvedVersions = {
    ...versions,
    suites13: versions.suites13.filter((s) => aeads.includes(s.aead)),
    suites12: versions.suites12.filter((s) => aeads.includes(s.aead)),
  };
  const usable = groups.filter((g) => available.includes(g));
  if (fitted.suites13.length + fitted.suites12.length === 0) {
    throw new TlsError("no cipher suite can run on this platform's WebCrypto");
  }
  if (usable.length === 0) throw new TlsError("no key-exchange group can run on this platform's WebCrypto");
  return { versions: fitted, groups: usable };
}
