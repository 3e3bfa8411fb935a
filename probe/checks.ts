/**
 * The certificate checks the probe lists, and how a `CertificateVerificationError` code maps onto them.
 *
 * The library's verifier stops at the first failure, in this order (see `x509/path.ts`): the leaf on its
 * own (validity, key, the certificate profile of `x509/profile.ts`), then the path to a trust anchor
 * (issuer, signature, the issuers' validity and profile), then the server name. So when the server name fails, every other check
 * has passed; when anything else fails, the checks it did not reach are shown as not checked.
 *
 * @module
 */

import type { CertificateErrorCode } from "../mod.ts";

/** A certificate check, as the probe names it. */
export type CheckName =
  | "validity period"
  | "trusted issuer"
  | "signature"
  | "certificate profile"
  | "server name";

/** The checks, in the order the probe lists them. */
export const CHECKS: readonly CheckName[] = [
  "validity period",
  "trusted issuer",
  "signature",
  "certificate profile",
  "server name",
];

/** A check's outcome: `not_checked` when verification stopped before it or never ran. */
export type CheckStatus = "pass" | "fail" | "not_checked";

/** One line of the verification report. */
export interface CheckResult {
  /** Which check. */
  readonly check: CheckName;
  /** How it went. */
  readonly status: CheckStatus;
  /** For a failure: the error code, e.g. `"hostname_mismatch"`. */
  readonly code?: CertificateErrorCode;
  /** For a failure: the library's message. */
  readonly message?: string;
}

/** Which check each error code belongs to. */
export const CHECK_OF_CODE: Readonly<Record<CertificateErrorCode, CheckName>> = {
  expired: "validity period",
  not_yet_valid: "validity period",
  unknown_issuer: "trusted issuer",
  not_a_ca: "trusted issuer",
  path_length_exceeded: "trusted issuer",
  name_constraint_violation: "trusted issuer",
  bad_signature: "signature",
  unsupported_algorithm: "signature",
  weak_key: "signature",
  bad_key_usage: "certificate profile",
  bad_key_identifier: "certificate profile",
  bad_basic_constraints: "certificate profile",
  bad_name: "certificate profile",
  bad_name_constraints: "certificate profile",
  bad_serial_number: "certificate profile",
  bad_extended_key_usage: "certificate profile",
  unknown_critical_extension: "certificate profile",
  malformed: "certificate profile",
  rejected_by_callback: "certificate profile",
  hostname_mismatch: "server name",
};

/** Every check passed. */
export function allPassed(): CheckResult[] {
  return CHECKS.map((check) => ({ check, status: "pass" }));
}

/** Verification never ran (the handshake failed before the server's certificate was checked). */
export function noneChecked(): CheckResult[] {
  return CHECKS.map((check) => ({ check, status: "not_checked" }));
}

/** The checks after verification failed with `code`. */
export function failedAt(code: CertificateErrorCode, message: string): CheckResult[] {
  const failed = CHECK_OF_CODE[code];
  return CHECKS.map((check): CheckResult => {
    if (check === failed) return { check, status: "fail", code, message };
    // The name is checked last: a name mismatch means every other check passed.
    return { check, status: failed === "server name" ? "pass" : "not_checked" };
  });
}
