/**
 * Two sans-I/O engines, a client and a server, after a handshake with each other in memory: for tests that
 * drive the record layer directly (KeyUpdate races, key-usage limits). The client's key log is kept, and its
 * crypto provider may be replaced (a spy); either engine may get test-only key-usage limits.
 *
 * @module
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import type { CryptoProvider } from "../crypto/provider.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { resolveClientConfig } from "../connection/client.ts";
import { TlsEngine } from "../connection/engine.ts";
import { resolveServerConfig } from "../connection/server.ts";
import { startClient } from "../handshake/client_start.ts";
import { ExpectClientHello } from "../handshake/server13_hello.ts";
import type { KeyUsageLimits } from "../record/key_usage.ts";
import type { CipherSuiteName, Tls12CipherSuiteName } from "../handshake/constants.ts";
import { serverPki } from "./_server.ts";

/** How the pair is made. */
export interface EnginePairOptions {
  /** The one suite both offer (default: TLS_AES_128_GCM_SHA256). */
  suite?: CipherSuiteName | Tls12CipherSuiteName;
  /** The client's crypto provider (default: WebCrypto). */
  clientCrypto?: CryptoProvider;
  clientLimits?: KeyUsageLimits;
  serverLimits?: KeyUsageLimits;
}

/** A connected pair and the client's NSS key-log lines. */
export interface EnginePair {
  readonly client: TlsEngine;
  readonly server: TlsEngine;
  readonly keyLog: string[];
  /** The ServerHello's random (for the TLS 1.2 key block). */
  readonly serverRandom: Uint8Array;
}

/** Everything `engine` queued, as one buffer. */
export async function output(engine: TlsEngine): Promise<Uint8Array> {
  return concat(...await Promise.all(engine.takeOutput()));
}

/** A client and a server engine after a handshake (TLS 1.3, or TLS 1.2 for a TLS 1.2 suite). */
export async function enginePair(options: EnginePairOptions = {}): Promise<EnginePair> {
  const suite = options.suite ?? "TLS_AES_128_GCM_SHA256";
  const tls12 = !suite.startsWith("TLS_AES_") && !suite.startsWith("TLS_CHACHA20_");
  const version = tls12 ? "TLSv1.2" : "TLSv1.3";
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const clientConfig = await resolveClientConfig({
    serverName: "localhost",
    caCerts: [pki.root.cert],
    minVersion: version,
    maxVersion: version,
    cipherSuites: [suite],
    sessionCache: null,
  });
  const serverConfig = await resolveServerConfig({
    cert: leaf.cert,
    key: leaf.key,
    sessionTickets: false,
    minVersion: version,
    maxVersion: version,
  });
  const keyLog: string[] = [];
  const client = new TlsEngine({
    crypto: options.clientCrypto ?? webCrypto,
    begin: (io) => startClient(clientConfig, io),
    keyLog: (line) => keyLog.push(line),
    keyUsageLimits: options.clientLimits,
  });
  const server = new TlsEngine({
    crypto: webCrypto,
    begin: () => Promise.resolve(new ExpectClientHello(serverConfig)),
    keyUsageLimits: options.serverLimits,
  });
  await client.start();
  await server.start();
  let serverRandom: Uint8Array | undefined;
  for (let turn = 0; turn < 8 && !(client.connected && server.connected); turn++) {
    const toServer = await output(client);
    if (toServer.length > 0) await server.receive(toServer);
    const toClient = await output(server);
    // The first record is the ServerHello: header (5), type and length (4), legacy_version (2), random (32).
    serverRandom ??= toClient.slice(11, 43);
    if (toClient.length > 0) await client.receive(toClient);
  }
  assert.ok(client.connected && server.connected, "handshake completed");
  assert.equal(client.info?.protocol, version);
  return { client, server, keyLog, serverRandom: serverRandom! };
}
