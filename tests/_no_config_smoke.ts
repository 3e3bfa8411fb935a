// Imported with `deno run --no-config`: proves mod.ts needs no import map (users import it by URL).
import { connectTls, generateCertificate, startTls, TlsAlertError } from "../mod.ts";

const ca = await generateCertificate({ subject: "CN=No-config CA", isCA: true });
console.log(
  JSON.stringify({
    connectTls: typeof connectTls,
    startTls: typeof startTls,
    TlsAlertError: typeof TlsAlertError,
    pem: ca.cert.startsWith("-----BEGIN CERTIFICATE-----"),
  }),
);
