/**
 * Checks shared by the handshake states: aborting with an alert, and the extension rules of RFC 8446 §4.2.
 *
 * @module
 */

import { TlsAlertError } from "../errors.ts";
import type { PublicKeyInfo } from "../crypto/provider.ts";
import { ExtensionType, nameOf, type SchemeInfo, SignatureScheme } from "./constants.ts";
import type { Extension } from "./messages.ts";
import { decodeEcPointFormats, EC_POINT_FORMAT_UNCOMPRESSED } from "./extensions12.ts";

/**
 * Most certificates accepted in a peer's chain. Real chains have 2 to 4 (x509/verify.ts builds paths of at
 * most 8 intermediates); the cap is checked before any certificate is parsed.
 */
export const MAX_CERTIFICATE_CHAIN = 10;

/** Aborts with bad_certificate when the peer sent more than {@link MAX_CERTIFICATE_CHAIN} certificates. */
export function checkChainLength(count: number, who: "server" | "client"): void {
  if (count > MAX_CERTIFICATE_CHAIN) {
    abort("bad_certificate", `the ${who} sent ${count} certificates, more than ${MAX_CERTIFICATE_CHAIN}`);
  }
}

/** Throws the `alert` this side sends, with a sentence that says why. */
export function abort(alert: ConstructorParameters<typeof TlsAlertError>[0], message: string): never {
  throw new TlsAlertError(alert, "local", message);
}

/**
 * RFC 8446 §4.2.3, §4.4.3: a CertificateVerify's scheme fits the certificate's key — its type and, for the
 * TLS 1.3 ECDSA schemes, which name one curve each, its curve. A scheme that does not is illegal_parameter
 * (a field inconsistent with another, §6.2), decided before any signature is checked.
 */
export function checkSchemeFitsKey(scheme: SchemeInfo, key: PublicKeyInfo, who: string): void {
  const curve = scheme.algorithm.kind === "ecdsa" ? scheme.algorithm.curve : undefined;
  if (scheme.keyType !== key.keyType || (curve !== undefined && curve !== key.curve)) {
    abort(
      "illegal_parameter",
      `${who} CertificateVerify scheme ${nameOf(SignatureScheme, scheme.code)} does not fit a ${
        key.curve ? `${key.keyType} ${key.curve}` : key.keyType
      } key (RFC 8446 §4.2.3)`,
    );
  }
}

/** RFC 8446 §4.2: an extension we did not offer is unsupported_extension; one not allowed here is illegal_parameter. */
export function checkExtensions(
  extensions: readonly Extension[],
  offered: ReadonlySet<number>,
  allowed: ReadonlySet<number>,
  where: string,
): void {
  for (const e of extensions) {
    if (!offered.has(e.type)) {
      abort(
        "unsupported_extension",
        `${where} has extension ${nameOf(ExtensionType, e.type)} that was not offered (RFC 8446 §4.2)`,
      );
    }
    if (!allowed.has(e.type)) {
      abort(
        "illegal_parameter",
        `${where} may not carry extension ${nameOf(ExtensionType, e.type)} (RFC 8446 §4.2)`,
      );
    }
  }
}

/** The extension of type `type`, if present. */
export function findExtension(extensions: readonly Extension[], type: number): Uint8Array | undefined {
  return extensions.find((e) => e.type === type)?.data;
}

/** RFC 8422 §5.1.2: an ec_point_formats extension, when present, must list the uncompressed format. */
export function checkEcPointFormats(data: Uint8Array | undefined, where: string): void {
  if (data !== undefined && !decodeEcPointFormats(data).includes(EC_POINT_FORMAT_UNCOMPRESSED)) {
    abort("illegal_parameter", `${where} ec_point_formats lacks the uncompressed format (RFC 8422 §5.1.2)`);
  }
}
