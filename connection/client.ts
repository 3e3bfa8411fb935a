/**
 * `connectTls` and `startTls`: the client entry points, and the checking and defaulting of their options.
 *
 * @module
 */

import { concat } from "../bytes.ts";
import type { CertifiedKey } from "../handshake/certified_key.ts";
import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { CertificateVerificationError, TlsError } from "../errors.ts";
import type { ClientConfig, VerifyPeer } from "../handshake/client_config.ts";
import type { CipherSuiteName, Tls12CipherSuiteName } from "../handshake/constants.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import type { CertificateVerifier } from "../x509/verifier.ts";
import { toALabel } from "../x509/names.ts";
import { mozillaTrustAnchors, systemTrustAnchors } from "../x509/trust_store.ts";
import { loadCertifiedKey } from "./certificates.ts";
import { withHints } from "./_hints.ts";
import { anchorCache } from "./_anchor_cache.ts";
import { TlsConn } from "./conn.ts";
import { TlsEngine } from "./engine.ts";
import { checkHandshakeTimeout, DEFAULT_CLIENT_HANDSHAKE_TIMEOUT } from "./deadline.ts";
import type { Tracer } from "./trace.ts";
import type { SessionCache } from "../handshake/session.ts";
import { defaultSessionCache } from "./session_cache.ts";
import { startClient } from "../handshake/client_start.ts";
import { fitToPlatform } from "./capabilities.ts";
import { resolveAlpn, resolveGroups, splitPem, type TlsVersion } from "./options.ts";
import { clientTls12Config, resolveVersions } from "./versions.ts";
import { type ByteTransport, type StreamPair, toByteTransport } from "./transport.ts";

export type { TlsVersion } from "./options.ts";

