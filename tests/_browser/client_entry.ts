/**
 * The page script of the browser test (bundled with `deno bundle --platform browser`). It reads its
 * configuration from `/config.json`, asks the platform's WebCrypto what it supports, then for the default
 * options and for each detected group and each suite whose AEAD was detected: opens a WebSocket to the test's
 * relay, runs this library's `startTls` over it with the test CA, and GETs a page through TLS. Everything is
 * written into the DOM: a table for people, and `#results` as JSON for the test. `globalThis.__done`
 * resolves when it has finished.
 *
 * @module
 */

import { type CipherSuiteName, type GroupName, startTls, type StartTlsOptions } from "../../mod.ts";
import { webCrypto } from "../../crypto/webcrypto.ts";
import type { AeadName } from "../../crypto/provider.ts";
import { httpGet, openWebSocket } from "../../examples/browser_websocket.ts";

/** What the test serves as `/config.json`. */
export interface PageConfig {
  /** `ws://127.0.0.1:PORT/relay`. */
  readonly relayUrl: string;
  readonly serverName: string;
  /** The test CA (PEM). */
  readonly caCert: string;
  readonly path: string;
}

/** One connection's outcome. */
export interface RunResult {
  readonly label: string;
  readonly ok: boolean;
  readonly protocol?: string;
  readonly suite?: string;
  readonly group?: string | null;
  readonly httpStatus?: number;
  readonly body?: string;
  readonly error?: string;
}

/** What `#results` holds. */
export interface PageResults {
  readonly userAgent: string;
  readonly aeads: readonly AeadName[];
  readonly groups: readonly GroupName[];
  readonly runs: readonly RunResult[];
}

/** The TLS 1.3 suites, each with the AEAD it needs. */
const SUITE_AEADS: Readonly<Record<Tls13SuiteName, AeadName>> = {
  TLS_AES_128_GCM_SHA256: "AES-128-GCM",
  TLS_AES_256_GCM_SHA384: "AES-256-GCM",
  TLS_CHACHA20_POLY1305_SHA256: "ChaCha20-Poly1305",
};

type Tls13SuiteName = Extract<
  CipherSuiteName,
  "TLS_AES_128_GCM_SHA256" | "TLS_AES_256_GCM_SHA384" | "TLS_CHACHA20_POLY1305_SHA256"
>;

interface Element {
  textContent: string | null;
  append(...nodes: unknown[]): void;
}

/** The page's document (typed by hand: this file is checked with Deno's types, which have no DOM). */
const page = (globalThis as unknown as {
  document: { getElementById(id: string): Element | null; createElement(tag: string): Element };
}).document;

function show(id: string, text: string): void {
  page.getElementById(id)!.textContent = text;
}

function addRow(result: RunResult): void {
  const row = page.createElement("tr");
  for (const cell of [result.label, result.ok ? "ok" : "failed", result.suite, result.group, result.error]) {
    const td = page.createElement("td");
    td.textContent = cell ?? "";
    row.append(td);
  }
  page.getElementById("runs")!.append(row);
}

/** Each connection must be done within this long. */
const RUN_TIMEOUT_MS = 10_000;

async function fetchThroughTls(
  config: PageConfig,
  label: string,
  options: StartTlsOptions,
): Promise<RunResult> {
  console.log(`${label}: connecting`);
  try {
    const transport = await openWebSocket(config.relayUrl);
    const signal = AbortSignal.timeout(RUN_TIMEOUT_MS);
    const conn = await startTls(transport, {
      serverName: config.serverName,
      caCerts: [config.caCert],
      signal,
      ...options,
    });
    const info = await conn.handshake();
    console.log(`${label}: handshake done (${info.cipherSuite}, ${info.group})`);
    const onAbort = () => conn.close();
    signal.addEventListener("abort", onAbort);
    const response = await httpGet(conn, config.serverName, config.path).finally(() =>
      signal.removeEventListener("abort", onAbort)
    );
    conn.close();
    console.log(`${label}: HTTP ${response.status}`);
    return {
      label,
      ok: true,
      protocol: info.protocol,
      suite: info.cipherSuite,
      group: info.group,
      httpStatus: response.status,
      body: new TextDecoder().decode(response.body),
    };
  } catch (e) {
    return { label, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

async function run(): Promise<void> {
  try {
    console.log("page script running");
    const config: PageConfig = await (await fetch("/config.json")).json();
    const { aeads, groups } = await webCrypto.capabilities();
    console.log(`WebCrypto: ${aeads.join(", ")}; ${groups.join(", ")}`);
    show("aeads", aeads.join(", "));
    show("groups", groups.join(", "));
    const plans: [string, StartTlsOptions][] = [["default", {}]];
    for (const group of groups) plans.push([`group ${group}`, { groups: [group] }]);
    for (const [suite, aead] of Object.entries(SUITE_AEADS) as [Tls13SuiteName, AeadName][]) {
      if (aeads.includes(aead)) plans.push([`suite ${suite}`, { cipherSuites: [suite] }]);
    }
    const runs: RunResult[] = [];
    for (const [label, options] of plans) {
      const result = await fetchThroughTls(config, label, options);
      runs.push(result);
      addRow(result);
    }
    const results: PageResults = { userAgent: navigator.userAgent, aeads, groups, runs };
    show("results", JSON.stringify(results));
    show("status", runs.every((r) => r.ok) ? "done" : "failed");
  } catch (e) {
    show("results", JSON.stringify({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
    show("status", "failed");
  }
}

(globalThis as { __done?: Promise<void> }).__done = run();
