/**
 * The cost of the client's trust store: building the verifier from the embedded Mozilla store (indexed once
 * per process, each root parsed when a path first reaches it) against parsing a CA bundle on every
 * connection (what the client did before the store was embedded).
 */
import { webCrypto } from "../crypto/webcrypto.ts";
import { MOZILLA_ROOTS } from "../x509/mozilla_roots.ts";
import { encodePem } from "../x509/pem.ts";
import { mozillaTrustAnchors, TrustAnchors } from "../x509/trust_store.ts";
import { createCertificateVerifier } from "../x509/verify.ts";

const ders = MOZILLA_ROOTS.map((b64) => Uint8Array.fromBase64(b64));
const bundle = ders.map((der) => encodePem("CERTIFICATE", der)).join("");

Deno.bench("verifier from the shared Mozilla store", { group: "verifier", baseline: true }, () => {
  createCertificateVerifier({ caCerts: mozillaTrustAnchors(), crypto: webCrypto });
});

Deno.bench(
  `verifier from a PEM bundle of ${ders.length} roots, parsed each time`,
  { group: "verifier" },
  () => {
    createCertificateVerifier({ caCerts: [bundle], crypto: webCrypto });
  },
);

Deno.bench("first use in a process: decode and index the Mozilla store", { group: "first" }, () => {
  TrustAnchors.fromTrustedData(MOZILLA_ROOTS.map((b64) => Uint8Array.fromBase64(b64)));
});

Deno.bench("for comparison: parse every Mozilla root eagerly", { group: "first" }, () => {
  TrustAnchors.from(ders);
});