/** Options of `startTls` (and of `connectTls`, which adds `hostname` and `port`). */
export interface StartTlsOptions {
  /**
   * The server name: sent as SNI and matched against the certificate. Defaults to `hostname`. An IP literal
   * sends no SNI and is matched against the certificate's IP addresses. An internationalized name
   * (`"bücher.example"`) is sent and matched in A-label form (`"xn--bcher-kva.example"`).
   */
  serverName?: string;
  /** Trusted CA certificates in PEM form. Replaces the default trust store; not with `trustStore`. */
  caCerts?: string[];
  /**
   * The trust store used when `caCerts` is not given:
   * - `"mozilla"` (default): the Mozilla root store embedded in the library (from Debian's
   *   `ca-certificates`, see `x509/mozilla_roots.ts`); needs no file access, so `--allow-net` suffices;
   * - `"system"`: the operating system's CA bundle file (`/etc/ssl/certs/ca-certificates.crt`,
   *   `/etc/pki/tls/certs/ca-bundle.crt` or `/etc/ssl/cert.pem`), read once per process; needs
   *   `--allow-read` for it, and fails with a `TlsError` naming the files when none can be read.
   *
   * @example
   * ```ts
   * import { connectTls } from "@subtle/tls";
   *
   * const conn = await connectTls({ hostname: "intranet.example", port: 443, trustStore: "system" });
   * ```
   */
  trustStore?: "mozilla" | "system";
  /** ALPN protocols to offer, in preference order (e.g. `["h2", "http/1.1"]`). */
  alpnProtocols?: string[];
  /**
   * Proceed even when the server certificate fails verification. **Insecure**: anyone on the path can then
   * impersonate the server. The chain is still reported, `verifyPeer` still runs, with the error, and
   * `handshake()` reports the error as `ignoredCertificateError`. The first use in a process prints a
   * warning on stderr, as Deno's `--unsafely-ignore-certificate-errors` does.
   */
  unsafelyIgnoreCertificateErrors?: boolean;
  /**
   * Verify the server's certificate chain but not that it names the server (as Deno's option of the same
   * name). **Insecure**: any certificate a trusted CA issued, for any name, is accepted. For a server whose
   * certificate names another host; prefer `serverName` when the expected name is known.
   */
  unsafelyDisableHostnameVerification?: boolean;
  /** Runs after the built-in certificate checks; throwing rejects the handshake with `bad_certificate`. */
  verifyPeer?: VerifyPeer;
  /**
   * Lowest version to negotiate: `"TLSv1.2"` (default) or `"TLSv1.3"`. With TLS 1.2 enabled the ClientHello
   * also offers TLS 1.2 (and its suites), and a TLS 1.2 answer from a server that speaks TLS 1.3 — the
   * downgrade sentinel of RFC 8446 §4.1.3 — is refused with `illegal_parameter`.
   */
  minVersion?: TlsVersion;
  /** Highest version to negotiate: `"TLSv1.3"` (default) or `"TLSv1.2"` (a TLS 1.2-only ClientHello). */
  maxVersion?: TlsVersion;
  /**
   * Cipher suites to offer by IANA name, in preference order; TLS 1.3 and TLS 1.2 suites in one list. A
   * version none of whose suites is named is not offered. Default: the three TLS 1.3 suites and the six
   * TLS 1.2 ECDHE suites. `TLS_RSA_WITH_AES_128_GCM_SHA256` and `TLS_RSA_WITH_AES_256_GCM_SHA384` (static
   * RSA key transport: no forward secrecy, for old servers only) are offered only when named here.
   */
  cipherSuites?: (CipherSuiteName | Tls12CipherSuiteName)[];
  /**
   * TLS 1.2: abort unless the server negotiates the extended master secret (RFC 7627), which it always
   * offers; default `true`. Without it a TLS 1.2 session is open to the triple handshake attack.
   */
  requireExtendedMasterSecret?: boolean;
  /** Key-exchange groups to offer, in preference order (default X25519MLKEM768, X25519, P-256, P-384, P-521, X448). */
  groups?: GroupName[];
  /** Called with each NSS key-log line (for Wireshark). Handle with care: it carries the traffic secrets. */
  keyLog?: (line: string) => void;
  /**
   * Receives structured trace events: each handshake message with its decoded public fields, secrets derived
   * (label and length only), key changes, alerts, and timings. Never key material.
   */
  trace?: Tracer;
  /**
   * The client certificate chain (PEM, leaf first), sent when the server asks for one with a
   * CertificateRequest whose signature algorithms (and CA names, when it lists them) fit; with `key`.
   */
  cert?: string;
  /** The private key of `cert` (PEM: PKCS #8, PKCS #1 or SEC 1). */
  key?: string;
  /**
   * Where TLS 1.3 session tickets are kept, keyed by `"<serverName>:<port>"` (port 0 over a stream pair; with
   * `cert`, followed by `#` and a hash of the client chain, so no session crosses client identities), to
   * resume later connections to the same server without its certificate chain and signature (RFC 8446 §2.2;
   * `handshake()` then reports `resumed: true`). Default: {@link defaultSessionCache}, one bounded in-memory
   * cache shared by the connections of the process; `null`: no resumption. A ticket is used once; it is
   * offered only if the server certificates it records pass this connection's verification again
   * (trust anchors, name, validity, `verifyPeer`). Tickets arrive after the handshake, with the server's
   * first data: a connection that never reads gets none (unless they come while its `close()` waits for the
   * server's close_notify). TLS 1.2 sessions (RFC 5077 tickets, which arrive
   * within the handshake) are kept in the same cache under the same key, by the same rules, and may be
   * offered more than once.
   *
   * @example
   * ```ts
   * import { connectTls, MemorySessionCache } from "@subtle/tls";
   *
   * const sessionCache = new MemorySessionCache({ capacity: 16 });
   * const first = await connectTls({ hostname: "example.com", port: 443, sessionCache });
   * await new Response(first.readable).text(); // reading is what receives the tickets
   * first.close();
   * const second = await connectTls({ hostname: "example.com", port: 443, sessionCache });
   * console.log((await second.handshake()).resumed); // true when the server accepted the ticket
   * ```
   */
  sessionCache?: SessionCache | null;
  /**
   * Milliseconds the handshake may take before the connection is closed and `handshake()` (and the first
   * `read`/`write`) rejects with a `TlsError` (default 30 000; 0: no limit). A server that stalls or
   * trickles its flight is cut off.
   */
  handshakeTimeout?: number;
  /**
   * Aborts the handshake: the connection is closed and `handshake()` (and the first `read`/`write`) rejects
   * with the signal's reason; already aborted, the call itself rejects with it.
   */
  signal?: AbortSignal;
}

