/**
 * `@subtle/tls`: TLS in TypeScript for Deno, with every cryptographic primitive executed by WebCrypto.
 *
 * @example
 * ```ts
 * import { connectTls } from "@subtle/tls";
 *
 * const conn = await connectTls({ hostname: "example.com", port: 443 });
 * const { protocol, cipherSuite, peerCertificates } = await conn.handshake();
 * console.log(protocol, cipherSuite, peerCertificates[0].subject);
 * conn.close();
 * ```
 *
 * @example
 * ```ts
 * import { listenTls } from "@subtle/tls";
 *
 * const listener = listenTls({
 *   port: 8443,
 *   cert: await Deno.readTextFile("cert.pem"),
 *   key: await Deno.readTextFile("key.pem"),
 *   clientAuth: "request",
 *   clientCaCerts: [await Deno.readTextFile("client-ca.pem")],
 * });
 * for await (const conn of listener) {
 *   console.log((await conn.handshake()).peerCertificates.length);
 *   conn.close();
 * }
 * ```
 *
 * @example
 * ```ts
 * import { connectTls } from "@subtle/tls";
 *
 * // TLS 1.3 resumption is on by default: listeners issue session tickets, clients keep them in
 * // defaultSessionCache() (or `sessionCache`) and offer them to the same server name and port.
 * const request = "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n";
 * const first = await connectTls({ hostname: "example.com", port: 443 });
 * await first.write(new TextEncoder().encode(request));
 * await new Response(first.readable).text(); // the tickets come with the server's data
 * first.close();
 * const second = await connectTls({ hostname: "example.com", port: 443 });
 * console.log((await second.handshake()).resumed); // true: no certificate, no signature this time
 * second.close();
 * ```
 *
 * @module
 */

export { connectTls, startTls } from "./connection/client.ts";
export type { ConnectTlsOptions, StartTlsOptions, TlsVersion } from "./connection/client.ts";
export { acceptTls } from "./connection/server.ts";
export type { AcceptTlsOptions, ClientAuthMode, ServerCertificateOptions } from "./connection/server.ts";
export { listenTls, TlsListener } from "./connection/listener.ts";
export type { ListenTlsOptions } from "./connection/listener.ts";
export { CLOSE_LINGER_MS, TlsConn } from "./connection/conn.ts";
export type { StreamPair } from "./connection/transport.ts";
export { defaultSessionCache, MemorySessionCache } from "./connection/session_cache.ts";
export type {
  CachedSession,
  MemorySessionCacheOptions,
  SessionCache,
  SessionTicket,
  Tls12SessionTicket,
} from "./connection/session_cache.ts";
export { SessionTicketKeys } from "./handshake/ticket_keys.ts";
export type { SessionTicketKeysOptions } from "./handshake/ticket_keys.ts";
export type { TraceDirection, TraceEvent, Tracer } from "./connection/trace.ts";
export type { MessageSummary } from "./handshake/describe.ts";
export type { TlsHandshakeInfo } from "./handshake/context.ts";
export type { PeerVerificationInput, VerifyPeer } from "./handshake/client_config.ts";
export { CipherSuite, Tls12CipherSuite } from "./handshake/constants.ts";
export type { CipherSuiteName, Tls12CipherSuiteName } from "./handshake/constants.ts";
export type { GroupName, HashName } from "./crypto/provider.ts";
export type { PeerCertificate } from "./x509/verifier.ts";
export {
  AlertDescription,
  type AlertName,
  type CertificateErrorCode,
  CertificateVerificationError,
  TlsAlertError,
  TlsError,
} from "./errors.ts";
export { generateCertificate } from "./x509/generate.ts";
export type { GenerateCertificateOptions, GeneratedCertificate } from "./x509/generate.ts";
export type { KeyPairAlgorithm } from "./crypto/keygen.ts";
export type { KeyUsageName } from "./x509/certificate.ts";
