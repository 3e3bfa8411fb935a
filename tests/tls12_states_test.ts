/**
 * TLS 1.2 state-machine details: entering TLS 1.2 from the TLS 1.3 client's ClientHello (the integration
 * path, with the downgrade sentinel, RFC 8446 §4.1.3), the constant-time Finished check (RFC 5246 §7.4.9),
 * server ticket sealing (RFC 5077 §4), and certificate failures.
 */

import assert from "node:assert/strict";
import { loadCertifiedKey } from "../connection/certificates.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { CertificateVerificationError, TlsAlertError } from "../errors.ts";
import type { ClientConfig } from "../handshake/client_config.ts";
import { startClient } from "../handshake/client_start.ts";
import { ExtensionType, HandshakeType, TLS12_SUITES } from "../handshake/constants.ts";
import type { Tls12ClientConfig } from "../handshake/config12.ts";
import type { Tls12HandshakeIo, Tls12HandshakeState } from "../handshake/context12.ts";
import { ExpectChangeCipherSpec12 } from "../handshake/finish12.ts";
import { verifyData } from "../handshake/key_schedule12.ts";
import { decodeServerHello12, encodeServerHello12 } from "../handshake/messages12.ts";
import { decodeHandshake, encodeHandshake } from "../handshake/messages.ts";
import { openTicket12, sealTicket12 } from "../handshake/ticket12.ts";
import { SessionTicketKeys } from "../handshake/ticket_keys.ts";
import { Transcript } from "../handshake/transcript.ts";
import { createCertificateVerifier } from "../x509/verify.ts";
import { makeChain } from "./_certs.ts";
import {
  client12Config,
  clientConfig,
  pump,
  rewriteHandshake,
  server12Config,
  serverConfig,
  tls12Client,
  Tls12Endpoint,
  tls12Server,
} from "./_tls12_endpoint.ts";

const isAlert = (alert: string) => (e: unknown) => e instanceof TlsAlertError && e.alert === alert;

async function fixture() {
  const chain = await makeChain();
  const certified = await loadCertifiedKey(
    webCrypto,
    chain.leaf.cert + chain.inter.cert,
    chain.leaf.key,
    "test",
  );
  const verifier = createCertificateVerifier({ caCerts: [chain.root.cert], crypto: webCrypto });
  return { chain, certified, verifier };
}

/**
 * A client endpoint that sends the TLS 1.3 client's ClientHello (key shares and all) also offering TLS 1.2 —
 * supported_versions [1.3, 1.2], the TLS 1.2 suites and extensions — so that a TLS 1.2 ServerHello goes from
 * the TLS 1.3 ExpectServerHello to `continueAsTls12Client`.
 */
function dualVersionClient(config: ClientConfig, config12: Tls12ClientConfig): Tls12Endpoint {
  return new Tls12Endpoint(config.crypto, (io) => startClient({ ...config, tls12: config12 }, io));
}

Deno.test("RFC 8446 §4.2.1: a TLS 1.3 ClientHello that also offers TLS 1.2 completes a TLS 1.2 handshake", async () => {
  const { certified, verifier } = await fixture();
  const client = dualVersionClient(clientConfig(verifier), client12Config({ offeredTls13: true }));
  const server = tls12Server(serverConfig([certified]), server12Config());
  await pump(client, server);
  assert.equal(client.info?.protocol, "TLSv1.2");
  assert.ok(client.usedTls12);
  assert.deepEqual(client.secrets.get("CLIENT_RANDOM"), server.secrets.get("CLIENT_RANDOM"));
});

Deno.test("RFC 8446 §4.1.3: TLS 1.3 stripped from the ClientHello by a man in the middle → illegal_parameter", async () => {
  // The server speaks TLS 1.3 but sees a hello offering only TLS 1.2: it sets DOWNGRADE_TLS12.
  const { certified, verifier } = await fixture();
  const client = dualVersionClient(clientConfig(verifier), client12Config({ offeredTls13: true }));
  const server = tls12Server(serverConfig([certified]), server12Config({ supportsTls13: true }));
  await assert.rejects(
    pump(client, server),
    (e: unknown) => isAlert("illegal_parameter")(e) && /downgrade sentinel/.test(String(e)),
  );
});

Deno.test("RFC 8446 §4.2.1: a TLS 1.2 ServerHello with TLS 1.3 extensions we offered is illegal_parameter", async () => {
  const { certified, verifier } = await fixture();
  for (const type of [ExtensionType.key_share, ExtensionType.supported_versions]) {
    const client = dualVersionClient(clientConfig(verifier), client12Config({ offeredTls13: true }));
    const server = tls12Server(serverConfig([certified]), server12Config());
    let done = false;
    const tamper = (from: Tls12Endpoint, bytes: Uint8Array) => {
      if (from !== server || done) return bytes;
      done = true;
      return rewriteHandshake(bytes, HandshakeType.server_hello, (b) => {
        const sh = decodeServerHello12(b);
        return encodeServerHello12({
          ...sh,
          extensions: [...sh.extensions, { type, data: Uint8Array.of(3, 3) }],
        });
      });
    };
    await assert.rejects(pump(client, server, tamper), isAlert("illegal_parameter"));
  }
});