/**
 * Options of `connectTls`: where to connect, and the options of {@link StartTlsOptions}.
 *
 * @example
 * ```ts
 * import { connectTls, type ConnectTlsOptions } from "@subtle/tls";
 *
 * const options: ConnectTlsOptions = {
 *   hostname: "10.0.0.5",
 *   port: 8443,
 *   serverName: "api.internal.example", // the name in the certificate, when it differs from hostname
 *   caCerts: [await Deno.readTextFile("internal-ca.pem")],
 *   minVersion: "TLSv1.3",
 *   handshakeTimeout: 5_000,
 * };
 * const conn = await connectTls(options);
 * ```
 */
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
  /** How long `close()` lingers (default `CLOSE_LINGER_MS`). */
  lingerMs?: number;
}

/** True for an IPv4 or IPv6 literal. */
export function isIpLiteral(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

/** The unsafe options whose warning this process has printed: each warns once, as Deno's own unsafe flags do. */
const warned = new Set<string>();

/** Prints the warning of an unsafe option, once per process. */
function warnUnsafe(option: string, consequence: string): void {
  if (warned.has(option)) return;
  warned.add(option);
  console.warn(`DANGER: ${option} is set (@subtle/tls): ${consequence}`);
}

/**
 * `verifier`, remembering the error of its latest server chain verification: the chain a connection relies
 * on is the one verified last — a ticket's, rechecked before it is offered, or the one the server sends in a
 * full handshake — and with `unsafelyIgnoreCertificateErrors` `handshake()` reports its error.
 */
function rememberingLastError(
  verifier: CertificateVerifier,
): { verifier: CertificateVerifier; lastError: () => CertificateVerificationError | undefined } {
  let last: CertificateVerificationError | undefined;
  return {
    verifier: {
      ...verifier,
      verifyServer: async (request) => {
        try {
          const verified = await verifier.verifyServer(request);
          last = undefined;
          return verified;
        } catch (e) {
          last = e instanceof CertificateVerificationError ? e : undefined;
          throw e;
        }
      },
    },
    lastError: () => last,
  };
}

/** The server name to verify and send, checked: a `TypeError` for one that cannot be a host name. */
function checkServerName(serverName: string): string {
  if (serverName.startsWith("[") && serverName.endsWith("]")) serverName = serverName.slice(1, -1);
  if (serverName.length === 0) throw new TypeError("serverName is empty");
  const octets = /^\d+(\.\d+){3}$/.test(serverName) ? serverName.split(".").map(Number) : [];
  if (octets.some((o) => o > 255)) throw new TypeError(`Invalid hostname: '${serverName}'`);
  return serverName;
}

/**
 * The session cache key: `"<serverName>:<port>"`, and, when a client certificate is configured, a hash of its
 * chain after `#`, so that a session made under one client identity (or none) is never resumed under another:
 * the server would otherwise see the earlier connection's identity.
 */
async function sessionCacheKey(
  crypto: CryptoProvider,
  serverName: string,
  port: number,
  clientCertificate: CertifiedKey | undefined,
): Promise<string> {
  const base = `${serverName}:${port}`;
  if (!clientCertificate) return base;
  const digest = await crypto.hash("SHA-256", concat(...clientCertificate.chain));
  return `${base}#${digest.subarray(0, 16).toHex()}`;
}

/** Checks and defaults the options into the handshake configuration. */
export async function resolveClientConfig(
  options: StartTlsOptions & { hostname?: string; port?: number },
  test: ClientTestOptions = {},
): Promise<ClientConfig> {
  const crypto = test.crypto ?? webCrypto;
  checkHandshakeTimeout(options.handshakeTimeout);
  const { versions, groups } = await fitToPlatform(
    crypto,
    resolveVersions(options, "client"),
    resolveGroups(options.groups),
    options,
  );
  // A share for the first group; with the hybrid first, a classical X25519 share beside it.
  const keyShareGroups = groups[0] === "X25519MLKEM768" && groups.includes("X25519")
    ? [groups[0], "X25519" as const]
    : [groups[0]];
  const serverName = checkServerName(options.serverName ?? options.hostname ?? "127.0.0.1");
  const alpnProtocols = resolveAlpn(options.alpnProtocols);
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TlsError("cert and key must be given together");
  }
  const clientCertificate = options.cert !== undefined && options.key !== undefined
    ? await loadCertifiedKey(crypto, options.cert, options.key, "cert/key")
    : undefined;
  if (options.caCerts !== undefined && options.trustStore !== undefined) {
    throw new TlsError("caCerts replaces the trust store: give caCerts or trustStore, not both");
  }
  if (
    options.trustStore !== undefined && options.trustStore !== "mozilla" && options.trustStore !== "system"
  ) {
    throw new TlsError(`trustStore must be "mozilla" or "system", not ${JSON.stringify(options.trustStore)}`);
  }
  // The built-in stores are parsed once per process and shared; caCerts once per distinct list.
  const caCerts = options.caCerts !== undefined
    ? anchorCache.get(splitPem(options.caCerts))
    : options.trustStore === "system"
    ? await systemTrustAnchors()
    : mozillaTrustAnchors();
  let sni: string | undefined;
  if (!isIpLiteral(serverName)) {
    try {
      sni = toALabel(serverName).replace(/\.$/, "");
    } catch (e) {
      throw new TypeError(`serverName: ${(e as Error).message}`, { cause: e });
    }
  }
  // Errors name the options that fix them (caCerts, serverName, …).
  const hinted = withHints(createCertificateVerifier({ caCerts, crypto }));
  if (options.unsafelyDisableHostnameVerification) {
    warnUnsafe(
      "unsafelyDisableHostnameVerification",
      "a certificate from a trusted CA is accepted whatever name it is for",
    );
  }
  const nameChecked: CertificateVerifier = options.unsafelyDisableHostnameVerification
    ? { ...hinted, verifyServer: (request) => hinted.verifyServer({ ...request, serverName: undefined }) }
    : hinted;
  let verifier = nameChecked;
  let ignoredCertificateError: (() => CertificateVerificationError | undefined) | undefined;
  if (options.unsafelyIgnoreCertificateErrors) {
    warnUnsafe(
      "unsafelyIgnoreCertificateErrors",
      "server certificates are accepted when their verification fails: anyone on the path can impersonate " +
        "the server",
    );
    ({ verifier, lastError: ignoredCertificateError } = rememberingLastError(nameChecked));
  }
  return {
    crypto,
    serverName,
    sni,
    suites: versions.suites13,
    groups,
    keyShareGroups,
    alpnProtocols,
    verifier,
    unsafelyIgnoreCertificateErrors: options.unsafelyIgnoreCertificateErrors ?? false,
    ignoredCertificateError,
    verifyPeer: options.verifyPeer,
    clientCertificate,
    now: test.now ?? (() => new Date()),
    middleboxCompat: test.middleboxCompat ?? true,
    sessionCache: options.sessionCache === null ? undefined : options.sessionCache ?? defaultSessionCache(),
    sessionKey: await sessionCacheKey(crypto, serverName, options.port ?? 0, clientCertificate),
    tls12: clientTls12Config(versions, options.requireExtendedMasterSecret),
    customizeClientHello: test.customizeClientHello,
  };
}

