/**
 * `connectTls` and `startTls`: the client entry points, and the checking and defaulting of their options.
 *
 * @module
 */

import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsError } from "../errors.ts";
import type { ClientConfig, VerifyPeer } from "../handshake/client_config.ts";
import { type CipherSuiteName, TLS13_SUITES } from "../handshake/constants.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { TlsConn } from "./conn.ts";
import { TlsEngine } from "./engine.ts";
import { startClientHandshake } from "../handshake/client13_hello.ts";
import { type StreamPair, toByteTransport } from "./transport.ts";

/** A TLS protocol version name. */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

/** Options of `startTls` (and of `connectTls`, which adds `hostname` and `port`). */
export interface StartTlsOptions {
  /**
   * The server name: sent as SNI and matched against the certificate. Defaults to `hostname`. An IP literal
   * sends no SNI and is matched against the certificate's IP addresses.
   */
  serverName?: string;
  /** Trusted CA certificates in PEM form. Replaces the default trust store. */
  caCerts?: string[];
  /** ALPN protocols to offer, in preference order (e.g. `["h2", "http/1.1"]`). */
  alpnProtocols?: string[];
  /**
   * Proceed even when the server certificate fails verification. **Insecure**: anyone on the path can then
   * impersonate the server. The chain is still reported and `verifyPeer` still runs, with the error.
   */
  unsafelyIgnoreCertificateErrors?: boolean;
  /** Runs after the built-in certificate checks; throwing rejects the handshake with `bad_certificate`. */
  verifyPeer?: VerifyPeer;
  /** Lowest version to negotiate (default `"TLSv1.3"`; TLS 1.2 is not implemented yet). */
  minVersion?: TlsVersion;
  /** Highest version to negotiate (default `"TLSv1.3"`). */
  maxVersion?: TlsVersion;
  /** Cipher suites to offer by IANA name, in preference order. */
  cipherSuites?: CipherSuiteName[];
  /** Key-exchange groups to offer, in preference order (default X25519MLKEM768, X25519, P-256, P-384). */
  groups?: GroupName[];
  /** Called with each NSS key-log line (for Wireshark). Handle with care: it carries the traffic secrets. */
  keyLog?: (line: string) => void;
  /** Aborts the handshake. */
  signal?: AbortSignal;
}

/** Options of `connectTls`. */
export interface ConnectTlsOptions extends StartTlsOptions {
  /** Host to connect to (default `"127.0.0.1"`). */
  hostname?: string;
  /** Port to connect to. */
  port: number;
}

/** Internal knobs for tests: a deterministic provider, a fixed clock, RFC 8448 reproduction. */
export interface ClientTestOptions {
  crypto?: CryptoProvider;
  now?: () => Date;
  middleboxCompat?: boolean;
  customizeClientHello?: ClientConfig["customizeClientHello"];
}

const DEFAULT_GROUPS: readonly GroupName[] = ["X25519MLKEM768", "X25519", "P-256", "P-384"];
const ALL_GROUPS = new Set<GroupName>(DEFAULT_GROUPS);
const SYSTEM_CA_FILES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

/** True for an IPv4 or IPv6 literal. */
export function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

async function defaultTrustStore(): Promise<string[]> {
  for (const file of SYSTEM_CA_FILES) {
    try {
      return [await Deno.readTextFile(file)];
    } catch {
      // try the next location
    }
  }
  return [];
}

function splitPem(pems: readonly string[]): string[] {
  const out: string[] = [];
  for (const pem of pems) {
    out.push(...(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []));
  }
  return out;
}

