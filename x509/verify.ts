/**
 * Certificate verification: {@link verifyCertificateChain}, the one function that decides whether a chain is
 * trusted — for the public API and for every handshake, through {@link createCertificateVerifier}, which
 * adapts it to the {@link CertificateVerifier} interface the handshake uses.
 *
 * It checks a path to a trust anchor (`path.ts`, with the certificate profile of `profile.ts` and the name
 * constraints of `name_constraints.ts`), then the name asked for against the leaf's subjectAltName
 * (RFC 6125 §6, RFC 9525; `names.ts`). Everything it needs is an argument: the same inputs give the same
 * verdict, so a cache of verdicts (keyed by the chain, the `TrustAnchors` object, the name, the usage and the
 * time) can sit in front of it.
 *
 * @module
 */

import { CertificateVerificationError } from "../errors.ts";
import type { CryptoProvider, PublicKeyInfo } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import type {
  CertificateVerifier,
  ClientChainRequest,
  PeerCertificate,
  ServerChainRequest,
  VerifiedChain,
} from "./verifier.ts";
import { decodeCertificate } from "./certificate.ts";
import { matchingName, parseIpAddress } from "./names.ts";
import { validatePath } from "./path.ts";
import { mozillaTrustAnchors, systemTrustAnchors, TrustAnchors } from "./trust_store.ts";
import { certificateDer, toX509Certificate, type X509Certificate } from "./x509_certificate.ts";
import { decodePem } from "./pem.ts";

/** A certificate to verify or to build a path with: DER, PEM, or a certificate `parseCertificate` returned. */
export type CertificateInput = Uint8Array | string | { readonly der: Uint8Array };

/** Options of {@link verifyCertificateChain}. */
export interface VerifyCertificateChainOptions {
  /** The end-entity certificate to verify. */
  readonly leaf: CertificateInput;
  /**
   * Certificates that may help build a path to a trust anchor, in any order; extras are ignored (as a TLS
   * peer's chain after its leaf). A PEM string may hold several.
   */
  readonly intermediates?: readonly CertificateInput[];
  /**
   * The trust anchors: PEM strings (each may hold several certificates), DER certificates, or a
   * {@link TrustAnchors} made once with `TrustAnchors.from` and shared by many calls. Not together with
   * `trustStore`.
   */
  readonly trustAnchors?: readonly (string | Uint8Array)[] | TrustAnchors;
  /**
   * A built-in trust store, used when `trustAnchors` is not given: `"mozilla"` (the default; the Mozilla roots
   * embedded in the library) or `"system"` (the operating system's bundle, which needs `--allow-read`).
   */
  readonly trustStore?: "mozilla" | "system";
  /**
   * The DNS name the leaf must be valid for (U-labels allowed, compared in A-label form); an IP literal here
   * is matched as an address, as in `connectTls`. Without `hostname` or `ip` no name is checked.
   */
  readonly hostname?: string;
  /** The IPv4 or IPv6 address the leaf must be valid for; not together with `hostname`. */
  readonly ip?: string;
  /** The time the certificates must be valid at. Default: now. */
  readonly time?: Date;
  /**
   * What the leaf is for: `"server"` (default; extended key usage serverAuth) or `"client"` (clientAuth).
   */
  readonly usage?: "server" | "client";
  /** @ignore The provider that checks signatures; default the WebCrypto provider. */
  readonly crypto?: CryptoProvider;
}

/** The result of {@link verifyCertificateChain}: what it validated, and what it compared. */
export interface VerifiedCertificateChain {
  /**
   * The validated path: the leaf, the intermediates it went through, and the trust anchor last — the leaf
   * alone when it is itself a trust anchor. Each certificate's signature verified with the public key of the
   * one after it (its `signatureAlgorithm` by their `publicKey`), the issuer name of each is the subject of
   * the one after it, and every validity period contains `time`.
   */
  readonly path: readonly X509Certificate[];
  /** The time the validity periods were checked against (`time`, or the time of the call). */
  readonly time: Date;
  /**
   * When `hostname` or `ip` was given: the leaf's subjectAltName entry that matched it (e.g. `"*.example.com"`
   * for `"www.example.com"`, or `"127.0.0.1"`).
   */
  readonly matchedName?: string;
}

