/**
 * Version negotiation between TLS 1.3 and TLS 1.2 (RFC 8446 §4.1.3, §4.2.1, §D; RFC 5246 §E.1), for both
 * roles. The TLS 1.3 states stay in charge of the first messages and ask this module two questions:
 *
 * - the client, building its ClientHello: what to add so that a TLS 1.2 server can answer too —
 *   supported_versions [TLS 1.3, TLS 1.2], the TLS 1.2 suites after the TLS 1.3 ones, the TLS 1.2 signature
 *   schemes (RSA PKCS#1, never SHA-1), and the TLS 1.2 extensions (extended_master_secret,
 *   renegotiation_info, ec_point_formats, session_ticket); then, on the ServerHello, whether it is a TLS 1.2
 *   answer to continue as TLS 1.2;
 * - the server, on a ClientHello: whether to answer it with TLS 1.2 (decided before any TLS 1.3 check, with
 *   the TLS 1.2 decoder, which accepts the shorter extension blocks of TLS 1.2 clients).
 *
 * Which versions are enabled is carried by the configurations: `tls12` absent means TLS 1.3 only;
 * `tls12.offeredTls13` / `tls12.supportsTls13` false means TLS 1.2 only.
 *
 * @module
 */

import { DecodeError } from "../bytes.ts";
import { abort, findExtension } from "./checks.ts";
import { tls12ClientHelloExtensions } from "./client12_hello.ts";
import type { ClientConfig } from "./client_config.ts";
import { ExtensionType, ProtocolVersion, TLS13_SIGNATURE_SCHEMES } from "./constants.ts";
import type { Tls12ClientConfig, Tls12ServerConfig } from "./config12.ts";
import { decodeSupportedVersionsClient } from "./extensions.ts";
import { decodeClientHello12, decodeServerHello12 } from "./messages12.ts";
import type { ClientHello, Extension } from "./messages.ts";
import type { ServerConfig } from "./server_config.ts";
import { TLS12_SIGNATURE_SCHEMES } from "./signatures12.ts";

/** Whether the client offers TLS 1.3 (else it sends a TLS 1.2-only ClientHello). */
export function clientOffersTls13(config: ClientConfig): boolean {
  return config.tls12 === undefined || config.tls12.offeredTls13;
}

/** Whether the server speaks TLS 1.3 (else it answers every ClientHello with TLS 1.2). */
export function serverSpeaksTls13(config: ServerConfig): boolean {
  return config.tls12 === undefined || config.tls12.supportsTls13;
}

/** supported_versions of a ClientHello that offers TLS 1.3: with TLS 1.2 after it when enabled. */
export function clientSupportedVersions(config: ClientConfig): number[] {
  return config.tls12 ? [ProtocolVersion.TLS13, ProtocolVersion.TLS12] : [ProtocolVersion.TLS13];
}

/**
 * signature_algorithms of the ClientHello: the TLS 1.3 schemes, then, when TLS 1.2 is offered, the TLS 1.2
 * ones TLS 1.3 lacks (RSA PKCS#1 v1.5 with SHA-256/384/512; TLS 1.3 never accepts them in CertificateVerify).
 */
export function clientSignatureSchemes(config: ClientConfig): number[] {
  if (!config.tls12) return [...TLS13_SIGNATURE_SCHEMES];
  return [
    ...TLS13_SIGNATURE_SCHEMES,
    ...TLS12_SIGNATURE_SCHEMES.filter((s) => !TLS13_SIGNATURE_SCHEMES.includes(s)),
  ];
}

/** cipher_suites of the ClientHello: the TLS 1.3 suites, then the TLS 1.2 ones when TLS 1.2 is offered. */
export function clientCipherSuites(config: ClientConfig): number[] {
  return [...config.suites.map((s) => s.code), ...(config.tls12?.suites.map((s) => s.code) ?? [])];
}

