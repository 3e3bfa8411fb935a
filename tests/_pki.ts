/**
 * Test PKI for the interop tests, made with the `openssl` command-line tool at test time into a temporary
 * directory (once per process, see {@link testPki}):
 *
 * - `root`: "subtls Test Root CA", RSA-2048, signs every leaf below with sha256WithRSAEncryption;
 * - `leaves`: one leaf per key type in {@link CERT_TYPES}, subject "localhost", SAN `DNS:localhost,
 *   IP:127.0.0.1`, EKU serverAuth;
 * - `wrongName`: as a leaf, but SAN `DNS:wrong.example` only;
 * - `expired`: as a leaf, but valid from 2020-01-01 to 2021-01-01;
 * - `otherRoot` and `untrusted`: an unrelated CA (ECDSA P-256) and a "localhost" leaf it issued;
 * - `nonConformant`: a "localhost" leaf issued by `root` without authority key identifier and extended key
 *   usage, as a hand-written OpenSSL configuration makes them (RFC 5280 §4.2.1.1, BR §7.1.2.7.6 refuse it).
 *
 * Every certificate but `nonConformant` follows the profile that path validation enforces (`x509/profile.ts`):
 * leaves carry authority and subject key identifiers and extKeyUsage, CAs a critical basicConstraints, a
 * subject key identifier and keyCertSign; serial numbers are random and positive (`-rand_serial`).
 *
 * The `openssl` binary is required: when it is missing every call throws, so a test fails rather than
 * being skipped.
 *
 * @module
 */

/** The key types of the leaf certificates, as named in test names. */
export const CERT_TYPES = ["ECDSA P-256", "ECDSA P-384", "RSA-2048", "Ed25519"] as const;
/** One of {@link CERT_TYPES}. */
export type CertType = typeof CERT_TYPES[number];

/** A certificate, as a file and as a PEM string. */
export interface CertFile {
  /** Path of the PEM certificate. */
  certPath: string;
  /** The PEM certificate. */
  cert: string;
}

/** A certificate and its private key (PKCS #8), as files and as PEM strings. */
export interface CertAndKey extends CertFile {
  /** Path of the PEM private key. */
  keyPath: string;
  /** The PEM private key. */
  key: string;
}

/** Everything {@link testPki} makes. */
export interface TestPki {
  /** The temporary directory holding all files. */
  dir: string;
  /** The test root CA that the tests pass as `caCerts`. */
  root: CertAndKey;
  /** "localhost" leaves issued by `root`, one per key type. */
  leaves: Record<CertType, CertAndKey>;
  /** Issued by `root` for `DNS:wrong.example` only. */
  wrongName: CertAndKey;
  /** Issued by `root` for "localhost", expired on 2021-01-01. */
  expired: CertAndKey;
  /** An unrelated CA. */
  otherRoot: CertAndKey;
  /** A "localhost" leaf issued by `otherRoot`. */
  untrusted: CertAndKey;
  /** A "localhost" leaf issued by `root` without authority key identifier and extKeyUsage. */
  nonConformant: CertAndKey;
}

const KEY_ARGS: Record<CertType, string[]> = {
  "ECDSA P-256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  "ECDSA P-384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  "RSA-2048": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  "Ed25519": ["-algorithm", "ED25519"],
};

/** Configuration for `openssl req` and `openssl ca`; `@DIR@` is replaced by the CA's directory. */
const OPENSSL_CONFIG = `
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused

[ ca ]
default_ca = test_ca
[ test_ca ]
dir = @DIR@
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/issued
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied

[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ localhost_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1

[ legacy_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectAltName = DNS:localhost, IP:127.0.0.1
# OpenSSL 3 adds key identifiers unless told not to.
authorityKeyIdentifier = none

[ wrong_name_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
`;

/** Runs `openssl` with `args`; throws with its stderr when it fails or is missing. */
async function openssl(args: string[], cwd: string): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new Error(
        "the `openssl` binary is not on PATH; the interop tests need it (apt-get install -y openssl)",
      );
    }
    throw e;
  }
  if (!output.success) {
    throw new Error(
      `openssl ${args.join(" ")} failed (exit ${output.code}):\n${new TextDecoder().decode(output.stderr)}`,
    );
  }
}

/** An ASN.1 time string (`YYYYMMDDHHMMSSZ`) for `openssl ca -startdate/-enddate`. */
function asn1Time(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
}

class PkiBuilder {
  constructor(readonly dir: string) {}

  async key(name: string, type: CertType): Promise<string> {
    const path = `${this.dir}/${name}.key`;
    await openssl(["genpkey", ...KEY_ARGS[type], "-out", path], this.dir);
    return path;
  }

