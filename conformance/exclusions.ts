/**
 * Everything of tlsfuzzer that `deno task conformance` does not run, or runs expecting a failure, each with
 * the RFC clause or design decision behind it. This file is the one list: the runner passes the probes to
 * the scripts (`-e` to skip a probe, `-x`/`-X` to run it and require the stated failure), and the totals in
 * the README and docs/conformance.md are counted from it.
 *
 * @module
 */

/** Why something is excluded: the categories the report counts by. */
export const CATEGORIES = {
  "old-versions": "SSL 2.0, SSL 3.0, TLS 1.0 and 1.1 are not offered (RFC 8996)",
  "cbc": "CBC and other non-AEAD suites are not offered, only AEAD (Lucky Thirteen, padding oracles)",
  "rsa-key-transport":
    "RSA key transport is not offered by a server (no forward secrecy; Bleichenbacher, ROBOT)",
  "ffdhe": "finite-field DHE is not offered, RFC 7919 groups included (servers' own groups: Logjam, Raccoon)",
  "renegotiation": "renegotiation is refused with no_renegotiation (RFC 5746 signalling only)",
  "psk-ke":
    "resumption without (EC)DHE (psk_ke) is not offered: psk_dhe_ke only, for forward secrecy (RFC 8446 §4.2.9)",
  "webcrypto": "the algorithm is not in WebCrypto, which does every cryptographic operation here " +
    "(brainpool curves, Ed448, ML-DSA, AES-CCM, DSA)",
  "not-implemented": "an optional feature this library does not implement (see the README's limitations)",
  "rfc": "the RFC asks for another alert than the script: the probes run and must fail with this library's",
  "script": "the probe cannot pass or fail reliably against any server, for a reason in the script",
  "timing": "a timing side-channel measurement, not a conformance check",
  "sha1":
    "SHA-1 and MD5 signatures are refused (RFC 9155): a TLS 1.2 ClientHello without signature_algorithms " +
    "implies SHA-1 (RFC 5246 §7.4.1.4.1)",
  "no-renegotiation-fatal":
    "renegotiation is refused with a fatal no_renegotiation alert, as BoringSSL does; " +
    "RFC 5246 §7.2.2 calls the alert a warning and the script expects one: the probes run and must fail so",
  "unassessed":
    "it takes -C for an AEAD suite, but was not brought to pass in this round (client certificates " +
    "in TLS 1.2, MAC and plaintext fuzzing, record lengths, the nonces of both AES-GCM sizes in one run, " +
    "ec_point_formats): not counted as passing, listed for follow-up",
} as const;

/** One of {@link CATEGORIES}. */
export type Category = keyof typeof CATEGORIES;

/** Probes of one run that are skipped (`-e`) or run and must fail with `expect` (`-x`/`-X`). */
export interface ProbeExclusion {
  /** The run's name (`runName` in plan.ts). */
  readonly run: string;
  readonly probes: readonly string[];
  readonly category: Category;
  /** The RFC clause or design decision. */
  readonly reason: string;
  /** When set, the probes run and must fail with an error containing this text. */
  readonly expect?: string;
}

/** A script that is not run at all. */
export interface ScriptExclusion {
  readonly script: string;
  readonly category: Category;
  readonly reason: string;
}

/** `prefix` + each of `values`. */
const each = (values: readonly (string | number)[], name: (v: string | number) => string) => values.map(name);
const BITS = [1, 2, 4, 8, 16, 32, 64, 128];

/** The AES-CCM probes of test-tls13-symetric-ciphers.py: a connection, then each tag byte fuzzed. */
function ccmProbes(): string[] {
  const out: string[] = [];
  for (const [suite, tag] of [["TLS_AES_128_CCM_SHA256", 16], ["TLS_AES_128_CCM_8_SHA256", 8]] as const) {
    out.push(`check connection with ${suite}`);
    for (const bit of BITS) {
      for (let pos = -1; pos >= -tag; pos--) {
        out.push(`check connection with ${suite} - fuzz tag on application data with ${bit} on pos ${pos}`);
        out.push(`check connection with ${suite} - fuzz tag on finished message with ${bit} on pos ${pos}`);
      }
    }
  }
  return out;
}

