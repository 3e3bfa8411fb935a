/**
 * Hints on certificate failures: what to do about a refused certificate, naming the option of
 * `connectTls`/`startTls` (a server's certificate) or `listenTls`/`acceptTls` (a client's) that fixes it, or
 * who has to. They are added where those options are known, by wrapping the certificate verifier; the
 * verifier's own messages (shared with `@subtle/tls/x509`, which has other options) stay as they are.
 *
 * @module
 */

import { type CertificateErrorCode, CertificateVerificationError } from "../errors.ts";
import type { CertificateVerifier } from "../x509/verifier.ts";

/** Whose certificate was refused: the server's (checked by a client) or a client's (checked by a server). */
type Peer = "server" | "client";

/** Codes of a failed validity period. */
const VALIDITY: readonly CertificateErrorCode[] = ["expired", "not_yet_valid"];

/**
 * Codes with which a self-signed leaf fails unless it is itself a trust anchor: no issuer, or the rules of a
 * CA-issued leaf that a pinned certificate is exempt from (see `x509/profile.ts`).
 */
const PINNING_FIXES: readonly CertificateErrorCode[] = [
  "unknown_issuer",
  "bad_basic_constraints",
  "bad_extended_key_usage",
  "bad_key_identifier",
  "bad_name",
  "bad_name_constraints",
];

/** True when the certificate of `der` names itself as its issuer (self-signed, for the purpose of a hint). */
function selfIssued(verifier: CertificateVerifier, der: Uint8Array | undefined): boolean {
  if (!der) return false;
  try {
    const { subject, issuer } = verifier.describe(der);
    return subject === issuer;
  } catch {
    return false;
  }
}

/** The hint for `e`, or undefined when there is nothing better to say than the reason. */
function hintFor(
  e: CertificateVerificationError,
  peer: Peer,
  selfSigned: boolean,
  now: Date,
): string | undefined {
  const trust = peer === "server" ? "caCerts" : "clientCaCerts";
  if (VALIDITY.includes(e.code)) {
    return `Check this machine's clock (it reads ${now.toISOString()}); if it is right, the ${peer} ` +
      `must renew its certificate`;
  }
  if (e.code === "hostname_mismatch") {
    return "If this is the server you meant, connect with serverName set to a name the certificate is valid for";
  }
  if (selfSigned && PINNING_FIXES.includes(e.code)) {
    // A self-signed leaf fails as unknown_issuer, or earlier on the profile of a leaf (a CA certificate
    // used as a server's own, as `openssl req -x509` makes it); trusted as itself it is a path of one.
    return `The ${peer}'s certificate is self-signed: to trust it, pass it (PEM) in ${trust}`;
  }
  if (e.code === "unknown_issuer") {
    return peer === "server"
      ? 'Trust the CA that issued it with caCerts (PEM), or with trustStore: "system" when it is installed ' +
        "on this machine; a server that leaves out its intermediate certificates fails this way too"
      : "clientCaCerts must hold the CA that issued the client's certificate";
  }
  return undefined;
}

/** `e` with its hint, or `e` itself when there is none (or it has one already). */
function withHint(
  e: unknown,
  peer: Peer,
  verifier: CertificateVerifier,
  chain: readonly Uint8Array[],
  now: Date,
): unknown {
  if (!(e instanceof CertificateVerificationError) || e.hint !== undefined) return e;
  const hint = hintFor(e, peer, selfIssued(verifier, chain[0]), now);
  if (hint === undefined) return e;
  return new CertificateVerificationError(e.code, e.detail, e.subject, { cause: e.cause, hint });
}

/**
 * `verifier` whose errors carry a hint naming the options of the TLS API: `caCerts`, `trustStore` and
 * `serverName` for a server's chain, `clientCaCerts` for a client's.
 */
export function withHints(verifier: CertificateVerifier): CertificateVerifier {
  return {
    ...verifier,
    verifyServer: (request) =>
      verifier.verifyServer(request).catch((e) => {
        throw withHint(e, "server", verifier, request.chain, request.now);
      }),
    verifyClient: (request) =>
      verifier.verifyClient(request).catch((e) => {
        throw withHint(e, "client", verifier, request.chain, request.now);
      }),
  };
}
