/**
 * The client side of the interop tests: connect the client under test (`../mod.ts`) to a peer started by
 * `_peers.ts`, and check what it negotiated or how it refused.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  CertificateVerificationError,
  type CipherSuiteName,
  connectTls,
  type ConnectTlsOptions,
  type GroupName,
  type TlsConn,
  type TlsHandshakeInfo,
} from "../mod.ts";
import { alertForCertificateError, type CertificateErrorCode } from "../errors.ts";
import { type CertAndKey, testPki } from "./_pki.ts";
import { assertBytesEqual, pemToDer } from "./_peers.ts";

/** A connected client and what its handshake negotiated. */
export interface Connected {
  conn: TlsConn;
  info: TlsHandshakeInfo;
}

/**
 * Connects the client to 127.0.0.1:`port` with `serverName: "localhost"`, the test root as the only
 * trust anchor and no session cache (each overridable) and completes the handshake within 20 s. The caller closes `conn` (`using`).
 */
export async function connectClient(
  port: number,
  options: Partial<ConnectTlsOptions> = {},
): Promise<Connected> {
  const pki = await testPki();
  // A stuck handshake fails its test instead of hanging the run (a cleared timer: no sanitizer complaint).
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new Error(`no handshake with port ${port} within 20 s`)),
    20_000,
  );
  let conn: TlsConn;
  try {
    conn = await connectTls({
      hostname: "127.0.0.1",
      port,
      serverName: "localhost",
      caCerts: [pki.root.cert],
      signal: deadline.signal,
      // Full handshakes unless a test asks for resumption with a cache of its own.
      sessionCache: null,
      ...options,
    });
  } finally {
    clearTimeout(timer);
  }
  try {
    return { conn, info: await conn.handshake() };
  } catch (e) {
    conn.close();
    throw e;
  }
}

/** What a handshake is expected to have negotiated. */
export interface Expected {
  cipherSuite?: CipherSuiteName;
  group?: GroupName;
  /** The certificate the server sent. */
  leaf: CertAndKey;
  /** `null` by default. */
  alpnProtocol?: string | null;
  /** `"localhost"` by default. */
  serverName?: string | null;
}

/** Checks `info` against what was expected: TLS 1.3, the suite, the group, the server's certificate. */
export function assertNegotiated(info: TlsHandshakeInfo, expected: Expected): void {
  assert.equal(info.protocol, "TLSv1.3");
  if (expected.cipherSuite) assert.equal(info.cipherSuite, expected.cipherSuite);
  if (expected.group) assert.equal(info.group, expected.group);
  assert.equal(info.alpnProtocol, expected.alpnProtocol ?? null);
  assert.equal(info.serverName, expected.serverName === undefined ? "localhost" : expected.serverName);
  assert.equal(info.resumed, false);
  // Every peer here sends its leaf alone.
  assert.equal(info.peerCertificates.length, 1);
  const [leaf] = info.peerCertificates;
  assertBytesEqual(leaf.der, pemToDer(expected.leaf.cert), "peerCertificates[0].der");
  assert.equal(leaf.subject, "CN=localhost");
  assert.equal(leaf.issuer, "CN=subtls Test Root CA");
  assert.deepEqual(leaf.subjectAltNames, ["localhost", "127.0.0.1"]);
  assert.ok(leaf.notBefore.getTime() < Date.now() && Date.now() < leaf.notAfter.getTime());
}

/**
 * Connects to `port` and expects the handshake to fail with a `CertificateVerificationError` of `code`,
 * having sent the alert RFC 8446 §6.2 prescribes for it. The rejection leaves no connection open (Deno's
 * resource sanitizer checks the TCP connection was closed).
 */
export async function assertCertificateRefused(
  port: number,
  code: CertificateErrorCode,
  options: Partial<ConnectTlsOptions> = {},
): Promise<CertificateVerificationError> {
  let connected: Connected | undefined;
  try {
    connected = await connectClient(port, options);
  } catch (e) {
    assert.ok(e instanceof CertificateVerificationError, `expected a CertificateVerificationError, got ${e}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.alert, alertForCertificateError(code));
    return e;
  } finally {
    connected?.conn.close();
  }
  throw new assert.AssertionError({ message: `the handshake succeeded; expected it to fail with "${code}"` });
}
