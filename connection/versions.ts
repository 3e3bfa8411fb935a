/**
 * The protocol versions and cipher suites of the options, for both roles: `minVersion`/`maxVersion` (TLS 1.2 to
 * TLS 1.3 by default) and `cipherSuites`, which may name TLS 1.3 and TLS 1.2 suites in one list. A version is
 * enabled when it is in the range and at least one of its suites is; the TLS 1.2 settings of the handshake
 * (`Tls12ClientConfig`, `Tls12ServerConfig`) are made here.
 *
 * Static RSA key transport (`TLS_RSA_WITH_*`, no forward secrecy) is offered by a client only when the user
 * names such a suite, and never by a server.
 *
 * @module
 */

import { TlsError } from "../errors.ts";
import {
  type CipherSuiteName,
  TLS12_SUITES,
  type Tls12CipherSuiteName,
  type Tls12Suite,
  TLS13_SUITES,
  type Tls13Suite,
} from "../handshake/constants.ts";
import type { Tls12ClientConfig, Tls12ServerConfig } from "../handshake/config12.ts";
import { DEFAULT_TICKET_LIFETIME, type SessionTicketKeys } from "../handshake/ticket_keys.ts";
import type { TlsVersion } from "./options.ts";

/** The default `minVersion`, for both roles. */
export const DEFAULT_MIN_VERSION: TlsVersion = "TLSv1.2";
/** The default `maxVersion`, for both roles. */
export const DEFAULT_MAX_VERSION: TlsVersion = "TLSv1.3";

/** The TLS 1.2 suites used when `cipherSuites` is not given: the ECDHE ones (forward secrecy). */
const DEFAULT_TLS12_SUITES: readonly Tls12Suite[] = TLS12_SUITES.filter((s) => s.keyExchange !== "RSA");

const RANK: Readonly<Record<TlsVersion, number>> = { "TLSv1.2": 2, "TLSv1.3": 3 };

/** The options this module reads. */
export interface VersionOptions {
  /** Lowest version to negotiate. */
  minVersion?: TlsVersion;
  /** Highest version to negotiate. */
  maxVersion?: TlsVersion;
  /** Suites of either version by IANA name, in preference order. */
  cipherSuites?: readonly (CipherSuiteName | Tls12CipherSuiteName)[];
}

/** The enabled versions and their suites; a version is off when its list is empty. */
export interface ResolvedVersions {
  /** TLS 1.3 suites in preference order; empty: TLS 1.3 is off. */
  readonly suites13: readonly Tls13Suite[];
  /** TLS 1.2 suites in preference order; empty: TLS 1.2 is off. */
  readonly suites12: readonly Tls12Suite[];
}

function checkVersion(name: "minVersion" | "maxVersion", value: TlsVersion): void {
  if (!Object.hasOwn(RANK, value)) {
    throw new TlsError(`unknown ${name} ${JSON.stringify(value)}: "TLSv1.2" or "TLSv1.3"`);
  }
}

/**
 * Checks `minVersion`, `maxVersion` and `cipherSuites` and returns the suites of each enabled version. Throws
 * a `TlsError` for an unknown version or suite, a minVersion above maxVersion, a `TLS_RSA_*` suite on a
 * server, or a list that leaves no version enabled.
 */
export function resolveVersions(options: VersionOptions, role: "client" | "server"): ResolvedVersions {
  const min = options.minVersion ?? DEFAULT_MIN_VERSION;
  const max = options.maxVersion ?? DEFAULT_MAX_VERSION;
  checkVersion("minVersion", min);
  checkVersion("maxVersion", max);
  if (RANK[min] > RANK[max]) throw new TlsError(`minVersion ${min} is above maxVersion ${max}`);
  const tls13 = RANK[max] >= 3;
  const tls12 = RANK[min] <= 2;
  const names = options.cipherSuites;
  if (!names) {
    return { suites13: tls13 ? TLS13_SUITES : [], suites12: tls12 ? DEFAULT_TLS12_SUITES : [] };
  }
  if (names.length === 0) throw new TlsError("cipherSuites is empty");
  const suites13: Tls13Suite[] = [];
  const suites12: Tls12Suite[] = [];
  for (const name of names) {
    const suite13 = TLS13_SUITES.find((s) => s.name === name);
    const suite12 = TLS12_SUITES.find((s) => s.name === name);
    if (suite13) {
      if (!suites13.includes(suite13)) suites13.push(suite13);
    } else if (suite12) {
      if (suite12.keyExchange === "RSA" && role === "server") {
        throw new TlsError(
          `${name} (static RSA key transport, without forward secrecy) is for clients talking to old servers; a server never offers it`,
        );
      }
      if (!suites12.includes(suite12)) suites12.push(suite12);
    } else {
      throw new TlsError(`unsupported cipher suite ${name}`);
    }
  }
  const resolved = { suites13: tls13 ? suites13 : [], suites12: tls12 ? suites12 : [] };
  if (resolved.suites13.length === 0 && resolved.suites12.length === 0) {
    throw new TlsError(
      `cipherSuites names no suite of the enabled versions (${tls12 ? "TLS 1.2" : ""}${
        tls12 && tls13 ? ", " : ""
      }${tls13 ? "TLS 1.3" : ""})`,
    );
  }
  return resolved;
}

/** The TLS 1.2 client settings, when TLS 1.2 is enabled. */
export function clientTls12Config(
  versions: ResolvedVersions,
  requireExtendedMasterSecret: boolean | undefined,
): Tls12ClientConfig | undefined {
  if (versions.suites12.length === 0) return undefined;
  return {
    suites: versions.suites12,
    requireExtendedMasterSecret: requireExtendedMasterSecret ?? true,
    offeredTls13: versions.suites13.length > 0,
    sessionTickets: true,
  };
}

/**
 * The TLS 1.2 server settings, when TLS 1.2 is enabled. Session tickets are issued when the server issues
 * TLS 1.3 ones (`ticketKeys`, the `sessionTickets` option), sealed by the same keys under a label of their
 * own (`ticket_keys.ts`): a ticket of one version never opens as one of the other, and a `SessionTicketKeys`
 * shared between listeners or `acceptTls` calls resumes TLS 1.2 sessions too.
 */
export function serverTls12Config(
  versions: ResolvedVersions,
  requireExtendedMasterSecret: boolean | undefined,
  ticketKeys: SessionTicketKeys | undefined,
): Tls12ServerConfig | undefined {
  if (versions.suites12.length === 0) return undefined;
  return {
    suites: versions.suites12,
    requireExtendedMasterSecret: requireExtendedMasterSecret ?? true,
    supportsTls13: versions.suites13.length > 0,
    ticketKeys,
    ticketLifetime: ticketKeys?.lifetime ?? DEFAULT_TICKET_LIFETIME,
  };
}
