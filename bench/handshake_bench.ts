/** Codec and key schedule costs of the TLS 1.3 handshake, and whole handshakes in memory. */
import { webCrypto } from "../crypto/webcrypto.ts";
import { TLS13_SUITES } from "../handshake/constants.ts";
import { EarlySecret, finishedVerifyData, trafficKeys } from "../handshake/key_schedule.ts";
import { decodeClientHello } from "../handshake/messages.ts";
import { loadRfc8448 } from "../tests/_rfc8448.ts";
import type { GroupName } from "../crypto/provider.ts";
import { startTls } from "../connection/client.ts";
import { resolveServerConfig, serverConn } from "../connection/server.ts";
import { toByteTransport } from "../connection/transport.ts";
import { type GeneratedType, memoryPipe, serverPki } from "../tests/_server.ts";

const hello = Uint8Array.fromHex(loadRfc8448()["Simple_1RTT_Handshake"]["Record_ClientHello_1"]).subarray(9);
const suite = TLS13_SUITES[0];

Deno.bench("decode ClientHello (RFC 8448)", () => {
  decodeClientHello(hello);
});

Deno.bench("TLS 1.3 key schedule: early → handshake → master, traffic keys, Finished", async () => {
  const hash = new Uint8Array(32);
  const early = await EarlySecret.create(webCrypto, suite);
  const hs = await early.advance(new Uint8Array(32));
  const secrets = await hs.trafficSecrets(hash);
  await Promise.all([
    trafficKeys(webCrypto, suite, secrets.client),
    trafficKeys(webCrypto, suite, secrets.server),
  ]);
  await finishedVerifyData(webCrypto, suite, secrets.server, hash);
  const master = await hs.advance();
  await master.applicationSecrets(hash);
});

for (const group of ["X25519", "P-256", "P-384", "X25519MLKEM768"] as const) {
  Deno.bench(`key exchange ${group}: start + respond + complete`, { group: "kx" }, async () => {
    const kx = await webCrypto.startKeyExchange(group);
    const response = await webCrypto.respondKeyExchange(group, kx.publicKey);
    await kx.complete(response.publicKey);
  });
}

// ---------------------------------------------------------------------------------------------------------
// A whole handshake in memory: this library's client against its server over two in-memory streams, per
// protocol version, key-exchange group and certificate type. The server configuration (certificate and
// key loaded) is made once, as a listener does; the client verifies the chain against the test CA. No
// session is resumed (`sessionCache: null`): every iteration is a full handshake.

const pki = await serverPki();
const CERTIFICATE_TYPES = ["ECDSA P-256", "RSA-2048", "Ed25519"] as const satisfies readonly GeneratedType[];
const HANDSHAKE_GROUPS: readonly GroupName[] = ["X25519", "P-256", "X25519MLKEM768"];

for (const type of CERTIFICATE_TYPES) {
  const leaf = pki.leaves[type];
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const serverConfig = await resolveServerConfig({
      cert: leaf.cert,
      key: leaf.key,
      minVersion: version,
      maxVersion: version,
    });
    for (const group of HANDSHAKE_GROUPS) {
      // RFC 8446 §4.2.7 / RFC 8422: the hybrid group is TLS 1.3 only.
      if (version === "TLSv1.2" && group === "X25519MLKEM768") continue;
      Deno.bench(
        `handshake ${version} ${group} ${type} (in memory)`,
        { group: `handshake ${version}` },
        async () => {
          const [c, s] = memoryPipe();
          const server = serverConn(serverConfig, toByteTransport(s));
          const client = await startTls(c, {
            serverName: "localhost",
            caCerts: [pki.root.cert],
            groups: [group],
            minVersion: version,
            maxVersion: version,
            sessionCache: null,
          });
          await Promise.all([server.handshake(), client.handshake()]);
          client.close();
          server.close();
        },
      );
    }
  }
}