/** A minimal io for driving a state directly. */
function fakeIo(): Tls12HandshakeIo & { readKeys: number } {
  return {
    crypto: webCrypto,
    readKeys: 0,
    sendHandshake() {},
    sendChangeCipherSpec() {},
    setReadSecret: () => Promise.resolve(),
    setWriteSecret: () => Promise.resolve(),
    updateReadSecret: () => Promise.resolve(),
    updateWriteSecret: () => Promise.resolve(),
    closed: false,
    useTls12() {},
    setReadKeys12() {
      this.readKeys++;
      return Promise.resolve();
    },
    changeWriteCipherSpec12: () => Promise.resolve(),
    logSecret() {},
    handshakeComplete() {},
  };
}

Deno.test("RFC 5246 §7.4.9: the peer's Finished must equal verify_data exactly (decrypt_error otherwise)", async () => {
  const suite = TLS12_SUITES[0];
  const master = new Uint8Array(48).fill(5);
  for (const correct of [true, false]) {
    const transcript = new Transcript();
    transcript.add(encodeHandshake(HandshakeType.client_hello, new Uint8Array(10)));
    const io = fakeIo();
    let finished = false;
    const done: Tls12HandshakeState = { name: "Done", handle: () => Promise.reject(new Error("done")) };
    const ccs = new ExpectChangeCipherSpec12({
      role: "client",
      suite,
      transcript,
      master,
      peerKeys: { key: new Uint8Array(16), iv: new Uint8Array(4) },
      afterPeerFinished: () => {
        finished = true;
        return Promise.resolve(done);
      },
    });
    await assert.rejects(
      async () => await ccs.handle(decodeHandshake(encodeHandshake(20, new Uint8Array(12)))),
      isAlert("unexpected_message"),
    );
    const expectFinished = await ccs.handleChangeCipherSpec(io);
    assert.equal(io.readKeys, 1);
    const data = await verifyData(webCrypto, suite, master, "server", transcript);
    if (!correct) data[11] ^= 0x80;
    const message = decodeHandshake(encodeHandshake(HandshakeType.finished, data));
    if (correct) {
      assert.equal(await expectFinished.handle(message, io), done);
      assert.ok(finished);
    } else {
      await assert.rejects(expectFinished.handle(message, io), isAlert("decrypt_error"));
      assert.ok(!finished);
    }
    await assert.rejects(
      expectFinished.handle(decodeHandshake(encodeHandshake(HandshakeType.finished, new Uint8Array(13))), io),
      (e: unknown) => e instanceof Error && e.name === "DecodeError",
    );
  }
});

Deno.test("RFC 5077 §4: tickets open only under their keys, unaltered, and within their lifetime", async () => {
  const keys = new SessionTicketKeys({ lifetime: 10 });
  const state = {
    cipherSuite: 0xc02b,
    extendedMasterSecret: true,
    masterSecret: new Uint8Array(48).fill(2),
    createdAt: 1_000_000,
    serverName: "localhost",
    certificateHash: new Uint8Array(32).fill(7),
  };
  const ticket = await sealTicket12(webCrypto, keys, state);
  assert.deepEqual(await openTicket12(webCrypto, keys, ticket, 1_000_500, 10), state);
  assert.equal(
    await openTicket12(webCrypto, new SessionTicketKeys({ lifetime: 10 }), ticket, 1_000_500, 10),
    undefined,
    "other keys",
  );
  const altered = ticket.slice();
  altered[20] ^= 1;
  assert.equal(await openTicket12(webCrypto, keys, altered, 1_000_500, 10), undefined, "altered");
  assert.equal(
    await openTicket12(webCrypto, keys, ticket.subarray(1), 1_000_500, 10),
    undefined,
    "truncated",
  );
  assert.notDeepEqual(await sealTicket12(webCrypto, keys, state), ticket, "a fresh nonce each time");
  assert.equal(
    await openTicket12(webCrypto, keys, ticket, 1_000_500, 0.1),
    undefined,
    "older than the lifetime",
  );
  assert.equal(await openTicket12(webCrypto, keys, ticket, 1_011_000, 10), undefined, "expired");
  assert.equal(
    await openTicket12(webCrypto, keys, ticket, 1_030_000, 3600),
    undefined,
    "its key rotated out",
  );
});

Deno.test("RFC 5246 §7.4.2: the server certificate is verified: a wrong name fails, unless errors are ignored", async () => {
  const { certified, verifier } = await fixture();
  const client = tls12Client(
    clientConfig(verifier, { serverName: "other.example", sni: "other.example" }),
    client12Config(),
  );
  const server = tls12Server(serverConfig([certified]), server12Config());
  await assert.rejects(
    pump(client, server),
    (e: unknown) => e instanceof CertificateVerificationError && e.code === "hostname_mismatch",
  );
  const seen: unknown[] = [];
  const lenient = tls12Client(
    clientConfig(verifier, {
      serverName: "other.example",
      sni: "other.example",
      unsafelyIgnoreCertificateErrors: true,
      verifyPeer: (peer) => void seen.push(peer.error?.code),
    }),
    client12Config(),
  );
  await pump(lenient, tls12Server(serverConfig([certified]), server12Config()));
  assert.ok(lenient.info);
  assert.deepEqual(seen, ["hostname_mismatch"]);
});

Deno.test("RFC 5246 §7.4.3: verifyPeer runs after the ServerKeyExchange signature; throwing rejects the server", async () => {
  const { certified, verifier } = await fixture();
  const client = tls12Client(
    clientConfig(verifier, {
      verifyPeer: () => {
        throw new Error("pinned key mismatch");
      },
    }),
    client12Config(),
  );
  await assert.rejects(
    pump(client, tls12Server(serverConfig([certified]), server12Config())),
    (e: unknown) => e instanceof CertificateVerificationError && e.code === "rejected_by_callback",
  );
});
