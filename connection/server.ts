/**
 * The server entry point `acceptTls`, and the checking, defaulting and loading of server options into the
 * handshake configuration — done once per listener (see `listener.ts`), never per connection.
 *
 * @module
 */

import type { Tracer } from "./trace.ts";
import type { CryptoProvider, GroupName } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsError } from "../errors.ts";
import type { VerifyPeer } from "../handshake/client_config.ts";
import type { CipherSuiteName, Tls12CipherSuiteName } from "../handshake/constants.ts";
import type { ClientAuthMode, ServerConfig } from "../handshake/server_config.ts";
import { ExpectClientHello } from "../handshake/server13_hello.ts";
import { SessionTicketKeys } from "../handshake/ticket_keys.ts";
import { decodeCertificate } from "../x509/certificate.ts";
import { decodePem } from "../x509/pem.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { withHints } from "./_hints.ts";
import { loadCertifiedKey } from "./certificates.ts";
import { type ConnOptions, TlsConn } from "./conn.ts";
import { TlsEngine } from "./engine.ts";
import { checkHandshakeTimeout } from "./deadline.ts";
import { fitToPlatform } from "./capabilities.ts";
import { resolveAlpn, resolveGroups, splitPem, type TlsVersion } from "./options.ts";
import { type ByteTransport, type StreamPair, toByteTransport } from "./transport.ts";
import { resolveVersions, serverTls12Config } from "./versions.ts";

export type { ClientAuthMode } from "../handshake/server_config.ts";

/** One certificate chain and its key, for {@link AcceptTlsOptions.certificates}. */
export interface ServerCertificateOptions {
  /** The certificate chain, PEM, leaf first. */
  cert: string;
  /** Its private key, PEM (PKCS #8, PKCS #1 or SEC 1). */
  key: string;
}

/**
 * Options of `acceptTls` (and of `listenTls`, which adds the address).
 *
 * @example
 * ```ts
 * import { type AcceptTlsOptions, listenTls } from "@subtle/tls";
 *
 * // Two sites on one port, chosen by the name the client asks for (SNI).
 * const options: AcceptTlsOptions = {
 *   certificates: [
 *     { cert: await Deno.readTextFile("a.pem"), key: await Deno.readTextFile("a-key.pem") },
 *     { cert: await Deno.readTextFile("b.pem"), key: await Deno.readTextFile("b-key.pem") },
 *   ],
 *   alpnProtocols: ["h2", "http/1.1"],
 *   minVersion: "TLSv1.3",
 * };
 * const listener = listenTls({ ...options, port: 443 });
 * ```
 */
