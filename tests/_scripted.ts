/**
 * A scripted peer for the hardening tests, on top of the fuzzer's harness (`fuzz/_harness.ts`): a recorded
 * handshake whose peer records — decrypted, with their key epochs — a test edits (adds empty records, splits a
 * message into many records, floods KeyUpdates…) and plays against a fresh engine, to see it hold or fail with
 * the right alert.
 *
 * @module
 */
import assert from "node:assert/strict";
import { concat } from "../bytes.ts";
import { webCrypto } from "../crypto/webcrypto.ts";
import { TlsAlertError } from "../errors.ts";
import { TLS13_SUITES } from "../handshake/constants.ts";
import { nextTrafficSecret, trafficKeys } from "../handshake/key_schedule.ts";
import {
  cloneScript,
  CT,
  type Epoch,
  recordScenario,
  runTarget,
  type Scenario,
  SCENARIOS,
  type Script,
  type ScriptRecord,
  serializeScript,
  type TargetOutcome,
} from "../fuzz/_harness.ts";

export { CT, type Scenario, type ScriptRecord };

const cache = new Map<string, Promise<Scenario>>();

/** The recorded scenario `name` of `fuzz/_harness.ts` (recorded once per test process). */
export function scenario(name: string): Promise<Scenario> {
  let s = cache.get(name);
  if (!s) {
    const spec = SCENARIOS.find((x) => x.name === name);
    if (!spec) throw new Error(`no scenario ${name}`);
    s = recordScenario(spec);
    cache.set(name, s);
  }
  return s;
}

/** A copy of the scenario's script, edited by `f`; every record is delivered by its own `receive()`. */
export function edit(s: Scenario, f: (records: ScriptRecord[]) => void): Script {
  const script = cloneScript(s.script);
  f(script.records);
  script.flights = script.records.map((_, i) => i);
  return script;
}

/** Index of the first record whose content is a handshake message of type `type` (after `from`). */
export function messageIndex(records: readonly ScriptRecord[], type: number, from = 0): number {
  const i = records.findIndex((r, k) => k >= from && r.type === CT.handshake && r.content[0] === type);
  if (i < 0) throw new Error(`no handshake message of type ${type}`);
  return i;
}

/** Index of the first record after the handshake (the first under application keys, epoch 1). */
export function afterHandshake(records: readonly ScriptRecord[]): number {
  return records.findIndex((r) => r.epoch === 1);
}

/** `record` cut into `n` records: n - 1 of one byte, then the rest (the content must have n bytes or more). */
export function fragments(record: ScriptRecord, n: number): ScriptRecord[] {
  assert.ok(record.content.length >= n, `a ${record.content.length}-byte record cannot make ${n} fragments`);
  const out: ScriptRecord[] = [];
  for (let i = 0; i < n - 1; i++) out.push({ ...record, content: record.content.slice(i, i + 1) });
  out.push({ ...record, content: record.content.slice(n - 1) });
  return out;
}

/** The scenario's epochs extended to `count` (application traffic secrets after that many KeyUpdates). */
export async function epochs(s: Scenario, count: number): Promise<Epoch[]> {
  const out = [...s.epochs];
  const suite = TLS13_SUITES.find((x) => x.aead === out[0].aead.name)!;
  while (out.length < count) {
    const secret = await nextTrafficSecret(webCrypto, suite, out.at(-1)!.secret);
    const { key, iv } = await trafficKeys(webCrypto, suite, secret);
    out.push({ secret, iv, aead: await webCrypto.importAead(suite.aead, key) });
  }
  return out;
}

/** Plays `script` (protected under `withEpochs`, default the scenario's) against a fresh engine. */
export async function play(
  s: Scenario,
  script: Script,
  options: {
    epochs?: readonly Epoch[];
    closeAtEnd?: boolean;
    together?: boolean;
    tamper?: (deliveries: Uint8Array[]) => Uint8Array[];
  } = {},
): Promise<TargetOutcome> {
  let deliveries = await serializeScript(script, options.epochs ?? s.epochs);
  if (options.tamper) deliveries = options.tamper(deliveries);
  if (options.together) deliveries = [concat(...deliveries)];
  const outcome = await runTarget(s, deliveries, { closeAtEnd: options.closeAtEnd });
  assert.equal(outcome.bug, undefined, outcome.bug);
  return outcome;
}

/** Asserts that the engine failed with `alert`, sent by itself (or received, with `source`). */
export function assertAlert(
  o: TargetOutcome,
  alert: string,
  source: "local" | "remote" = "local",
): TlsAlertError {
  assert.ok(o.error instanceof TlsAlertError, `expected alert ${alert}, got ${o.error ?? "success"}`);
  assert.equal(o.error.alert, alert, o.error.message);
  assert.equal(o.error.source, source);
  return o.error;
}

/** Asserts that the engine completed the handshake, got close_notify and no error. */
export function assertCompleted(o: TargetOutcome): void {
  assert.equal(o.error, undefined, `unexpected failure: ${o.error}`);
  assert.ok(o.connected && o.peerClosed, "the connection completed and closed cleanly");
}