/** Probes excluded from runs that otherwise run. */
export const EXCLUDED_PROBES: readonly ProbeExclusion[] = [
  // ---- TLS 1.3 ----
  {
    run: "test-tls13-0rtt-garbage.py",
    probes: ["handshake with invalid 0-RTT and unknown version (downgrade to TLS 1.2)"],
    category: "cbc",
    reason: "its TLS 1.2 fallback offers CBC suites only (TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, DHE, RSA)",
  },
  {
    run: "test-tls13-crfg-curves.py",
    probes: ["empty x25519 key share", "empty x448 key share"],
    category: "rfc",
    reason:
      "KeyShareEntry.key_exchange is <1..2^16-1> (RFC 8446 §4.2.8): an empty one does not parse, which " +
      "§6.2 answers with decode_error; the script wants illegal_parameter (tlsfuzzer's own test-x25519.py " +
      "expects decode_error for the same ClientHello)",
    expect: 'received "decode_error"',
  },
  {
    run: "test-tls13-dhe-shared-secret-padding.py",
    probes: ["TLS 1.3 with ffdhe2048", "TLS 1.3 with ffdhe3072"],
    category: "ffdhe",
    reason: "FFDHE groups are not offered; the probes of the ECDHE groups run",
  },
  {
    run: "test-tls13-ecdsa-support.py",
    probes: each(
      ["brainpoolP256r1tls13_sha256", "brainpoolP384r1tls13_sha384", "brainpoolP512r1tls13_sha512"],
      (s) => `Test with ecdsa_${s}`,
    ),
    category: "webcrypto",
    reason: "no brainpool curves in WebCrypto (RFC 8734 signature schemes)",
  },
  {
    run: "test-tls13-eddsa.py",
    probes: ["ed448 only"],
    category: "webcrypto",
    reason: "no Ed448 in WebCrypto (Deno 2.9)",
  },
  {
    run: "test-tls13-finished.py",
    probes: [
      ...each(
        [0x20000, 0x30000, 16777183],
        (n) => `padding - cipher TLS_AES_128_GCM_SHA256, pad_byte 0, pad_left 0, pad_right ${n}`,
      ),
      ...each(
        [0x20000, 0x30000, 16777167],
        (n) => `padding - cipher TLS_AES_256_GCM_SHA384, pad_byte 0, pad_left 0, pad_right ${n}`,
      ),
    ],
    category: "script",
    reason:
      "Finished messages of 128 KiB to 16 MiB: the server refuses each on its header with decode_error " +
      "and closes; the script, whose sending then fails, expects no alert but the close, so the probe passes " +
      "or fails with whichever of the alert and the TCP reset reaches it first (smaller paddings run)",
  },
  {
    run: "test-tls13-serverhello-random.py",
    probes: ["TLS 1.3 with ffdhe2048", "TLS 1.3 with ffdhe3072"],
    category: "ffdhe",
    reason: "FFDHE groups are not offered",
  },
  {
    run: "test-tls13-session-resumption.py",
    probes: ["session resumption - PSK_ONLY"],
    category: "psk-ke",
    reason:
      "a ticket offered with psk_ke only gets a full handshake (RFC 8446 §4.2.9 lets the server decline)",
  },
  {
    run: "test-tls13-symetric-ciphers.py",
    probes: ccmProbes(),
    category: "webcrypto",
    reason: "no AES-CCM in WebCrypto (TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256)",
  },
  {
    run: "test-tls13-unrecognised-groups.py",
    probes: ["EC", "FFDHE"].flatMap((range) =>
      [64, 128, 256].flatMap((size) => [
        `known group ffdhe2048 and unknown groups from ${range} range, key_share of size ${size}`,
        `only unknown key_share from ${range} range, key_share of size ${size} + ffdhe2048 in supported_groups`,
      ])
    ),
    category: "ffdhe",
    reason: "FFDHE groups are not offered; the same probes with secp256r1 as the known group run",
  },
  {
    run: "test-tls13-version-negotiation.py",
    probes: ["fallback from TLS 1.8 to 1.1"],
    category: "old-versions",
    reason: "supported_versions of TLS 1.8 and 1.1 only: TLS 1.1 is refused with protocol_version (RFC 8996)",
  },
  // ---- TLS 1.2 ----
  {
    run: "test-downgrade-protection.py",
    probes: ["TLS 1.3 downgrade check for Protocol (3, 1)", "TLS 1.3 downgrade check for Protocol (3, 2)"],
    category: "old-versions",
    reason: "TLS 1.0 and 1.1 are refused with protocol_version, so there is no downgrade sentinel to check",
  },
  {
    run: "test-downgrade-protection.py",
    probes: ["TLS 1.3 downgrade check for Protocol (3, 3)"],
    category: "cbc",
    reason: "its TLS 1.2 ClientHello offers CBC suites only; the TLS 1.2 sentinel is checked by " +
      "tests/tls12_versions_test.ts",
  },
  {
    run: "test-renegotiation-disabled.py",
    probes: [
      "try secure renegotiation with GET after 2nd CH",
      "try secure renegotiation with incomplete GET",
      "try insecure (legacy) renegotiation with GET after 2nd CH",
      "try insecure (legacy) renegotiation with incomplete GET",
    ],
    category: "no-renegotiation-fatal",
    reason:
      "the renegotiating ClientHello gets a fatal no_renegotiation (RFC 5746 §4.4 lets a server refuse; " +
      "this library ends the connection), where the script wants a warning and the connection kept",
    expect: "Alert level 2 != 1",
  },
];

