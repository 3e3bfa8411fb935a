/**
 * What `deno task conformance` runs: each tlsfuzzer script that applies to this library's server, with the
 * arguments and the server set-up it needs. Scripts that do not apply are listed, with the reason, in
 * `exclusions.ts`, as are the excluded probes of the scripts that run.
 *
 * @module
 */

import type { ServerSetup } from "./server.ts";

/** One run of one script against a fresh server. */
export interface Run {
  /** The script's file name in tlsfuzzer's `scripts/`. */
  readonly script: string;
  /** Tells several runs of one script apart (in the run's name: `script [variant]`). */
  readonly variant?: string;
  /** Arguments after `-h`/`-p`; `{name}` is replaced by the path of a PKI file (see `pki.ts`). */
  readonly args?: readonly string[];
  readonly server: ServerSetup;
  /** Part of the time-boxed selection that `deno task test` runs (tests/conformance_test.ts). */
  readonly ci?: boolean;
  /** Seconds before the script is stopped (default {@link DEFAULT_TIMEOUT_SECONDS}). */
  readonly timeout?: number;
  /** Why the arguments are what they are. */
  readonly note?: string;
}

/** A script runs for at most this long unless its run says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** The name of a run in reports and in `exclusions.ts`. */
export function runName(run: Run): string {
  return run.variant ? `${run.script} [${run.variant}]` : run.script;
}

/** The default server: an RSA certificate, TLS 1.3 and 1.2, extended master secret required (TLS 1.2). */
const RSA: ServerSetup = { keys: ["rsa"] };
/** As {@link RSA}, for scripts whose TLS 1.2 handshakes send no extended_master_secret. */
const RSA_NO_EMS: ServerSetup = { keys: ["rsa"], options: { requireExtendedMasterSecret: false } };
/** As {@link RSA}, with HelloRetryRequest cookies (`helloRetryCookie`), for the scripts' `--cookie`. */
const RSA_COOKIE: ServerSetup = { keys: ["rsa"], options: { helloRetryCookie: true } };
const ECDSA: ServerSetup = { keys: ["ecdsa"] };
/** ECDSA certificates on P-256, P-384 and P-521: the one the client's signature_algorithms allow is used. */
const ECDSA_ALL_CURVES: ServerSetup = { keys: ["ecdsa", "ecdsa384", "ecdsa521"] };
const ED25519: ServerSetup = { keys: ["ed25519"] };
/** Client certificates requested (RSA server certificate). */
const CLIENT_AUTH: ServerSetup = { keys: ["rsa"], clientAuth: "request" };

/** The signature_algorithms of this library's CertificateRequest, in its order (for the scripts' `-s`). */
const CERTIFICATE_REQUEST_SCHEMES = [
  "ecdsa_secp256r1_sha256",
  "ecdsa_secp384r1_sha384",
  "ed25519",
  "rsa_pss_rsae_sha256",
  "rsa_pss_rsae_sha384",
  "rsa_pss_rsae_sha512",
  "rsa_pss_pss_sha256",
  "rsa_pss_pss_sha384",
  "rsa_pss_pss_sha512",
  "ecdsa_secp521r1_sha512",
].join(" ");
/** A TLS 1.2 suite of this server, for the scripts whose default is CBC or RSA key transport. */
const ECDHE_RSA = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
/** Every probe, not a random sample (the scripts that sample take `-n 0` for all). */
const ALL = ["-n", "0"];

/** The suites for the TLS 1.2 scripts' `-C` (their defaults are CBC or RSA key transport). */
const ECDHE_ECDSA = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256";
/** TLS 1.2 with ECDHE and an AEAD suite, extended master secret sent (`-M`): for the default server. */
const TLS12 = ["-d", "-C", ECDHE_RSA, "-M"];

const run = (script: string, extra: Partial<Run> = {}): Run => ({ script, server: RSA, ...extra });
const clientCert = (key: string, cert: string) => ["-k", `{${key}}`, "-c", `{${cert}}`];

