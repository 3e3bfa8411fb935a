/**
 * Work a handshake state starts before it needs the result, so that independent crypto calls (each an
 * asynchronous hop) overlap instead of queueing: transcript hashes, finished_keys, the Master Secret, the
 * server's CertificateVerify signature, the client's chain validation.
 *
 * @module
 */

/**
 * `promise`, marked as started ahead of the `await` that uses it: should it fail while the state is still
 * busy elsewhere (or abort before reaching that `await`), the rejection is not reported as unhandled. The
 * `await` still sees the failure.
 */
export function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