export interface AcceptTlsOptions {
  /** The certificate chain, PEM, leaf first (with `key`); or use `certificates`. */
  cert?: string;
  /** The private key of `cert`, PEM (PKCS #8, PKCS #1 or SEC 1). */
  key?: string;
  /**
   * Several certificates: the one whose subjectAltName matches the server name the client sends (SNI) is
   * used, the first otherwise. `cert`/`key`, when also given, come first.
   */
  certificates?: ServerCertificateOptions[];
  /** ALPN protocols in server preference order; a client offering none of them gets `no_application_protocol`. */
  alpnProtocols?: string[];
  /**
   * Client certificates: `"none"` (default) does not ask; `"request"` asks and accepts a client without one;
   * `"require"` refuses a client without one (`certificate_required`). A certificate that is sent is always
   * verified against `clientCaCerts`, with the clientAuth extended key usage.
   */
  clientAuth?: ClientAuthMode;
  /** The CA certificates (PEM) that client certificates must chain to; required unless `clientAuth` is `"none"`. */
  clientCaCerts?: string[];
  /**
   * Runs after the built-in client certificate checks (only when the client sent a certificate); throwing
   * rejects the client with `bad_certificate`. `serverName` is the SNI the client sent, or `""`.
   */
  verifyPeer?: VerifyPeer;
  /**
   * Lowest version to negotiate: `"TLSv1.2"` (default) or `"TLSv1.3"`. A client that offers TLS 1.3 gets it;
   * one that offers only TLS 1.2 gets TLS 1.2, with the downgrade sentinel of RFC 8446 §4.1.3 in the
   * ServerHello.random when TLS 1.3 is enabled too, and TLS_FALLBACK_SCSV answered with
   * `inappropriate_fallback` (RFC 7507).
   */
  minVersion?: TlsVersion;
  /** Highest version to negotiate: `"TLSv1.3"` (default) or `"TLSv1.2"`. */
  maxVersion?: TlsVersion;
  /**
   * Cipher suites by IANA name, in server preference order; TLS 1.3 and TLS 1.2 suites in one list. A
   * version none of whose suites is named is not negotiated. Default: the three TLS 1.3 suites and the six
   * TLS 1.2 ECDHE suites. `TLS_RSA_*` suites (no forward secrecy) are refused: a server never offers them.
   */
  cipherSuites?: (CipherSuiteName | Tls12CipherSuiteName)[];
  /**
   * TLS 1.2: refuse clients that do not offer the extended master secret (RFC 7627) with
   * `handshake_failure`; default `true`. Without it a TLS 1.2 session is open to the triple handshake attack.
   */
  requireExtendedMasterSecret?: boolean;
  /**
   * Key-exchange groups in server preference order (default X25519MLKEM768, X25519, P-256, P-384, P-521, X448). A group
   * the client sent a key share for is preferred; otherwise a HelloRetryRequest asks for the best one it
   * supports.
   */
  groups?: GroupName[];
  /** Called with each NSS key-log line (for Wireshark). Handle with care: it carries the traffic secrets. */
  keyLog?: (line: string) => void;
  /**
   * Receives structured trace events: each handshake message with its decoded public fields, secrets derived
   * (label and length only), key changes, alerts, and timings. Never key material.
   */
  trace?: Tracer;
  /** Milliseconds a handshake may take before the connection is closed (default 10 000; 0: no limit). */
  handshakeTimeout?: number;
  /**
   * TLS 1.3 session tickets (RFC 8446 §4.6.1): after each handshake the server sends two NewSessionTickets,
   * sealed (AES-256-GCM) under rotating keys that stay in the process, and resumes a session from one
   * without certificates (`resumed: true`, the client certificate of the session kept in
   * `peerCertificates`). 0-RTT data is never accepted.
   * - `listenTls`: default `true`, keys of the listener's own;
   * - `acceptTls`: default `false`, since each call has its own configuration: pass one
   *   {@link SessionTicketKeys} to every call so that a ticket issued by one resumes in another;
   * - a {@link SessionTicketKeys}: those keys (also to share them between listeners); `false`: no tickets.
   *
   * @example
   * ```ts
   * import { acceptTls, SessionTicketKeys } from "@subtle/tls";
   *
   * const cert = await Deno.readTextFile("cert.pem");
   * const key = await Deno.readTextFile("key.pem");
   * const sessionTickets = new SessionTicketKeys({ lifetime: 3600 }); // one for every acceptTls call
   * for await (const tcp of Deno.listen({ port: 8443 })) {
   *   acceptTls(tcp, { cert, key, sessionTickets }).then((conn) => conn.close(), console.error);
   * }
   * ```
   */
  sessionTickets?: boolean | SessionTicketKeys;
  /**
   * Lifetime of the session tickets in seconds: 1 to 604 800 (7 days, RFC 8446 §4.6.1), default 7200 (2
   * hours). The ticket keys rotate with the same period; the previous key still opens tickets. Not with a
   * {@link SessionTicketKeys}, which has its own.
   */
  ticketLifetime?: number;
  /** Aborts the handshake of `acceptTls` (not used by `listenTls`, whose `close()` abandons handshakes). */
  signal?: AbortSignal;
  /**
   * TLS 1.3: send a cookie in each HelloRetryRequest and require the second ClientHello to echo it unchanged
   * (RFC 8446 §4.2.2). The cookie carries what the HelloRetryRequest decided and the hash of the first
   * ClientHello, under an HMAC-SHA256 key of the listener (of the `acceptTls` call): the state a stateless
   * server rebuilds its handshake from, and a proof that the client receives at its address. The server keeps
   * that state itself either way. Default `false`: a HelloRetryRequest carries no cookie, as with OpenSSL and
   * Go; a second ClientHello that brings one anyway is `illegal_parameter`.
   */
  helloRetryCookie?: boolean;
}

/** Internal knobs for tests: a deterministic provider, a fixed clock. */
export interface ServerTestOptions {
  /** A provider in place of WebCrypto's (e.g. with fixed randomness). */
  crypto?: CryptoProvider;
  /** The clock for client certificate validity. */
  now?: () => Date;
}

