/**
 * Option checks shared by the client and the server entry points: groups, ALPN names and PEM certificate
 * lists (protocol versions and cipher suites: `versions.ts`).
 *
 * @module
 */

import type { GroupName } from "../crypto/provider.ts";
import { TlsError } from "../errors.ts";

/** A TLS protocol version name. */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** The groups this library implements, in its default preference order. */
export const DEFAULT_GROUPS: readonly GroupName[] = [
  "X25519MLKEM768",
  "X25519",
  "P-256",
  "P-384",
  "P-521",
  "X448",
];
const ALL_GROUPS = new Set<GroupName>(DEFAULT_GROUPS);

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
