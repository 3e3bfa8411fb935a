/**
 * Option checks shared by the client and the server entry points: protocol versions, cipher suites, groups,
 * ALPN names and PEM certificate lists.
 *
 * @module
 */

import type { GroupName } from "../crypto/provider.ts";
import { TlsError } from "../errors.ts";
import { type CipherSuiteName, TLS13_SUITES, type Tls13Suite } from "../handshake/constants.ts";

/** A TLS protocol version name. */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** The groups this library implements, in its default preference order. */
export const DEFAULT_GROUPS: readonly GroupName[] = ["X25519MLKEM768", "X25519", "P-256", "P-384"];
const ALL_GROUPS = new Set<GroupName>(DEFAULT_GROUPS);

/** Checks `minVersion`/`maxVersion`; only TLS 1.3 can be negotiated for now. */
export function checkVersions(minVersion: TlsVersion = "TLSv1.3", maxVersion: TlsVersion = "TLSv1.3"): void {
  if (maxVersion !== "TLSv1.3") {
    throw new TlsError('TLS 1.2 is not supported yet: maxVersion must be "TLSv1.3"');
  }
  if (minVersion !== "TLSv1.3" && minVersion !== "TLSv1.2") {
    throw new TlsError(`unknown minVersion ${minVersion}`);
  }
}

/** The suites named by `names` in that order, or every implemented suite. */
export function resolveSuites(names: readonly CipherSuiteName[] | undefined): readonly Tls13Suite[] {
  if (!names) return TLS13_SUITES;
  const suites = names.map((name) => {
    const suite = TLS13_SUITES.find((s) => s.name === name);
    if (!suite) throw new TlsError(`unsupported cipher suite ${name}`);
    return suite;
  });
  if (suites.length === 0) throw new TlsError("cipherSuites is empty");
  return suites;
}

/** Checks a group preference list (implemented, not empty, no duplicates), or gives the default. */
export function resolveGroups(groups: readonly GroupName[] | undefined): readonly GroupName[] {
  if (!groups) return DEFAULT_GROUPS;
  for (const g of groups) if (!ALL_GROUPS.has(g)) throw new TlsError(`unsupported group ${g}`);
  if (groups.length === 0) throw new TlsError("groups is empty");
  if (new Set(groups).size !== groups.length) throw new TlsError("groups has duplicates");
  return groups;
}

/** Checks ALPN protocol names: 1 to 255 bytes each (RFC 7301 §3.1). */
export function resolveAlpn(protocols: readonly string[] | undefined): readonly string[] {
  for (const p of protocols ?? []) {
    if (p.length === 0 || p.length > 255) throw new TlsError(`ALPN protocol name of length ${p.length}`);
  }
  return protocols ?? [];
}

/** Every `CERTIFICATE` PEM block in `pems`, each as its own PEM string. */
export function splitPem(pems: readonly string[]): string[] {
  const out: string[] = [];
  for (const pem of pems) {
    out.push(...(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []));
  }
  return out;
}