/** The certificates of `inputs`, a PEM string counting for as many certificates as it holds. */
function intermediatesDer(inputs: readonly CertificateInput[]): Uint8Array[] {
  return inputs.flatMap((input, i) => {
    if (typeof input !== "string") return [certificateDer(input, `intermediates[${i}]`)];
    try {
      return decodePem(input, "CERTIFICATE").map((b) => b.der);
    } catch (e) {
      const message = `intermediates[${i}]: ${(e as Error).message}`;
      throw new CertificateVerificationError("malformed", message, undefined, { cause: e });
    }
  });
}

async function resolveAnchors(options: VerifyCertificateChainOptions): Promise<TrustAnchors> {
  const { trustAnchors, trustStore } = options;
  if (trustAnchors !== undefined && trustStore !== undefined) {
    throw new TypeError("give trustAnchors or trustStore, not both");
  }
  if (trustAnchors instanceof TrustAnchors) return trustAnchors;
  if (trustAnchors !== undefined) return TrustAnchors.from(trustAnchors);
  if (trustStore === undefined || trustStore === "mozilla") return mozillaTrustAnchors();
  if (trustStore === "system") return await systemTrustAnchors();
  throw new TypeError(`trustStore must be "mozilla" or "system", not ${JSON.stringify(trustStore)}`);
}

/** The name to match, from `hostname` or `ip`, checked to be usable. */
function referenceName(options: VerifyCertificateChainOptions): string | undefined {
  const { hostname, ip } = options;
  if (hostname !== undefined && ip !== undefined) throw new TypeError("give hostname or ip, not both");
  if (ip !== undefined && !parseIpAddress(ip)) throw new TypeError(`ip: "${ip}" is not an IP address`);
  if (hostname === "") throw new TypeError("hostname is empty");
  return hostname ?? ip;
}

/**
 * Verifies a certificate chain: builds a path from `leaf` through `intermediates` to a trust anchor and
 * validates it with the checks of RFC 5280 §6 and the web-PKI certificate profile (RFC 5280 §4, CA/Browser
 * Forum BR §7.1; the rules are listed in `docs/x509.md`), then matches `hostname` or `ip` against the leaf's
 * subjectAltName. This is the same function that every TLS handshake of this library runs on the peer's
 * chain, and it throws the same {@link CertificateVerificationError} (whose `code` says what failed and
 * `subject` on which certificate). Options that make no sense are a `TypeError`.
 *
 * @example
 * ```ts
 * import { CertificateVerificationError, verifyCertificateChain } from "@subtle/tls/x509";
 * import { generateCertificate } from "@subtle/tls";
 *
 * const root = await generateCertificate({ subject: "CN=Example Root", isCA: true });
 * const leaf = await generateCertificate({ subject: "CN=www.example.com", issuer: root });
 * const { path } = await verifyCertificateChain({
 *   leaf: leaf.cert,
 *   trustAnchors: [root.cert],
 *   hostname: "www.example.com",
 * });
 * console.log(path.map((c) => c.subject)); // ["CN=www.example.com", "CN=Example Root"]
 *
 * try {
 *   await verifyCertificateChain({ leaf: leaf.cert, trustAnchors: [root.cert], hostname: "example.org" });
 * } catch (e) {
 *   if (e instanceof CertificateVerificationError) console.log(e.code); // "hostname_mismatch"
 * }
 * ```
 */
