/**
 * Test certificates made with the library's own `generateCertificate`, and a runner for the `openssl`
 * command-line tool that the cross-checks use.
 *
 * @module
 */

import { generateCertificate, type GeneratedCertificate } from "../x509/generate.ts";

/** A root CA, an intermediate CA it issued, and a "localhost" leaf the intermediate issued. */
export interface TestChain {
  readonly root: GeneratedCertificate;
  readonly inter: GeneratedCertificate;
  readonly leaf: GeneratedCertificate;
}

/** SAN of the default leaf. */
export const LEAF_NAMES = ["localhost", "www.example.com", "127.0.0.1", "::1"] as const;

/** Makes a fresh chain, ECDSA P-256 throughout unless `keyAlgorithm` says otherwise. */
export async function makeChain(
  keyAlgorithm: Parameters<typeof generateCertificate>[0]["keyAlgorithm"] = "ECDSA-P256",
): Promise<TestChain> {
  const root = await generateCertificate({
    subject: "CN=Test Root CA, O=subtls tests",
    isCA: true,
    keyAlgorithm,
  });
  const inter = await generateCertificate({
    subject: "CN=Test Intermediate CA, O=subtls tests",
    isCA: true,
    issuer: root,
    keyAlgorithm,
  });
  const leaf = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: [...LEAF_NAMES],
    issuer: inter,
    keyAlgorithm,
  });
  return { root, inter, leaf };
}

let shared: Promise<TestChain> | undefined;

/** One ECDSA P-256 chain shared by the tests of this process. */
export function sharedChain(): Promise<TestChain> {
  shared ??= makeChain();
  return shared;
}

/** A copy of `der` with its last byte — part of the signature value — changed. */
export function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = der.slice();
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

/** A temporary directory, removed when the process ends normally. */
export async function tempDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "subtls-x509-" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  return dir;
}

/** Runs `openssl` in `cwd` and returns its standard output; throws with its stderr when it fails. */
export async function openssl(args: readonly string[], cwd: string): Promise<string> {
  const output = await new Deno.Command("openssl", { args: [...args], cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!output.success) {
    throw new Error(`openssl ${args.join(" ")} failed (exit ${output.code}):\n${decode(output.stderr)}`);
  }
  return decode(output.stdout);
}

/** A minimal `openssl req` configuration: no default extensions, so only `-addext` ones appear. */
export const MINIMAL_OPENSSL_CONFIG = "[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\n";
