/**
 * The certificates of the conformance runs, made with the library's own `generateCertificate`: a root CA,
 * "localhost" server leaves of each key type the scripts ask for, and a client certificate for the
 * client-authentication scripts. The PEM files are written to a temporary directory, since some scripts
 * take a key or certificate file (`-k`, `-c`, `-s`).
 *
 * @module
 */

import { generateCertificate, type GeneratedCertificate, type KeyPairAlgorithm } from "../mod.ts";

/** The server key types of the runs, by the name the plan uses. */
export const SERVER_KEYS = {
  rsa: "RSA-2048",
  ecdsa: "ECDSA-P256",
  ecdsa384: "ECDSA-P384",
  ecdsa521: "ECDSA-P521",
  ed25519: "Ed25519",
  rsapss: "RSA-PSS-2048",
} as const satisfies Record<string, KeyPairAlgorithm>;
/** A server key type of {@link SERVER_KEYS}. */
export type ServerKey = keyof typeof SERVER_KEYS;

/** The certificates of one run of the runner, and the files a script may be given. */
export interface ConformancePki {
  readonly root: GeneratedCertificate;
  readonly servers: Readonly<Record<ServerKey, GeneratedCertificate>>;
  /** RSA client certificate (clientAuth EKU) issued by `root`. */
  readonly client: GeneratedCertificate;
  /** ECDSA P-256 client certificate issued by `root`. */
  readonly clientEcdsa: GeneratedCertificate;
  /** Ed25519 client certificate issued by `root`. */
  readonly clientEd25519: GeneratedCertificate;
  /** The directory holding the PEM files below. */
  readonly dir: string;
  /** Path of each PEM file by placeholder name, e.g. `clientKey` → `<dir>/client-key.pem`. */
  readonly files: Readonly<Record<string, string>>;
}

/** Makes the PKI and writes its files into a new temporary directory (remove it with `removePki`). */
export async function makePki(): Promise<ConformancePki> {
  const root = await generateCertificate({ subject: "CN=subtls conformance root", isCA: true });
  const leaf = (keyAlgorithm: KeyPairAlgorithm) =>
    generateCertificate({
      subject: "CN=localhost",
      subjectAltNames: ["localhost", "127.0.0.1"],
      issuer: root,
      keyAlgorithm,
      extKeyUsage: ["serverAuth"],
    });
  const entries = await Promise.all(
    Object.entries(SERVER_KEYS).map(async ([name, algorithm]) => [name, await leaf(algorithm)] as const),
  );
  const servers = Object.fromEntries(entries) as Record<ServerKey, GeneratedCertificate>;
  const clientCert = (keyAlgorithm: KeyPairAlgorithm) =>
    generateCertificate({
      subject: "CN=tlsfuzzer client",
      subjectAltNames: [],
      issuer: root,
      keyAlgorithm,
      extKeyUsage: ["clientAuth"],
    });
  const client = await clientCert("RSA-2048");
  const clientEcdsa = await clientCert("ECDSA-P256");
  const clientEd25519 = await clientCert("Ed25519");
  const dir = await Deno.makeTempDir({ prefix: "subtls-conformance-" });
  const files: Record<string, string> = {};
  const write = async (name: string, pem: string) => {
    files[name] = `${dir}/${name}.pem`;
    await Deno.writeTextFile(files[name], pem);
  };
  await write("rootCert", root.cert);
  await write("clientCert", client.cert);
  await write("clientKey", client.key);
  await write("clientEcdsaCert", clientEcdsa.cert);
  await write("clientEcdsaKey", clientEcdsa.key);
  await write("clientEd25519Cert", clientEd25519.cert);
  await write("clientEd25519Key", clientEd25519.key);
  for (const [name, cert] of entries) {
    await write(`${name}Cert`, cert.cert);
    await write(`${name}Key`, cert.key);
  }
  return { root, servers, client, clientEcdsa, clientEd25519, dir, files };
}

/** Removes the PKI's files. */
export async function removePki(pki: ConformancePki): Promise<void> {
  await Deno.remove(pki.dir, { recursive: true }).catch(() => {});
}
