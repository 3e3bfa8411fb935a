/**
 * Private keys in PEM as servers and clients are configured with them, turned into the PKCS #8 DER that the
 * crypto provider imports: `PRIVATE KEY` (PKCS #8, RFC 5208 / RFC 5958) as it is, `RSA PRIVATE KEY`
 * (PKCS #1, RFC 8017 §A.1.2) and `EC PRIVATE KEY` (SEC 1, RFC 5915) wrapped into a PrivateKeyInfo.
 *
 * @module
 */

import { childrenOf, contextTag, DerReader, encode, NULL, oid, sequence, smallInteger, Tag } from "./_der.ts";
import { decodePem, PemError } from "./pem.ts";

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";

/** SEC 1 ECPrivateKey → PrivateKeyInfo: the curve moves from the key's `parameters [0]` to the algorithm. */
function wrapSec1(der: Uint8Array): Uint8Array {
  const key = childrenOf(new DerReader(der).read(Tag.SEQUENCE, "ECPrivateKey"));
  key.read(Tag.INTEGER, "ECPrivateKey.version");
  key.read(Tag.OCTET_STRING, "ECPrivateKey.privateKey");
  const parameters = key.readOptional(contextTag(0, true), "ECPrivateKey.parameters");
  if (!parameters) throw new PemError("EC PRIVATE KEY has no curve parameters");
  const curve = childrenOf(parameters).read(Tag.OID, "ECPrivateKey.parameters.namedCurve");
  return sequence(
    smallInteger(0),
    sequence(oid(EC_PUBLIC_KEY), curve.bytes),
    encode(Tag.OCTET_STRING, der),
  );
}

/**
 * The PKCS #8 DER of the one private key in `pem` (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
 * Throws {@link PemError} for anything else: no key, several keys, an encrypted key, a malformed block.
 *
 * @example
 * ```ts ignore
 * const pkcs8 = privateKeyFromPem(await Deno.readTextFile("key.pem"));
 * const key = await webCrypto.importSigningKey(pkcs8);
 * ```
 */
export function privateKeyFromPem(pem: string): Uint8Array {
  const keys = decodePem(pem).filter((b) => b.label.endsWith("PRIVATE KEY"));
  if (keys.length !== 1) throw new PemError(`expected one private key PEM block, found ${keys.length}`);
  const [{ label, der }] = keys;
  switch (label) {
    case "PRIVATE KEY":
      return der;
    case "RSA PRIVATE KEY":
      return sequence(smallInteger(0), sequence(oid(RSA_ENCRYPTION), NULL), encode(Tag.OCTET_STRING, der));
    case "EC PRIVATE KEY":
      try {
        return wrapSec1(der);
      } catch (e) {
        if (e instanceof PemError) throw e;
        throw new PemError(`EC PRIVATE KEY is malformed: ${(e as Error).message}`);
      }
    default:
      throw new PemError(`unsupported private key type "${label}" (encrypted keys are not supported)`);
  }
}