export async function verifyCertificateChain(
  options: VerifyCertificateChainOptions,
): Promise<VerifiedCertificateChain> {
  const usage = options.usage ?? "server";
  if (usage !== "server" && usage !== "client") {
    throw new TypeError(`usage must be "server" or "client", not ${JSON.stringify(usage)}`);
  }
  const name = referenceName(options);
  const now = options.time ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TypeError("time is not a valid Date");
  const anchors = await resolveAnchors(options);
  const leaf = decodeCertificate(
    certificateDer(options.leaf, "the leaf certificate"),
    "the leaf certificate",
  );
  const intermediates = intermediatesDer(options.intermediates ?? []).map((der, i) =>
    decodeCertificate(der, `certificate ${i + 1} of the chain`)
  );
  const path = await validatePath({
    leaf,
    intermediates,
    anchors,
    now,
    purpose: usage === "server" ? "serverAuth" : "clientAuth",
    crypto: options.crypto ?? webCrypto,
  });
  // RFC 6125 §6 after RFC 5280 §6: a name is only worth matching on a certificate that is otherwise valid.
  const matched = name === undefined ? undefined : matchingName(leaf.subjectAltNames, name);
  if (name !== undefined && matched === undefined) {
    const names = leaf.subjectAltNames.map((n) => n.value).join(", ") || "none";
    throw new CertificateVerificationError(
      "hostname_mismatch",
      `it is not valid for "${name}" (subjectAltName: ${names})`,
      leaf.subject,
    );
  }
  return {
    path: path.map(toX509Certificate),
    time: now,
    ...(matched === undefined ? {} : { matchedName: matched.value }),
  };
}

/** Options of {@link createCertificateVerifier}. */
export interface CertificateVerifierOptions {
  /**
   * Trust anchors: PEM strings (each may hold several certificates), DER certificates, or anchors parsed
   * beforehand (see `trust_store.ts`), which many verifiers can then share.
   */
  readonly caCerts: readonly string[] | readonly Uint8Array[] | TrustAnchors;
  /** The provider that checks signatures. */
  readonly crypto: CryptoProvider;
}

/** The leaf's key in the form the handshake verifies CertificateVerify with. */
function leafKey(leaf: X509Certificate): PublicKeyInfo {
  const { spki, keyType, curve } = leaf.publicKey;
  // verifyCertificateChain refuses a leaf whose key is not supported; this cannot happen.
  if (!keyType) {
    throw new CertificateVerificationError("unsupported_algorithm", "unsupported key", leaf.subject);
  }
  return { spki, keyType, curve };
}

/**
 * Creates the verifier that a TLS client uses for server certificates and a TLS server for client
 * certificates: {@link verifyCertificateChain} over the peer's chain, with the anchors parsed once.
 *
 * @example
 * ```ts ignore
 * import { webCrypto } from "../crypto/webcrypto.ts";
 * const verifier = createCertificateVerifier({ caCerts: [await Deno.readTextFile("ca.pem")], crypto: webCrypto });
 * const { publicKey } = await verifier.verifyServer({ chain, serverName: "example.com", now: new Date() });
 * ```
 */
export function createCertificateVerifier(options: CertificateVerifierOptions): CertificateVerifier {
  const trustAnchors = options.caCerts instanceof TrustAnchors
    ? options.caCerts
    : TrustAnchors.from(options.caCerts);
  const crypto = options.crypto;

  const verify = async (
    chain: readonly Uint8Array[],
    usage: "server" | "client",
    time: Date,
    hostname?: string,
  ): Promise<VerifiedChain> => {
    if (chain.length === 0) {
      throw new CertificateVerificationError("malformed", `the ${usage} sent no certificate`);
    }
    const { path } = await verifyCertificateChain({
      leaf: chain[0],
      intermediates: chain.slice(1),
      trustAnchors,
      hostname,
      time,
      usage,
      crypto,
    });
    return { publicKey: leafKey(path[0]), path: path.map((c) => c.der) };
  };

  return {
    verifyServer: (request: ServerChainRequest) =>
      verify(request.chain, "server", request.now, request.serverName),
    verifyClient: (request: ClientChainRequest) => verify(request.chain, "client", request.now),

    publicKeyOf(der: Uint8Array): PublicKeyInfo {
      const cert = decodeCertificate(der);
      if (!cert.publicKey) {
        throw new CertificateVerificationError(
          "unsupported_algorithm",
          `unsupported key (${cert.publicKeyName})`,
          cert.subject,
        );
      }
      return cert.publicKey;
    },

    describe(der: Uint8Array): PeerCertificate {
      const cert = decodeCertificate(der);
      return {
        der: cert.der,
        subject: cert.subject,
        issuer: cert.issuer,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        subjectAltNames: cert.subjectAltNames.map((n) => n.value),
      };
    },
  };
}