/** Checks and defaults the options into the handshake configuration. */
export async function resolveClientConfig(
  options: StartTlsOptions & { hostname?: string },
  test: ClientTestOptions = {},
): Promise<ClientConfig> {
  const crypto = test.crypto ?? webCrypto;
  const minVersion = options.minVersion ?? "TLSv1.3";
  const maxVersion = options.maxVersion ?? "TLSv1.3";
  if (maxVersion !== "TLSv1.3") {
    throw new TlsError("TLS 1.2 is not supported yet: maxVersion must be \"TLSv1.3\"");
  }
  if (minVersion !== "TLSv1.3" && minVersion !== "TLSv1.2") throw new TlsError(`unknown minVersion ${minVersion}`);
  const suites = options.cipherSuites
    ? options.cipherSuites.map((name) => {
      const suite = TLS13_SUITES.find((s) => s.name === name);
      if (!suite) throw new TlsError(`unsupported cipher suite ${name}`);
      return suite;
    })
    : TLS13_SUITES;
  if (suites.length === 0) throw new TlsError("cipherSuites is empty");
  const groups = options.groups ?? DEFAULT_GROUPS;
  for (const g of groups) if (!ALL_GROUPS.has(g)) throw new TlsError(`unsupported group ${g}`);
  if (groups.length === 0) throw new TlsError("groups is empty");
  if (new Set(groups).size !== groups.length) throw new TlsError("groups has duplicates");
  // A share for the first group; with the hybrid first, a classical X25519 share beside it.
  const keyShareGroups = groups[0] === "X25519MLKEM768" && groups.includes("X25519")
    ? [groups[0], "X25519" as const]
    : [groups[0]];
  let serverName = options.serverName ?? options.hostname ?? "127.0.0.1";
  if (serverName.startsWith("[") && serverName.endsWith("]")) serverName = serverName.slice(1, -1);
  if (serverName.length === 0) throw new TlsError("serverName is empty");
  const alpnProtocols = options.alpnProtocols ?? [];
  for (const p of alpnProtocols) {
    if (p.length === 0 || p.length > 255) throw new TlsError(`ALPN protocol name of length ${p.length}`);
  }
  const caCerts = splitPem(options.caCerts ?? await defaultTrustStore());
  return {
    crypto,
    serverName,
    sni: isIpLiteral(serverName) ? undefined : serverName.replace(/\.$/, ""),
    suites,
    groups,
    keyShareGroups,
    alpnProtocols,
    verifier: createCertificateVerifier({ caCerts, crypto }),
    unsafelyIgnoreCertificateErrors: options.unsafelyIgnoreCertificateErrors ?? false,
    verifyPeer: options.verifyPeer,
    now: test.now ?? (() => new Date()),
    middleboxCompat: test.middleboxCompat ?? true,
    customizeClientHello: test.customizeClientHello,
  };
}

async function handshakeWithSignal(conn: TlsConn, signal: AbortSignal | undefined): Promise<TlsConn> {
  if (!signal) {
    await conn.handshake();
    return conn;
  }
  signal.throwIfAborted();
  const { promise, reject } = Promise.withResolvers<never>();
  const onAbort = () => {
    conn.close();
    reject(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([conn.handshake(), promise]);
    return conn;
  } finally {
    signal.removeEventListener("abort", onAbort);
    conn.handshake().catch(() => {});
  }
}

/**
 * Starts TLS over an existing transport — a `Deno.Conn` or any readable/writable pair of byte streams — and
 * completes the handshake.
 *
 * @example
 * ```ts ignore
 * const tcp = await Deno.connect({ hostname: "example.com", port: 443 });
 * const conn = await startTls(tcp, { serverName: "example.com" });
 * ```
 */
export async function startTls(
  transport: Deno.Conn | StreamPair,
  options: StartTlsOptions & { hostname?: string } = {},
  test: ClientTestOptions = {},
): Promise<TlsConn> {
  const t = toByteTransport(transport);
  let config: ClientConfig;
  try {
    config = await resolveClientConfig(options, test);
  } catch (e) {
    t.close();
    throw e;
  }
  const engine = new TlsEngine({
    crypto: config.crypto,
    begin: (io) => startClientHandshake(config, io),
    keyLog: options.keyLog,
  });
  return await handshakeWithSignal(new TlsConn(engine, t), options.signal);
}

/**
 * Connects to `hostname:port` over TCP and completes a TLS handshake, verifying the server's certificate.
 *
 * @example
 * ```ts ignore
 * import { connectTls } from "./mod.ts";
 * const conn = await connectTls({ hostname: "example.com", port: 443 });
 * const info = await conn.handshake();
 * console.log(info.protocol, info.cipherSuite);
 * conn.close();
 * ```
 */
export async function connectTls(options: ConnectTlsOptions): Promise<TlsConn> {
  options.signal?.throwIfAborted();
  const hostname = options.hostname ?? "127.0.0.1";
  const tcp = await Deno.connect({ hostname: hostname.replace(/^\[|\]$/g, ""), port: options.port });
  return await startTls(tcp, { ...options, hostname });
}