  async read(certPath: string, keyPath: string): Promise<CertAndKey> {
    return {
      certPath,
      keyPath,
      cert: await Deno.readTextFile(certPath),
      key: await Deno.readTextFile(keyPath),
    };
  }

  /** A self-signed CA with its own `openssl ca` directory, valid from yesterday for ten years. */
  async ca(name: string, type: CertType, subject: string): Promise<CertAndKey> {
    const caDir = `${this.dir}/${name}`;
    await Deno.mkdir(`${caDir}/issued`, { recursive: true });
    await Deno.writeTextFile(`${caDir}/index.txt`, "");
    await Deno.writeTextFile(`${caDir}/serial`, "01\n"); // unused with -rand_serial, but must exist
    await Deno.writeTextFile(`${caDir}/openssl.cnf`, OPENSSL_CONFIG.replaceAll("@DIR@", caDir));
    return await this.issue(name, type, name, { subject, extensions: "ca_ext", selfSign: true });
  }

  /** A leaf issued by the CA `caName` (made by {@link ca}). */
  leaf(
    name: string,
    type: CertType,
    caName: string,
    options: { subject?: string; extensions?: string; notBefore?: Date; notAfter?: Date } = {},
  ): Promise<CertAndKey> {
    return this.issue(name, type, caName, options);
  }

  /** Makes a key and a certificate for it with `openssl ca`, which (unlike 3.0's `x509`) takes dates. */
  async issue(
    name: string,
    type: CertType,
    caName: string,
    options: { subject?: string; extensions?: string; notBefore?: Date; notAfter?: Date; selfSign?: boolean },
  ): Promise<CertAndKey> {
    const caDir = `${this.dir}/${caName}`;
    const keyPath = await this.key(name, type);
    const csrPath = `${this.dir}/${name}.csr`;
    const certPath = `${this.dir}/${name}.pem`;
    const subject = options.subject ?? "localhost";
    await openssl(
      [
        "req",
        "-config",
        `${caDir}/openssl.cnf`,
        "-new",
        "-key",
        keyPath,
        "-subj",
        `/CN=${subject}`,
        "-out",
        csrPath,
      ],
      this.dir,
    );
    const day = 24 * 60 * 60 * 1000;
    const notBefore = options.notBefore ?? new Date(Date.now() - day);
    const notAfter = options.notAfter ?? new Date(Date.now() + 3650 * day);
    await openssl([
      "ca",
      "-config",
      `${caDir}/openssl.cnf`,
      "-batch",
      "-notext",
      "-rand_serial",
      ...(options.selfSign ? ["-selfsign"] : ["-cert", `${this.dir}/${caName}.pem`]),
      "-keyfile",
      `${this.dir}/${caName}.key`,
      "-startdate",
      asn1Time(notBefore),
      "-enddate",
      asn1Time(notAfter),
      "-extensions",
      options.extensions ?? "localhost_ext",
      "-in",
      csrPath,
      "-out",
      certPath,
    ], this.dir);
    return this.read(certPath, keyPath);
  }
}
async function makePki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "subtls-pki-" });
  // Best effort: the directory goes when the process (or test worker) ends normally.
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  const b = new PkiBuilder(dir);
  const [root, otherRoot] = await Promise.all([
    b.ca("root", "RSA-2048", "subtls Test Root CA"),
    b.ca("other-root", "ECDSA P-256", "subtls Unrelated CA"),
  ]);
  // `openssl ca` appends to the CA's index.txt: issue from one CA sequentially.
  const leaves = {} as Record<CertType, CertAndKey>;
  for (const type of CERT_TYPES) {
    leaves[type] = await b.leaf(`leaf-${type.replace(/\W+/g, "-").toLowerCase()}`, type, "root");
  }
  const wrongName = await b.leaf("wrong-name", "ECDSA P-256", "root", {
    subject: "wrong.example",
    extensions: "wrong_name_ext",
  });
  const expired = await b.leaf("expired", "ECDSA P-256", "root", {
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2021-01-01T00:00:00Z"),
  });
  const nonConformant = await b.leaf("non-conformant", "ECDSA P-256", "root", { extensions: "legacy_ext" });
  const untrusted = await b.leaf("untrusted", "ECDSA P-256", "other-root");
  return { dir, root, leaves, wrongName, expired, otherRoot, untrusted, nonConformant };
}

let cached: Promise<TestPki> | undefined;

/**
 * The test PKI, made on first use and shared by every later call in this process (each `deno test
 * --parallel` worker makes its own).
 */
export function testPki(): Promise<TestPki> {
  cached ??= makePki().catch((e) => {
    cached = undefined;
    throw e;
  });
  return cached;
}