/** The default of {@link AcceptTlsOptions.handshakeTimeout}. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** Checks the options and loads certificates and keys into the shared, read-only server configuration. */
export async function resolveServerConfig(
  options: AcceptTlsOptions,
  test: ServerTestOptions = {},
): Promise<ServerConfig> {
  const crypto = test.crypto ?? webCrypto;
  checkHandshakeTimeout(options.handshakeTimeout);
  const { versions, groups } = await fitToPlatform(
    crypto,
    resolveVersions(options, "server"),
    resolveGroups(options.groups),
    options,
  );
  const alpnProtocols = resolveAlpn(options.alpnProtocols);
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new TlsError("cert and key must be given together");
  }
  const pairs = [
    ...(options.cert !== undefined ? [{ cert: options.cert, key: options.key!, what: "cert/key" }] : []),
    ...(options.certificates ?? []).map((c, i) => ({ ...c, what: `certificates[${i}]` })),
  ];
  if (pairs.length === 0) {
    throw new TlsError("a server needs a certificate: give cert and key, or certificates");
  }
  const certificates = await Promise.all(pairs.map((p) => loadCertifiedKey(crypto, p.cert, p.key, p.what)));

  const clientAuth = options.clientAuth ?? "none";
  if (clientAuth !== "none" && clientAuth !== "request" && clientAuth !== "require") {
    throw new TlsError(`unknown clientAuth "${clientAuth}"`);
  }
  let clientVerifier: ServerConfig["clientVerifier"];
  let clientCaNames: Uint8Array[] = [];
  if (clientAuth !== "none") {
    const caCerts = splitPem(options.clientCaCerts ?? []);
    if (caCerts.length === 0) throw new TlsError(`clientAuth "${clientAuth}" needs clientCaCerts`);
    try {
      clientVerifier = withHints(createCertificateVerifier({ caCerts, crypto })); // errors name clientCaCerts
      clientCaNames = caCerts.map((pem) =>
        decodeCertificate(decodePem(pem, "CERTIFICATE")[0].der, "a clientCaCerts certificate").subjectDer
      );
    } catch (e) {
      throw new TlsError(`clientCaCerts: ${(e as Error).message}`, { cause: e });
    }
  }
  const sessionTickets = resolveSessionTickets(options.sessionTickets, options.ticketLifetime);
  if (options.helloRetryCookie !== undefined && typeof options.helloRetryCookie !== "boolean") {
    throw new TlsError("helloRetryCookie must be a boolean");
  }
  return {
    crypto,
    suites: versions.suites13,
    groups,
    alpnProtocols,
    certificates,
    clientAuth,
    clientVerifier,
    clientCaNames,
    verifyPeer: options.verifyPeer,
    now: test.now ?? (() => new Date()),
    cookieKey: options.helloRetryCookie ? crypto.randomBytes(32) : undefined,
    sessionTickets,
    tls12: serverTls12Config(versions, options.requireExtendedMasterSecret, sessionTickets),
  };
}

/** The ticket keys of `sessionTickets` (absent: no tickets). */
function resolveSessionTickets(
  sessionTickets: AcceptTlsOptions["sessionTickets"],
  lifetime: number | undefined,
): SessionTicketKeys | undefined {
  if (sessionTickets instanceof SessionTicketKeys) {
    if (lifetime !== undefined && lifetime !== sessionTickets.lifetime) {
      throw new TlsError(
        "ticketLifetime: the SessionTicketKeys given as sessionTickets has a lifetime of its own",
      );
    }
    return sessionTickets;
  }
  if (sessionTickets !== undefined && typeof sessionTickets !== "boolean") {
    throw new TlsError("sessionTickets must be a boolean or a SessionTicketKeys");
  }
  if (!sessionTickets) return undefined;
  try {
    return new SessionTicketKeys({ lifetime });
  } catch (e) {
    throw new TlsError(`ticketLifetime: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A server-side connection over `transport` whose handshake has not started yet (it starts with
 * `handshake()`, bounded by `conn`'s deadline).
 */
export function serverConn(
  config: ServerConfig,
  transport: ByteTransport,
  observers: { keyLog?: (line: string) => void; trace?: Tracer } = {},
  conn: ConnOptions = {},
): TlsConn {
  const engine = new TlsEngine({
    crypto: config.crypto,
    begin: () => Promise.resolve(new ExpectClientHello(config)),
    keyLog: observers.keyLog,
    trace: observers.trace,
  });
  return new TlsConn(engine, transport, conn);
}

/**
 * Runs the server side of a TLS handshake (TLS 1.3 or TLS 1.2) over an accepted connection — a `Deno.Conn` or any
 * readable/writable pair of byte streams — and resolves once it is complete. On failure the transport is
 * closed and the promise rejects with the `TlsError`.
 *
 * @example
 * ```ts
 * import { acceptTls } from "@subtle/tls";
 *
 * const tcp = await Deno.listen({ port: 8443 }).accept();
 * const conn = await acceptTls(tcp, {
 *   cert: await Deno.readTextFile("cert.pem"),
 *   key: await Deno.readTextFile("key.pem"),
 * });
 * console.log((await conn.handshake()).serverName);
 * ```
 */
export async function acceptTls(
  transport: Deno.Conn | StreamPair,
  options: AcceptTlsOptions,
): Promise<TlsConn> {
  const t = toByteTransport(transport);
  let config: ServerConfig;
  try {
    config = await resolveServerConfig(options);
  } catch (e) {
    t.close();
    throw e;
  }
  const conn = serverConn(config, t, options, {
    timeoutMs: options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT,
    signal: options.signal,
  });
  // On failure the connection has sent its alert and closed the transport.
  await conn.handshake();
  return conn;
}
