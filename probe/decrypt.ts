/**
 * The probe's own connection, read back after the fact: the records it tapped, split into handshake
 * messages, and the TLS 1.3 records opened with the traffic secrets the library handed to its key log — as
 * Wireshark does with a key-log file (RFC 8446 §7.1 secrets, §7.3 keys, §5.2 record protection). So
 * `--trace` names the encrypted handshake messages, and the probe reads the server's certificates (and what
 * was negotiated) even from a handshake it refused. TLS 1.2 records after ChangeCipherSpec stay closed: only
 * the Finished is encrypted there.
 *
 * @module
 */

import { webCrypto } from "../crypto/webcrypto.ts";
import { alertName } from "../errors.ts";
import {
  ExtensionType,
  HandshakeType,
  ProtocolVersion,
  type Tls13Suite,
  tls13SuiteByCode,
} from "../handshake/constants.ts";
import { decodeSupportedVersionsServer } from "../handshake/extensions.ts";
import { nextTrafficSecret, trafficKeys } from "../handshake/key_schedule.ts";
import { decodeServerHello12 } from "../handshake/messages12.ts";
import { Tls13RecordProtection } from "../record/protection13.ts";
import { type Direction, type HandshakeMessageSeen, HandshakeStream, type RawRecord } from "./trace.ts";

/** What the records of one connection carried. */
export interface DecodedConnection {
  /** The version the ServerHello chose, when one arrived. */
  readonly version?: "TLSv1.3" | "TLSv1.2";
  /** For each record given (same order): what it carried, for a TLS 1.3 record that was opened here. */
  readonly summaries: readonly (string | undefined)[];
  /** The whole handshake messages of each direction, in order: plaintext ones and decrypted ones. */
  readonly messages: Readonly<Record<Direction, readonly HandshakeMessageSeen[]>>;
}

/** The key-log labels of each direction's traffic secrets, in the order they are used (RFC 8446 §7.1). */
const EPOCHS: Readonly<Record<Direction, readonly string[]>> = {
  sent: ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"],
  received: ["SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"],
};

/** The secrets of NSS key-log lines (`LABEL <client_random> <secret>`, hex), by label. */
export function keyLogSecrets(lines: readonly string[]): Map<string, Uint8Array> {
  const secrets = new Map<string, Uint8Array>();
  for (const line of lines) {
    const [label, , secret] = line.split(" ");
    if (label && secret && /^[0-9a-f]+$/i.test(secret)) secrets.set(label, Uint8Array.fromHex(secret));
  }
  return secrets;
}

/** One direction's reading state. */
interface DirectionState {
  readonly handshake: HandshakeStream;
  readonly messages: HandshakeMessageSeen[];
  /** Records after ChangeCipherSpec (TLS 1.2), which are not opened. */
  tls12Encrypted: boolean;
  /** Index into {@link EPOCHS} of the secret in force. */
  epoch: number;
  /** The secret in force once known (a KeyUpdate derives the next one from it). */
  secret?: Uint8Array;
  protection?: Tls13RecordProtection;
  /** Set once a record could not be opened: the records after it cannot be either. */
  stuck?: string;
}

/**
 * The version and suite a ServerHello chose — a HelloRetryRequest too: it exists only in TLS 1.3 and names
 * the suite (RFC 8446 §4.1.4) — or undefined for any other message.
 */
function serverHello(
  m: HandshakeMessageSeen,
): { version: "TLSv1.3" | "TLSv1.2"; suiteCode: number } | undefined {
  if (m.type !== HandshakeType.server_hello) return undefined;
  const hello = decodeServerHello12(m.body);
  const versions = hello.extensions.find((e) => e.type === ExtensionType.supported_versions);
  const tls13 = versions !== undefined &&
    decodeSupportedVersionsServer(versions.data) === ProtocolVersion.TLS13;
  return { version: tls13 ? "TLSv1.3" : "TLSv1.2", suiteCode: hello.cipherSuite };
}

/**
 * Reads the records of one connection (both directions, in the order they passed) with the traffic
 * secrets of its key log; never throws: what cannot be read is left unnamed or said so.
 */
export async function decodeConnection(
  records: readonly RawRecord[],
  secrets: ReadonlyMap<string, Uint8Array>,
): Promise<DecodedConnection> {
  const state = (): DirectionState => ({
    handshake: new HandshakeStream(),
    messages: [],
    tls12Encrypted: false,
    epoch: 0,
  });
  const states: Record<Direction, DirectionState> = { sent: state(), received: state() };
  let version: "TLSv1.3" | "TLSv1.2" | undefined;
  let suite: Tls13Suite | undefined;
  const summaries: (string | undefined)[] = [];
  for (const record of records) {
    const s = states[record.direction];
    const type = record.header[0];
    let summary: string | undefined;
    try {
      if (type === 22 && !s.tls12Encrypted) {
        for (const m of s.handshake.push(record.fragment).messages) {
          s.messages.push(m);
          const hello = serverHello(m);
          if (hello) {
            version = hello.version;
            suite = tls13SuiteByCode(hello.suiteCode);
          }
        }
      } else if (type === 20 && version !== "TLSv1.3") {
        s.tls12Encrypted = true;
      } else if (type === 23 && version === "TLSv1.3" && suite) {
        summary = await open(record, s, suite, secrets);
      }
    } catch (e) {
      summary = `(cannot read: ${e instanceof Error ? e.message : e})`;
    }
    summaries.push(summary);
  }
  return {
    version,
    summaries,
    messages: { sent: states.sent.messages, received: states.received.messages },
  };
}

/** Opens one TLS 1.3 record of `s`'s direction; what it carried, in words. */
async function open(
  record: RawRecord,
  s: DirectionState,
  suite: Tls13Suite,
  secrets: ReadonlyMap<string, Uint8Array>,
): Promise<string> {
  if (s.stuck) return `encrypted (${s.stuck})`;
  if (!s.protection) {
    const label = EPOCHS[record.direction][s.epoch];
    s.secret ??= label === undefined ? undefined : secrets.get(label);
    if (!s.secret) {
      s.stuck = `no ${label ?? "further"} secret in the key log`;
      return `encrypted (${s.stuck})`;
    }
    const { key, iv } = await trafficKeys(webCrypto, suite, s.secret);
    s.protection = new Tls13RecordProtection(await webCrypto.importAead(suite.aead, key), iv);
  }
  let inner;
  try {
    inner = await s.protection.open({
      type: record.header[0],
      version: (record.header[1] << 8) | record.header[2],
      header: record.header,
      fragment: record.fragment,
    });
  } catch {
    s.stuck = "it does not open with the key-log secrets";
    return `encrypted (${s.stuck})`;
  }
  if (inner.type === 21 && inner.content.length === 2) {
    return `encrypted alert: ${inner.content[0] === 1 ? "warning" : "fatal"} ${alertName(inner.content[1])}`;
  }
  if (inner.type === 23) return `encrypted application data (${inner.content.length} bytes)`;
  if (inner.type !== 22) return `encrypted record of content type ${inner.type}`;
  const { names, messages } = s.handshake.push(inner.content);
  for (const m of messages) {
    s.messages.push(m);
    // The last message under a secret ends its record (RFC 8446 §5.1): the next record has the next key.
    if (m.type === HandshakeType.finished) {
      s.epoch++;
      s.secret = undefined;
      s.protection = undefined;
    } else if (m.type === HandshakeType.key_update && s.secret) {
      s.secret = await nextTrafficSecret(webCrypto, suite, s.secret);
      s.protection = undefined;
    }
  }
  return `encrypted handshake: ${names.join(", ")}`;
}
