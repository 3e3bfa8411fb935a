/**
 * Chains for the certificate-profile tests (`x509_profile_test.ts`, `x509_private_pki_test.ts`): a conformant
 * root → intermediate → leaf made with `generateCertificate` from the key pool, with per-certificate changes.
 *
 * @module
 */
import { decodeCertificate } from "../x509/certificate.ts";
import {
  type CertificateOverrides,
  generateCertificate,
  type GenerateCertificateOptions,
  type GeneratedCertificate,
} from "../x509/generate.ts";
import { type VerifiedCertificateChain, verifyCertificateChain } from "../x509/verify.ts";
import { keyPool } from "./_chains.ts";

/** Options of generateCertificate, all optional. */
export type Options = Partial<GenerateCertificateOptions>;

/** A root, an intermediate it issued, and a leaf the intermediate issued. */
export interface Chain {
  readonly root: GeneratedCertificate;
  readonly inter: GeneratedCertificate;
  readonly leaf: GeneratedCertificate;
}

/** The name of the leaf. */
export const HOST = "www.example.com";

/** A conformant root → intermediate → leaf chain, with `change` applied to the options of each. */
export async function chain(
  change: { root?: Options; inter?: Options; leaf?: Options } = {},
): Promise<Chain> {
  const keys = await keyPool();
  const root = await generateCertificate({
    subject: "CN=Profile Root, O=subtls",
    isCA: true,
    key: keys.ec[0],
    ...change.root,
  });
  const inter = await generateCertificate({
    subject: "CN=Profile Intermediate, O=subtls",
    isCA: true,
    key: keys.ec[1],
    issuer: root,
    ...change.inter,
  });
  const leaf = await generateCertificate({
    subject: "CN=Profile Leaf",
    subjectAltNames: [HOST],
    key: keys.ec[2],
    issuer: inter,
    ...change.leaf,
  });
  return { root, inter, leaf };
}

/** Verifies `c` for HOST (server) or without a name (client). */
export function verify(c: Chain, usage: "server" | "client" = "server"): Promise<VerifiedCertificateChain> {
  return verifyCertificateChain({
    leaf: c.leaf.der,
    intermediates: [c.inter.der],
    trustAnchors: [c.root.cert],
    hostname: usage === "server" ? HOST : undefined,
    usage,
  });
}

/** Options that change one extension of a certificate (see `CertificateOverrides`). */
export function ext(id: string, change: false | { critical?: boolean; value?: Uint8Array }): Options {
  return { overrides: { extensions: { [id]: change } } };
}

/** Options with `o` as the test-only overrides. */
export function overrides(o: CertificateOverrides): Options {
  return { overrides: o };
}

/** The subject key identifier the pool key `index` gets from generateCertificate. */
export async function keyIdOf(index: number): Promise<Uint8Array> {
  const keys = await keyPool();
  const cert = await generateCertificate({ subject: "CN=k", isCA: true, key: keys.ec[index] });
  return decodeCertificate(cert.der).subjectKeyIdentifier!;
}

/** `n` octets, the first one `first`. */
export const octets = (n: number, first: number): Uint8Array =>
  new Uint8Array(n).fill(0x5a).map((b, i) => i === 0 ? first : b);