/** The TLS 1.2 extensions a ClientHello that also offers TLS 1.2 carries (none otherwise). */
export function clientTls12Extensions(config: ClientConfig): Extension[] {
  return config.tls12 ? tls12ClientHelloExtensions(config.tls12) : [];
}

/**
 * Whether the ClientHello needs a legacy_session_id: in middlebox compatibility mode (RFC 8446 §D.4), and
 * when a TLS 1.2 ticket is offered, so that its echo tells that the server resumed (RFC 5077 §3.4).
 */
export function clientNeedsSessionId(config: ClientConfig): boolean {
  return config.middleboxCompat || config.tls12?.session !== undefined;
}

/**
 * Looks at the ServerHello `body` before the TLS 1.3 client decodes it: when it selects TLS 1.2 — no
 * supported_versions and server_version 0x0303 (RFC 8446 §4.2.1) — and this client offered TLS 1.2, returns
 * the TLS 1.2 settings to continue with. After a HelloRetryRequest, which only TLS 1.3 sends, a TLS 1.2
 * ServerHello is illegal_parameter (RFC 8446 §4.1.4). Anything else is left to the TLS 1.3 checks (which
 * answer a version below TLS 1.3 with protocol_version).
 */
export function tls12ServerHello(
  body: Uint8Array,
  config: ClientConfig,
  afterRetry: boolean,
): Tls12ClientConfig | undefined {
  if (!config.tls12) return undefined;
  let hello;
  try {
    hello = decodeServerHello12(body);
  } catch (e) {
    if (e instanceof DecodeError) return undefined; // the TLS 1.3 decoder reports it
    throw e;
  }
  if (findExtension(hello.extensions, ExtensionType.supported_versions) !== undefined) return undefined;
  if (hello.legacyVersion !== ProtocolVersion.TLS12) return undefined;
  if (afterRetry) {
    abort(
      "illegal_parameter",
      "a TLS 1.2 ServerHello after a HelloRetryRequest, which commits to TLS 1.3 (RFC 8446 §4.1.4)",
    );
  }
  return config.tls12;
}

/** The versions a ClientHello offers: supported_versions when present, else legacy_version (RFC 8446 §4.2.1). */
function offeredVersions(hello: ClientHello): { tls13: boolean; tls12: boolean } {
  const data = findExtension(hello.extensions, ExtensionType.supported_versions);
  if (data === undefined) {
    // RFC 8446 §4.2.1: without the extension TLS 1.2 or below is negotiated, whatever legacy_version says.
    return { tls13: false, tls12: hello.legacyVersion >= ProtocolVersion.TLS12 };
  }
  const versions = decodeSupportedVersionsClient(data);
  return {
    tls13: versions.includes(ProtocolVersion.TLS13),
    tls12: versions.includes(ProtocolVersion.TLS12),
  };
}

/**
 * Decides, on the ClientHello `body`, whether the server answers with TLS 1.2, and returns its TLS 1.2
 * settings if so: TLS 1.3 when both sides speak it, else TLS 1.2 when both do, else protocol_version
 * (RFC 8446 §4.2.1, RFC 5246 §E.1). A server without TLS 1.2 leaves every ClientHello to the TLS 1.3 checks.
 */
export function tls12ClientHello(body: Uint8Array, config: ServerConfig): Tls12ServerConfig | undefined {
  const config12 = config.tls12;
  if (!config12) return undefined;
  let hello: ClientHello;
  try {
    hello = decodeClientHello12(body);
  } catch (e) {
    if (e instanceof DecodeError && serverSpeaksTls13(config)) return undefined; // the TLS 1.3 decoder reports it
    throw e;
  }
  const offered = offeredVersions(hello);
  if (offered.tls13 && serverSpeaksTls13(config)) return undefined;
  if (offered.tls12) return config12;
  abort(
    "protocol_version",
    `the client offers none of the versions this server speaks (${
      serverSpeaksTls13(config) ? "TLS 1.2, TLS 1.3" : "TLS 1.2"
    }) (RFC 8446 §4.2.1)`,
  );
}
