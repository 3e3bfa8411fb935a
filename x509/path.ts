/**
 * Certification path validation (RFC 5280 §6, as the web PKI does it): from a leaf, through the certificates
 * the peer sent (in any order, extras ignored), to one of the trust anchors.
 *
 * {@link validatePath} checks, in this order:
 * 1. the leaf on its own: validity period, key type and strength, then the profile rules of its role
 *    (`profile.ts`: critical extensions, serial number, names, key identifiers, basic constraints, key
 *    usage, extended key usage, name constraints extension);
 * 2. a path up to a trust anchor, matching each issuer Name to a subject Name byte for byte (and key
 *    identifiers, when both are there) and trying every candidate issuer; for each link the signature, then
 *    the issuer's validity, key, profile rules (as an intermediate or as the anchor), path length
 *    constraint, and name constraints over every certificate below it (`name_constraints.ts`). A trust
 *    anchor's own signature is not checked, its validity and profile are. A leaf that is itself a trust
 *    anchor (a pinned certificate) is a path of one.
 *
 * @module
 */

import { equal } from "../bytes.ts";
import { CertificateVerificationError } from "../errors.ts";
import type { CryptoProvider, PublicKeyInfo } from "../crypto/provider.ts";
import type { ParsedCertificate } from "./certificate.ts";
import { keyFitsAlgorithm } from "./_algorithms.ts";
import { checkNameConstraints } from "./name_constraints.ts";
import { checkProfile, isSelfIssued } from "./profile.ts";
import type { TrustAnchors } from "./trust_store.ts";

/** The most certificates a path may hold, leaf and trust anchor included. */
export const MAX_PATH_LENGTH = 8;
/** The most signatures one verification may check while it searches for a path. */
const SIGNATURE_BUDGET = 64;
/** RSA keys shorter than this are refused (NIST SP 800-131A; the CA/Browser Forum baseline). */
const MIN_RSA_BITS = 2048;

/** The key purpose a path is validated for. */
export type Purpose = "serverAuth" | "clientAuth";

function fail(code: CertificateVerificationError["code"], message: string, cert?: ParsedCertificate): never {
  throw new CertificateVerificationError(code, message, cert?.subject);
}

/** RFC 5280 §6.1.3(a)(2): `now` must lie within the validity period. */
function checkValidity(cert: ParsedCertificate, now: Date, role: string): void {
  if (now < cert.notBefore) {
    fail("not_yet_valid", `${role} is not valid before ${cert.notBefore.toISOString()}`, cert);
  }
  if (now > cert.notAfter) fail("expired", `${role} expired on ${cert.notAfter.toISOString()}`, cert);
}

