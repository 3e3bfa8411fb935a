/**
 * Human-readable summaries of handshake messages, for the `trace` option and the demo: the fields a person
 * wants to see (versions, suites, groups, names), never key material.
 *
 * @module
 */

import { Reader } from "../bytes.ts";
import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  nameOf,
  ProtocolVersion,
  SignatureScheme,
  TLS12_SUITES,
} from "./constants.ts";
import {
  decodeAlpn,
  decodeKeyShareClient,
  decodeKeyShareServer,
  decodeServerName,
  decodeSupportedGroups,
  decodeSupportedVersionsClient,
  decodeSupportedVersionsServer,
} from "./extensions.ts";
import { decodeCertificate, decodeCertificateVerify, type Extension } from "./messages.ts";
import { decodeCertificate12, decodeClientHello12, decodeServerHello12 } from "./messages12.ts";

/** What a trace shows of one handshake message. */
export interface MessageSummary {
  /** The message type's RFC name, e.g. `"client_hello"`. */
  readonly type: string;
  /** Length of the message body in bytes. */
  readonly length: number;
  /** Decoded public fields. */
  readonly fields: Readonly<Record<string, unknown>>;
}

function suiteName(code: number): string {
  const tls12 = TLS12_SUITES.find((s) => s.code === code);
  return tls12 ? tls12.name : nameOf(CipherSuite, code);
}

function versionName(v: number): string {
  return v === ProtocolVersion.TLS13 ? "TLS 1.3" : v === ProtocolVersion.TLS12 ? "TLS 1.2" : nameOf({}, v);
}

function ext(extensions: readonly Extension[], type: number): Uint8Array | undefined {
  return extensions.find((e) => e.type === type)?.data;
}

function tryDecode<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function helloExtensions(
  extensions: readonly Extension[],
  role: "client" | "server",
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    extensions: extensions.map((e) => nameOf(ExtensionType, e.type)),
  };
  const sni = ext(extensions, ExtensionType.server_name);
  if (sni && sni.length > 0) out.serverName = tryDecode(() => decodeServerName(sni));
  const versions = ext(extensions, ExtensionType.supported_versions);
  if (versions) {
    out.supportedVersions = tryDecode(() =>
      role === "client"
        ? decodeSupportedVersionsClient(versions).map(versionName)
        : [versionName(decodeSupportedVersionsServer(versions))]
    );
  }
  const groups = ext(extensions, ExtensionType.supported_groups);
  if (groups) out.groups = tryDecode(() => decodeSupportedGroups(groups).map((g) => nameOf(NamedGroup, g)));
  const shares = ext(extensions, ExtensionType.key_share);
  if (shares) {
    out.keyShares = tryDecode(() =>
      (role === "client" ? decodeKeyShareClient(shares) : [decodeKeyShareServer(shares)]).map((k) =>
        `${nameOf(NamedGroup, k.group)} (${k.keyExchange.length} bytes)`
      )
    );
  }
  const alpn = ext(extensions, ExtensionType.application_layer_protocol_negotiation);
  if (alpn) out.alpn = tryDecode(() => decodeAlpn(alpn));
  return out;
}

/** Summarises one handshake message (header ‖ body); never throws. */
export function describeHandshake(raw: Uint8Array): MessageSummary {
  const type = raw[0];
  const body = raw.subarray(4);
  const name = nameOf(HandshakeType, type);
  let fields: Record<string, unknown> = {};
  try {
    switch (type) {
      case HandshakeType.client_hello: {
        const ch = decodeClientHello12(body);
        fields = {
          legacyVersion: versionName(ch.legacyVersion),
          random: ch.random.toHex(),
          cipherSuites: ch.cipherSuites.map(suiteName),
          ...helloExtensions(ch.extensions, "client"),
        };
        break;
      }
      case HandshakeType.server_hello: {
        const sh = decodeServerHello12(body);
        fields = {
          legacyVersion: versionName(sh.legacyVersion),
          random: sh.random.toHex(),
          cipherSuite: suiteName(sh.cipherSuite),
          ...helloExtensions(sh.extensions, "server"),
        };
        break;
      }
      case HandshakeType.certificate: {
        // TLS 1.3 (with a request context and per-entry extensions) or TLS 1.2 (a plain list).
        const count = tryDecode(() => decodeCertificate(body).certificateList.length) ??
          tryDecode(() => decodeCertificate12(body).certificateList.length);
        fields = count === undefined ? { undecodable: true } : { certificates: count };
        break;
      }
      case HandshakeType.certificate_verify: {
        const cv = decodeCertificateVerify(body);
        fields = { scheme: nameOf(SignatureScheme, cv.algorithm), signatureLength: cv.signature.length };
        break;
      }
      case HandshakeType.finished:
        fields = { verifyDataLength: body.length };
        break;
      case HandshakeType.key_update:
        fields = { requestUpdate: new Reader(body).u8() === 1 };
        break;
    }
  } catch {
    fields = { undecodable: true };
  }
  return { type: name, length: body.length, fields };
}
