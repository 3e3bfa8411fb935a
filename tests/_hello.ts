/**
 * Helpers for the server ClientHello and HelloRetryRequest tests: a server engine waiting for a ClientHello,
 * hand-made ClientHellos and their records, and a check that a refusal sent the alert the RFC names.
 *
 * @module
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { type AcceptTlsOptions, resolveServerConfig } from "../connection/server.ts";
import { TlsEngine } from "../connection/engine.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { AlertDescription, type AlertName, TlsAlertError } from "../errors.ts";
import {
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
  TLS13_SIGNATURE_SCHEMES,
} from "../handshake/constants.ts";
import {
  encodeKeyShareClient,
  encodeSignatureAlgorithms,
  encodeSupportedGroups,
  encodeSupportedVersionsClient,
  type KeyShareEntry,
} from "../handshake/extensions.ts";
import {
  type ClientHello,
  encodeClientHello,
  encodeHandshake,
  type Extension,
} from "../handshake/messages.ts";
import { ExpectClientHello } from "../handshake/server13_hello.ts";
import type { GroupName } from "../crypto/provider.ts";
import { serverPki } from "./_server.ts";

/** A server engine waiting for a ClientHello. */
export async function serverEngine(options: Partial<AcceptTlsOptions> = {}): Promise<TlsEngine> {
  const pki = await serverPki();
  const leaf = pki.leaves["ECDSA P-256"];
  const config = await resolveServerConfig({ cert: leaf.cert, key: leaf.key, ...options });
  const engine = new TlsEngine({
    crypto: config.crypto,
    begin: () => Promise.resolve(new ExpectClientHello(config)),
  });
  await engine.start();
  return engine;
}

/** A fresh key share for `group`. */
export async function share(group: GroupName): Promise<KeyShareEntry> {
  const exchange = await webCrypto.startKeyExchange(group);
  return { group: NamedGroup[group], keyExchange: exchange.publicKey };
}

/** The parts of {@link clientHello} to set; `null` leaves an extension out. */
export interface HelloParts {
  versions?: number[] | null;
  groups?: number[] | null;
  shares?: KeyShareEntry[] | null;
  sigAlgs?: number[] | null;
  extra?: Extension[];
  suites?: number[];
  compression?: number[];
  random?: Uint8Array;
  sessionId?: Uint8Array;
}

/** A ClientHello with the extensions a TLS 1.3 client sends; `null` leaves one out. */
export function clientHello(parts: HelloParts): ClientHello {
  const extensions: Extension[] = [];
  if (parts.versions !== null) {
    extensions.push({
      type: ExtensionType.supported_versions,
      data: encodeSupportedVersionsClient(parts.versions ?? [0x0304]),
    });
  }
  if (parts.groups !== null) {
    extensions.push({
      type: ExtensionType.supported_groups,
      data: encodeSupportedGroups(parts.groups ?? [NamedGroup.X25519, NamedGroup["P-256"]]),
    });
  }
  if (parts.shares !== null) {
    extensions.push({ type: ExtensionType.key_share, data: encodeKeyShareClient(parts.shares ?? []) });
  }
  if (parts.sigAlgs !== null) {
    extensions.push({
      type: ExtensionType.signature_algorithms,
      data: encodeSignatureAlgorithms(parts.sigAlgs ?? TLS13_SIGNATURE_SCHEMES),
    });
  }
  extensions.push(...(parts.extra ?? []));
  return {
    legacyVersion: 0x0303,
    random: parts.random ?? webCrypto.randomBytes(32),
    legacySessionId: parts.sessionId ?? new Uint8Array(0),
    cipherSuites: parts.suites ?? [CipherSuite.TLS_AES_128_GCM_SHA256],
    legacyCompressionMethods: new Uint8Array(parts.compression ?? [0]),
    extensions,
  };
}

/**
 * The records carrying `hello` (raw extension blocks allowed, for duplicates): one record, or as many as it
 * takes with at most `fragment` bytes each (a ClientHello over 2^14 bytes must span records).
 */
export function helloRecord(hello: ClientHello | Uint8Array, fragment = 16384): Uint8Array {
  const body = hello instanceof Uint8Array ? hello : encodeClientHello(hello);
  const message = encodeHandshake(HandshakeType.client_hello, body);
  const count = Math.ceil(message.length / fragment);
  const out = new Uint8Array(message.length + 5 * count);
  for (let i = 0, at = 0; i < count; i++) {
    const part = message.subarray(i * fragment, (i + 1) * fragment);
    out.set([22, 3, 1, part.length >> 8, part.length & 0xff], at);
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  return out;
}

/** Everything the engine has queued for the transport, as one byte string. */
export async function output(engine: TlsEngine): Promise<Uint8Array> {
  return concat(...(await Promise.all(engine.takeOutput())));
}

/** Feeds `record` and expects the engine to refuse it with `alert`, sent in the clear. */
export async function assertRefused(engine: TlsEngine, record: Uint8Array, alert: AlertName): Promise<void> {
  await assert.rejects(engine.receive(record), (e) => {
    assert.ok(e instanceof TlsAlertError, String(e));
    assert.equal(e.alert, alert, e.message);
    assert.equal(e.source, "local");
    return true;
  });
  const out = await output(engine);
  assert.deepEqual([...out.subarray(out.length - 7)], [21, 3, 3, 0, 2, 2, AlertDescription[alert]]);
  await assert.rejects(engine.receive(new Uint8Array(1)), (e) => e === engine.error);
}