/**
 * Starts TLS over an existing transport — a `Deno.Conn` or any readable/writable pair of byte streams. As
 * Deno's `startTls`, it resolves at once and the handshake runs in the background: `handshake()` waits for
 * it, and the first `read` or `write` does too (each rejects with the handshake's error). Invalid options
 * reject the call itself (`TypeError`, `RangeError` or `TlsError`), and the transport is closed.
 *
 * @example
 * ```ts
 * import { startTls } from "@subtle/tls";
 *
 * // E.g. after a plaintext exchange that agreed to start TLS (STARTTLS); or pass any { readable, writable }.
 * const tcp = await Deno.connect({ hostname: "example.com", port: 443 });
 * const conn = await startTls(tcp, { serverName: "example.com" });
 * console.log((await conn.handshake()).protocol);
 * ```
 */
export function startTls(
  transport: Deno.Conn | StreamPair,
  options: StartTlsOptions & { hostname?: string } = {},
): Promise<TlsConn> {
  return startTlsWithTestOptions(transport, options, {});
}

/** {@link startTls} with the test knobs of {@link ClientTestOptions}; for tests, not exported by `mod.ts`. */
export async function startTlsWithTestOptions(
  transport: Deno.Conn | StreamPair,
  options: StartTlsOptions & { hostname?: string },
  test: ClientTestOptions,
): Promise<TlsConn> {
  const t = toByteTransport(transport);
  let config: ClientConfig;
  try {
    options.signal?.throwIfAborted();
    // The session cache key's port: the TCP peer's (the `port` of connectTls), 0 over a stream pair.
    const port = (t.conn?.remoteAddr as Partial<Deno.NetAddr> | undefined)?.port ?? 0;
    config = await resolveClientConfig({ ...options, port }, test);
  } catch (e) {
    t.close();
    throw e;
  }
  return clientConn(config, t, options, test);
}