/** Script exclusions of one category and reason. */
function scripts(category: Category, reason: string, names: readonly string[]): ScriptExclusion[] {
  return names.map((script) => ({ script, category, reason }));
}

/** Scripts of the suite that are not run. */
export const EXCLUDED_SCRIPTS: readonly ScriptExclusion[] = [
  // ---- TLS 1.3 ----
  {
    script: "test-tls13-certificate-compression.py",
    category: "not-implemented",
    reason: "certificate compression (RFC 8879): the server ignores compress_certificate, as a server " +
      "without it must, and the script tests the compression itself",
  },
  {
    script: "test-tls13-client-certificate-compression.py",
    category: "not-implemented",
    reason: "certificate compression (RFC 8879)",
  },
  {
    script: "test-tls13-ecdhe-brainpool-curves.py",
    category: "webcrypto",
    reason: "no brainpool curves in WebCrypto (RFC 8734 groups)",
  },
  {
    script: "test-tls13-ecdsa-brainpool-in-certificate-verify.py",
    category: "webcrypto",
    reason: "no brainpool curves in WebCrypto (RFC 8734 signature schemes)",
  },
  { script: "test-tls13-ffdhe-groups.py", category: "ffdhe", reason: "RFC 7919 groups in TLS 1.3" },
  { script: "test-tls13-ffdhe-sanity.py", category: "ffdhe", reason: "RFC 7919 groups in TLS 1.3" },
  {
    script: "test-tls13-minerva.py",
    category: "timing",
    reason: "ECDSA signing-time analysis over 100,000 handshakes per probe; the signing is WebCrypto's",
  },
  {
    script: "test-tls13-mldsa-in-certificate-verify.py",
    category: "webcrypto",
    reason: "no ML-DSA signatures in WebCrypto (Deno 2.9)",
  },
  {
    script: "test-tls13-mlkem.py",
    category: "not-implemented",
    reason: "needs the kyber-py Python library (neither Debian nor this machine has it) to make ML-KEM " +
      "shares; X25519MLKEM768 is checked against Deno.connectTls (rustls) and Chromium in the interop tests. " +
      "(The script's other groups, SecP256r1MLKEM768 and SecP384r1MLKEM1024, are not implemented.)",
  },
  {
    script: "test-tls13-non-support.py",
    category: "cbc",
    reason: "it checks a TLS 1.2-only server, with a TLS 1.2 fallback of CBC suites only",
  },
  {
    script: "test-tls13-post-handshake-auth.py",
    category: "not-implemented",
    reason: "post-handshake client authentication (RFC 8446 §4.6.2)",
  },
  {
    script: "test-tls13-psk_dhe_ke.py",
    category: "not-implemented",
    reason: "external (out-of-band) PSKs: only resumption PSKs from this server's own tickets",
  },
  {
    script: "test-tls13-psk_ke.py",
    category: "not-implemented",
    reason: "external (out-of-band) PSKs, with psk_ke (no (EC)DHE) besides",
  },
  // ---- TLS 1.2 and older ----
  ...scripts("old-versions", "SSL 2.0, SSL 3.0, TLS 1.0 or 1.1 ClientHellos, or export suites", [
    "test-SSLv3-padding.py",
    "test-TLSv1_2-rejected-without-TLSv1_2.py",
    "test-client-compatibility.py",
    "test-export-ciphers-rejected.py",
    "test-serverhello-random.py",
    "test-sslv2-connection.py",
    "test-sslv2-force-cipher-3des.py",
    "test-sslv2-force-cipher-non3des.py",
    "test-sslv2-force-cipher.py",
    "test-sslv2-force-export-cipher.py",
    "test-sslv2hello-protocol.py",
  ]),
  ...scripts("rsa-key-transport", "RSA key exchange (TLS_RSA_*) on the server: Bleichenbacher oracles", [
    "test-bleichenbacher-timing-marvin.py",
    "test-bleichenbacher-timing-pregenerate.py",
    "test-bleichenbacher-workaround.py",
    "test-invalid-rsa-key-exchange-messages.py",
    "test-truncating-of-kRSA-client-key-exchange.py",
  ]),
  ...scripts("ffdhe", "finite-field DHE key exchange", [
    "test-dhe-key-share-random.py",
    "test-dhe-no-shared-secret-padding.py",
    "test-dhe-rsa-key-exchange.py",
    "test-dhe-rsa-key-exchange-signatures.py",
    "test-dhe-rsa-key-exchange-with-bad-messages.py",
    "test-ffdhe-expected-params.py",
    "test-ffdhe-negotiation.py",
  ]),
  ...scripts("webcrypto", "AES-CCM or DSA, which WebCrypto does not have", [
    "test-aesccm.py",
    "test-dsa-in-certificate-verify.py",
    "test-dsa-sig-flexibility.py",
  ]),
  ...scripts("timing", "Lucky Thirteen timing of CBC padding", ["test-lucky13.py"]),
  ...scripts("renegotiation", "every probe renegotiates", [
    "test-encrypt-then-mac-renegotiation.py",
    "test-interleaved-application-data-and-fragmented-handshakes-in-renegotiation.py",
    "test-interleaved-application-data-in-renegotiation.py",
    "test-legacy-renegotiation.py",
    "test-openssl-3712.py",
    "test-renegotiation-changed-clienthello.py",
    "test-renegotiation-disabled-client-cert.py",
    "test-sig-algs-renegotiation-resumption.py",
  ]),
  ...scripts("not-implemented", "session-ID resumption (TLS 1.2 resumes by RFC 5077 tickets only)", [
    "test-invalid-server-name-extension-resumption.py",
    "test-resumption-with-wrong-ciphers.py",
    "test-sessionID-resumption.py",
  ]),
  ...scripts("not-implemented", "OCSP stapling, record_size_limit (RFC 8449) or heartbeat (RFC 6520)", [
    "test-heartbeat.py",
    "test-ocsp-stapling.py",
    "test-record-size-limit.py",
  ]),
  ...scripts("sha1", "its ClientHellos carry no signature_algorithms, or SHA-1/MD5 only", [
    "test-chacha20.py",
    "test-clienthello-md5.py",
  ]),
  ...scripts("unassessed", "takes -C; not run yet", [
    "test-aes-gcm-nonces.py",
    "test-point-extension.py",
    "test-certificate-malformed.py",
    "test-certificate-request.py",
    "test-certificate-verify-malformed.py",
    "test-certificate-verify.py",
    "test-cve-2016-7054.py",
    "test-ecdsa-sig-flexibility.py",
    "test-fuzzed-MAC.py",
    "test-fuzzed-plaintext.py",
    "test-lengths.py",
  ]),
  ...scripts(
    "cbc",
    "its TLS 1.2 handshakes use CBC suites (or RSA key transport) only: it takes no -C for another suite",
    [
      "test-alpn-negotiation.py",
      "test-atypical-padding.py",
      "test-certificate-verify-malformed-sig.py",
      "test-client-hello-max-size.py",
      "test-cve-2016-2107.py",
      "test-ecdhe-padded-shared-secret.py",
      "test-ecdhe-rsa-key-exchange.py",
      "test-ecdhe-rsa-key-share-random.py",
      "test-ecdsa-in-certificate-verify.py",
      "test-eddsa-in-certificate-verify.py",
      "test-empty-extensions.py",
      "test-encrypt-then-mac.py",
      "test-extended-master-secret-extension-with-client-cert.py",
      "test-extended-master-secret-extension.py",
      "test-extensions.py",
      "test-fallback-scsv.py",
      "test-fuzzed-finished.py",
      "test-fuzzed-padding.py",
      "test-invalid-cipher-suites.py",
      "test-invalid-client-hello.py",
      "test-invalid-server-name-extension.py",
      "test-invalid-session-id.py",
      "test-invalid-version.py",
      "test-large-number-of-extensions.py",
      "test-message-duplication.py",
      "test-message-skipping.py",
      "test-no-heartbeat.py",
      "test-rsa-pss-sigs-on-certificate-verify.py",
      "test-rsa-sigs-on-certificate-verify.py",
      "test-session-ticket-resumption.py",
      "test-sig-algs.py",
      "test-signature-algorithms.py",
      "test-ssl-death-alert.py",
      "test-truncating-of-finished.py",
      "test-unsupported-curve-fallback.py",
      "test-x25519.py",
    ],
  ),
];

/** The `-e`/`-x`/`-X` arguments for a run. */
export function exclusionArgs(run: string): string[] {
  const args: string[] = [];
  for (const e of EXCLUDED_PROBES) {
    if (e.run !== run) continue;
    for (const probe of e.probes) args.push(...(e.expect ? ["-x", probe, "-X", e.expect] : ["-e", probe]));
  }
  return args;
}

/** How many probes of a run are skipped with `-e`. */
export function excludedProbeCount(run: string): number {
  return EXCLUDED_PROBES.filter((e) => e.run === run && !e.expect).reduce((n, e) => n + e.probes.length, 0);
}
