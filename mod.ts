/**
 * `@subtle/tls`: TLS in TypeScript for Deno, with every cryptographic primitive executed by WebCrypto.
 *
 * @example
 * ```ts ignore
 * import { connectTls } from "@subtle/tls";
 * const conn = await connectTls({ hostname: "example.com", port: 443 });
 * console.log(await conn.handshake());
 * conn.close();
 * ```
 *
 * @module
 */

export { connectTls, startTls } from "./connection/client.ts";
export type { ConnectTlsOptions, StartTlsOptions, TlsVersion } from "./connection/client.ts";
export { TlsConn } from "./connection/conn.ts";
export type { StreamPair } from "./connection/transport.ts";
export type { TlsHandshakeInfo } from "./handshake/context.ts";
export type { PeerVerificationInput, VerifyPeer } from "./handshake/client_config.ts";
export type { CipherSuiteName } from "./handshake/constants.ts";
export type { GroupName } from "./crypto/provider.ts";
export type { PeerCertificate } from "./x509/verifier.ts";
export {
  type AlertName,
  CertificateVerificationError,
  type CertificateErrorCode,
  TlsAlertError,
  TlsError,
} from "./errors.ts";