/** A client connection over `transport` whose handshake has started. */
function clientConn(
  config: ClientConfig,
  transport: ByteTransport,
  options: StartTlsOptions,
  test: ClientTestOptions,
): TlsConn {
  const engine = new TlsEngine({
    crypto: config.crypto,
    begin: (io) => startClient(config, io),
    keyLog: options.keyLog,
    trace: options.trace,
  });
  const conn = new TlsConn(engine, transport, {
    timeoutMs: options.handshakeTimeout ?? DEFAULT_CLIENT_HANDSHAKE_TIMEOUT,
    signal: options.signal,
    lingerMs: test.lingerMs,
  });
  // Started at once, as Deno's: the ClientHello goes out without waiting for a read or write.
  conn.handshake().catch(() => {});
  return conn;
}

/**
 * Connects to `hostname:port` over TCP and starts a TLS handshake, verifying the server's certificate. As
 * Deno's `connectTls`, it resolves once the TCP connection is established; the handshake runs in the
 * background, and `handshake()` (or the first `read` or `write`) waits for it and rejects with its error.
 * Invalid options reject before anything is sent: `TypeError` or `RangeError` (e.g. `hostname: "256.0.0.0"`),
 * or a `TlsError` for certificates or keys that cannot be loaded.
 *
 * @example
 * ```ts
 * import { connectTls } from "@subtle/tls";
 *
 * const conn = await connectTls({ hostname: "example.com", port: 443 });
 * const info = await conn.handshake();
 * console.log(info.protocol, info.cipherSuite);
 * conn.close();
 * ```
 */
export function connectTls(options: ConnectTlsOptions): Promise<TlsConn> {
  return connectTlsWithTestOptions(options, {});
}

/** {@link connectTls} with the test knobs of {@link ClientTestOptions}; for tests, not exported by `mod.ts`. */
export async function connectTlsWithTestOptions(
  options: ConnectTlsOptions,
  test: ClientTestOptions,
): Promise<TlsConn> {
  options.signal?.throwIfAborted();
  const hostname = options.hostname ?? "127.0.0.1";
  const config = await resolveClientConfig({ ...options, hostname }, test);
  const tcp = await Deno.connect({ hostname: hostname.replace(/^\[|\]$/g, ""), port: options.port });
  return clientConn(config, toByteTransport(tcp), options, test);
}