/** Every run, in order. */
export const PLAN: readonly Run[] = [
  // ---- TLS 1.3 (test-tls13-*.py; the scripts not listed are in exclusions.ts) ----
  run("test-tls13-0rtt-garbage.py", { args: [...ALL, "-d", "-M"] }),
  run("test-tls13-ccs.py", { ci: true, args: ALL }),
  run("test-tls13-certificate-request.py", {
    server: CLIENT_AUTH,
    args: [
      ...clientCert("clientKey", "clientCert"),
      ...[
        "-s",
        CERTIFICATE_REQUEST_SCHEMES,
        "-E",
        "signature_algorithms_cert:CR 47:CR key_share:SH supported_versions:SH",
      ],
    ],
    note: "-E: the CertificateRequest carries signature_algorithms_cert and certificate_authorities (47) too",
  }),
  run("test-tls13-certificate-verify.py", {
    server: CLIENT_AUTH,
    args: ["-n", "200", ...clientCert("clientKey", "clientCert"), "-s", CERTIFICATE_REQUEST_SCHEMES],
    note: "-n 200: 200 of its 2,067 probes, drawn anew each run (all of them take about 5 minutes)",
  }),
  run("test-tls13-connection-abort.py", { args: ALL }),
  run("test-tls13-conversation.py", { ci: true, args: ALL }),
  run("test-tls13-conversation.py", { variant: "ECDSA", server: ECDSA, args: ALL }),
  run("test-tls13-count-tickets.py", { args: [...ALL, "-t", "2"] }),
  run("test-tls13-crfg-curves.py", { ci: true, args: ALL }),
  run("test-tls13-dhe-shared-secret-padding.py"),
  run("test-tls13-ecdhe-curves.py", { ci: true, args: ALL }),
  run("test-tls13-ecdsa-in-certificate-verify.py", {
    server: CLIENT_AUTH,
    args: [...ALL, ...clientCert("clientEcdsaKey", "clientEcdsaCert"), "-s", CERTIFICATE_REQUEST_SCHEMES],
  }),
  run("test-tls13-ecdsa-support.py", { server: ECDSA_ALL_CURVES, args: ALL }),
  run("test-tls13-eddsa.py", { server: ED25519, args: ALL }),
  run("test-tls13-eddsa-in-certificate-verify.py", {
    server: CLIENT_AUTH,
    args: [...ALL, ...clientCert("clientEd25519Key", "clientEd25519Cert"), "-s", CERTIFICATE_REQUEST_SCHEMES],
  }),
  run("test-tls13-empty-alert.py", { ci: true, args: ALL }),
  run("test-tls13-finished.py", { args: ALL }),
  run("test-tls13-finished-plaintext.py", { args: ALL }),
  run("test-tls13-hrr.py", { ci: true, args: ALL }),
  run("test-tls13-hrr.py", { variant: "cookie", ci: true, server: RSA_COOKIE, args: [...ALL, "--cookie"] }),
  run("test-tls13-invalid-ciphers.py", { args: ALL }),
  run("test-tls13-keyshare-omitted.py", { args: ALL }),
  run("test-tls13-keyupdate.py", {
    ci: true,
    args: [...ALL, "--coalescing"],
    note:
      "--coalescing: a KeyUpdate asking for one back is answered once for all those received before the " +
      "answer goes out (RFC 8446 §4.6.3)",
  }),
  run("test-tls13-keyupdate-from-server.py", { args: ALL }),
  run("test-tls13-large-number-of-extensions.py", { ci: true }),
  run("test-tls13-legacy-version.py", { args: ALL }),
  run("test-tls13-lengths.py", {
    server: { keys: ["rsa"], mode: "echo" },
    args: ["-n", "200"],
    note: "-n 200: 200 of the 16,384 record lengths, drawn anew each run (all of them take about 15 minutes)",
  }),
  run("test-tls13-multiple-ccs-messages.py", { ci: true, args: ALL }),
  run("test-tls13-no-unknown-groups.py", {
    server: { keys: ["rsa"], options: { groups: ["X25519", "P-256", "P-384", "P-521", "X448"] } },
    args: [...ALL, "--groups", "x25519,secp256r1,secp384r1,secp521r1,x448,4588"],
    note: "the server without X25519MLKEM768, which the script cannot make shares for without the kyber-py " +
      "library; --groups: the groups it knows (the first is the one it picks), and 4588 (X25519MLKEM768), " +
      "which is no unknown group",
  }),
  run("test-tls13-nociphers.py", { args: ALL }),
  run("test-tls13-obsolete-curves.py", {
    args: [...ALL, "--relaxed", "-a", "handshake_failure"],
    note:
      "--relaxed -a handshake_failure: obsolete groups are ignored like any unknown one (RFC 8446 §4.2) " +
      "rather than refused, since a client offering TLS 1.2 too may list them; with no group left the " +
      "answer is handshake_failure (§4.1.1)",
  }),
  run("test-tls13-pkcs-signature.py", { args: ALL }),
  run("test-tls13-record-layer-limits.py", { args: ALL }),
  run("test-tls13-record-padding.py", { args: ALL }),
  run("test-tls13-rsa-signatures.py", { args: ALL }),
  run("test-tls13-rsapss-signatures.py", { server: { keys: ["rsapss"] }, args: ALL }),
  run("test-tls13-rsapss-signatures.py", {
    variant: "RSA and RSA-PSS keys",
    server: { keys: ["rsa", "rsapss"] },
    args: [...ALL, "-b"],
  }),
  run("test-tls13-serverhello-random.py", { args: ALL }),
  run("test-tls13-session-resumption.py", { args: [...ALL, "-M", "--tls1.2-cipher", ECDHE_RSA] }),
  run("test-tls13-shuffled-extentions.py", { args: ALL }),
  run("test-tls13-signature-algorithms.py", { args: ALL }),
  run("test-tls13-symetric-ciphers.py", { args: ALL }),
  run("test-tls13-unencrypted-alert.py", { args: ALL }),
  run("test-tls13-unrecognised-groups.py", { args: ALL }),
  run("test-tls13-version-negotiation.py", { args: [...ALL, "-d", "-M", "-C", ECDHE_RSA] }),
  run("test-tls13-zero-content-type.py", { args: ALL }),
  run("test-tls13-zero-length-data.py", { args: ALL }),

  // ---- TLS 1.2, with ECDHE and AEAD suites (the scripts not listed are in exclusions.ts) ----
  run("test-ccs.py", { args: TLS12 }),
  run("test-connection-abort.py", { args: TLS12 }),
  run("test-conversation.py", { ci: true, args: TLS12 }),
  run("test-conversation.py", {
    variant: "no extended master secret",
    ci: true,
    server: RSA_NO_EMS,
    args: ["-d", "-C", ECDHE_RSA],
    note: "without -M: a server with requireExtendedMasterSecret: false",
  }),
  run("test-conversation.py", { variant: "ECDSA", server: ECDSA, args: ["-d", "-C", ECDHE_ECDSA, "-M"] }),
  run("test-cve-2004-0079.py", { args: ["-C", ECDHE_RSA, "-M"] }),
  run("test-cve-2016-6309.py", { args: TLS12 }),
  run("test-downgrade-protection.py", { args: ["-d", "-M", "--server-max-protocol", "TLSv1.3"] }),
  run("test-early-application-data.py", { args: TLS12 }),
  run("test-ecdhe-rsa-key-exchange-with-bad-messages.py", { ci: true, args: ["-C", ECDHE_RSA, "-M"] }),
  run("test-fuzzed-ciphertext.py", { args: TLS12 }),
  run("test-hello-request-by-client.py", { args: TLS12 }),
  run("test-interleaved-CKE-with-CCS.py", { args: ["-C", ECDHE_RSA, "-M"] }),
  run("test-invalid-client-hello-w-record-overflow.py", { args: TLS12 }),
  run("test-invalid-compression-methods.py", { args: TLS12 }),
  run("test-invalid-content-type.py", { ci: true, args: TLS12 }),
  run("test-large-hello.py", { args: ["-d", "-M"] }),
  run("test-no-mlkem-in-old-tls.py", { args: TLS12 }),
  run("test-record-layer-fragmentation.py", { ci: true, args: TLS12 }),
  run("test-renegotiation-disabled.py", { server: RSA_NO_EMS, args: ["-d", "-C", ECDHE_RSA] }),
  run("test-truncating-of-client-hello.py", { args: TLS12 }),
  run("test-version-numbers.py", { ci: true, args: TLS12 }),
  run("test-zero-length-data.py", { ci: true, args: TLS12 }),
];