/** The certificate's public key, if its type is supported and strong enough. */
function usableKey(cert: ParsedCertificate, role: string): PublicKeyInfo {
  if (!cert.publicKey) {
    fail("unsupported_algorithm", `${role} has an unsupported key (${cert.publicKeyName})`, cert);
  }
  if (cert.modulusBits !== undefined && cert.modulusBits < MIN_RSA_BITS) {
    fail(
      "weak_key",
      `${role} has a ${cert.modulusBits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
      cert,
    );
  }
  return cert.publicKey;
}

/** One verification: the chain sent, the anchors, the purpose, and the signature budget. */
class PathBuilder {
  #budget = SIGNATURE_BUDGET;

  constructor(
    readonly crypto: CryptoProvider,
    readonly anchors: TrustAnchors,
    readonly intermediates: readonly ParsedCertificate[],
    readonly now: Date,
    readonly purpose: Purpose,
  ) {}

  /** Checks that `issuer` signed `cert`: supported algorithm, usable key, valid signature. */
  async checkSignature(cert: ParsedCertificate, issuer: ParsedCertificate): Promise<void> {
    if (!cert.signatureAlgorithm) {
      fail(
        "unsupported_algorithm",
        `signed with ${cert.signatureAlgorithmName}, which is not supported`,
        cert,
      );
    }
    const key = usableKey(issuer, "the issuing certificate");
    if (!keyFitsAlgorithm(key, cert.signatureAlgorithm)) {
      fail(
        "bad_signature",
        `signed with ${cert.signatureAlgorithmName} but "${issuer.subject}" has an ${issuer.publicKeyName} key`,
        cert,
      );
    }
    if (--this.#budget < 0) fail("unknown_issuer", "gave up searching for a path: too many candidates", cert);
    if (!await this.crypto.verify(cert.signatureAlgorithm, key, cert.tbs, cert.signature)) {
      fail("bad_signature", `the signature by "${issuer.subject}" does not verify`, cert);
    }
  }

  /** RFC 5280 §6.1.4: the checks of a certificate that issues the one below it on `path`. */
  checkIssuer(issuer: ParsedCertificate, path: readonly ParsedCertificate[], anchor: boolean): void {
    const role = anchor ? "the trust anchor" : "the intermediate CA certificate";
    checkValidity(issuer, this.now, role);
    // cA, keyCertSign, key identifiers, extended key usage, critical extensions, …
    checkProfile(issuer, {
      role: anchor ? "anchor" : "intermediate",
      purpose: this.purpose,
      curated: anchor && this.anchors.curated,
    });
    // §6.1.4(l, m): intermediates below this one, self-issued ones excepted, may not exceed pathLenConstraint.
    const pathLength = issuer.basicConstraints?.pathLenConstraint;
    if (pathLength !== undefined) {
      const below = path.slice(1).filter((c) => !isSelfIssued(c)).length;
      if (below > pathLength) {
        fail(
          "path_length_exceeded",
          `${role} allows ${pathLength} intermediate CA certificates below it, ${below} were found`,
          issuer,
        );
      }
    }
    // §6.1.4(g), §6.1.3(b, c): the names of every certificate below must satisfy its name constraints.
    checkNameConstraints(issuer, path);
  }

  /** Extends `path` (leaf first) up to a trust anchor, or throws the most telling failure. */
  async extend(path: readonly ParsedCertificate[]): Promise<ParsedCertificate[]> {
    const cert = path[path.length - 1];
    // Refuse loops: a certificate, or another with the same subject and key, may appear once on a path.
    const onPath = (c: ParsedCertificate) =>
      path.some((p) => equal(p.der, c.der) || (equal(p.subjectDer, c.subjectDer) && equal(p.spki, c.spki)));
    // An issuer's subject is the certificate's issuer Name; when both carry key identifiers they must agree too
    // (RFC 5280 §4.2.1.1), which tells a same-named CA with another key apart from a bad signature.
    const issues = (c: ParsedCertificate) =>
      equal(c.subjectDer, cert.issuerDer) &&
      (!cert.authorityKeyIdentifier || !c.subjectKeyIdentifier ||
        equal(cert.authorityKeyIdentifier, c.subjectKeyIdentifier));
    const candidates = [
      ...this.anchors.withSubject(cert.issuerDer).filter(issues).map((c) => ({ cert: c, anchor: true })),
      ...this.intermediates.filter((c) => issues(c) && !onPath(c)).map((c) => ({ cert: c, anchor: false })),
    ];
    if (candidates.length === 0) {
      const reason = isSelfIssued(cert)
        ? "self-signed certificate, and not among the trust anchors"
        : `no trusted or supplied certificate is its issuer "${cert.issuer}"`;
      fail("unknown_issuer", reason, cert);
    }
    let error: CertificateVerificationError | undefined;
    for (const candidate of candidates) {
      try {
        if (!candidate.anchor && path.length + 1 >= MAX_PATH_LENGTH) {
          fail("path_length_exceeded", `no trust anchor within ${MAX_PATH_LENGTH} certificates`, cert);
        }
        await this.checkSignature(cert, candidate.cert);
        this.checkIssuer(candidate.cert, path, candidate.anchor);
        const next = [...path, candidate.cert];
        return candidate.anchor ? next : await this.extend(next);
      } catch (e) {
        if (!(e instanceof CertificateVerificationError)) throw e;
        // A specific defect tells more than "unknown issuer" found further up another branch.
        if (!error || (error.code === "unknown_issuer" && e.code !== "unknown_issuer")) error = e;
      }
    }
    throw error;
  }
}

/** What {@link validatePath} needs. */
export interface PathInput {
  /** The end-entity certificate. */
  readonly leaf: ParsedCertificate;
  /** Other certificates that may help (unordered, extras ignored). */
  readonly intermediates: readonly ParsedCertificate[];
  /** The trust anchors. */
  readonly anchors: TrustAnchors;
  /** The time to check validity against. */
  readonly now: Date;
  /** The key purpose the leaf must allow. */
  readonly purpose: Purpose;
  /** The provider that checks signatures. */
  readonly crypto: CryptoProvider;
}

/**
 * Validates a path from `leaf` to a trust anchor; returns it, leaf first and anchor last, or throws
 * {@link CertificateVerificationError} with the most telling failure. The server name is not checked here.
 *
 * @example
 * ```ts ignore
 * const path = await validatePath({ leaf, intermediates, anchors, now: new Date(), purpose: "serverAuth", crypto });
 * ```
 */
export async function validatePath(input: PathInput): Promise<ParsedCertificate[]> {
  const { leaf, now, purpose } = input;
  const pinned = input.anchors.has(leaf.der);
  const what = purpose === "serverAuth" ? "the server certificate" : "the client certificate";
  checkValidity(leaf, now, what);
  usableKey(leaf, what);
  checkProfile(leaf, { role: pinned ? "pinned" : "leaf", purpose });
  if (pinned) return [leaf];
  return await new PathBuilder(input.crypto, input.anchors, input.intermediates, now, purpose).extend([leaf]);
}
