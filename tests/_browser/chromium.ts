/**
 * Headless Chromium (Debian's `chromium`) for the browser test: started with the flags this machine needs
 * (no sandbox as root, no GPU, no background networking: the network is closed), a fresh profile, and the
 * DevTools protocol on a port it picks; the test evaluates JavaScript in the page through that protocol.
 * A missing `chromium` makes {@link launchChromium} throw: the test fails, it is never skipped.
 *
 * @module
 */

import { requireBinary } from "../_peer_process.ts";

/** The flags of every launch (see the machine notes: without the networking ones Chromium tries the internet). */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--remote-debugging-port=0",
] as const;

/** A running Chromium showing one page. */
export class Chromium implements AsyncDisposable {
  readonly #process: Deno.ChildProcess;
  readonly #profile: string;
  readonly #stderr: Promise<void>;
  /** What Chromium printed on stderr (for failure messages). */
  log = "";
  /** The DevTools port. */
  devToolsPort = 0;

  private constructor(process: Deno.ChildProcess, profile: string, devTools: PromiseWithResolvers<number>) {
    this.#process = process;
    this.#profile = profile;
    this.#stderr = (async () => {
      for await (const text of process.stderr.pipeThrough(new TextDecoderStream())) {
        this.log += text;
        const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(this.log);
        if (m) devTools.resolve(Number(m[1]));
      }
      devTools.reject(new Error(`chromium exited before DevTools was listening:\n${this.log}`));
    })();
  }

  /** Starts Chromium on a blank page and waits until its DevTools endpoint listens. */
  static async launch(signal: AbortSignal): Promise<Chromium> {
    const binary = await requireBinary("chromium", "apt-get install -y chromium");
    const profile = await Deno.makeTempDir({ prefix: "subtls-chromium-" });
    const process = new Deno.Command(binary, {
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "about:blank"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const devTools = Promise.withResolvers<number>();
    const browser = new Chromium(process, profile, devTools);
    const onAbort = () =>
      devTools.reject(new Error(`chromium: no DevTools endpoint in time:\n${browser.log}`));
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      browser.devToolsPort = await devTools.promise;
      return browser;
    } catch (e) {
      await browser.close();
      throw e;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Loads `url` in the page (the first page target, through the DevTools protocol), then evaluates
   * `expression` in it and returns its value; a promise is awaited. The page may still be running its
   * scripts: the expression should wait for what it needs.
   */
  async evaluateAt<T>(url: string, expression: string, signal: AbortSignal): Promise<T> {
    const base = `http://127.0.0.1:${this.devToolsPort}`;
    const targets: { type: string; webSocketDebuggerUrl: string }[] =
      await (await fetch(`${base}/json/list`, {
        signal,
      })).json();
    const page = targets.find((t) => t.type === "page");
    if (!page) throw new Error(`no page target among ${JSON.stringify(targets)}`);
    await using session = await DevToolsSession.open(page.webSocketDebuggerUrl, signal);
    await session.send("Runtime.enable", {});
    await session.send("Log.enable", {});
    // Page.navigate answers once the new document is committed: evaluation then runs in its context.
    const navigation = await session.send<{ errorText?: string }>("Page.navigate", { url });
    if (navigation.errorText) throw new Error(`navigation to ${url} failed: ${navigation.errorText}`);
    let evaluation: { result: { value?: unknown }; exceptionDetails?: unknown };
    try {
      evaluation = await session.send("Runtime.evaluate", {
        expression,
        awaitPromise: true,
        returnByValue: true,
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}\npage console:\n${session.events.join("\n")}`, { cause: e });
    }
    if (evaluation.exceptionDetails) {
      throw new Error(`page exception: ${JSON.stringify(evaluation.exceptionDetails)}`);
    }
    return evaluation.result.value as T;
  }

  /** Stops Chromium (TERM, then KILL after 5 s) and removes its profile. */
  async close(): Promise<void> {
    try {
      this.#process.kill("SIGTERM");
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        this.#process.kill("SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, 5000);
    try {
      await this.#process.status;
      await this.#stderr;
    } finally {
      clearTimeout(timer);
    }
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One DevTools protocol connection: numbered requests, each answered by the message with its id. */
class DevToolsSession implements AsyncDisposable {
  readonly #ws: WebSocket;
  readonly #signal: AbortSignal;
  readonly #pending = new Map<number, PromiseWithResolvers<unknown>>();
  /** Console messages, exceptions and log entries of the page, one line each. */
  readonly events: string[] = [];
  readonly #closed: Promise<unknown>;
  #nextId = 1;

  private constructor(ws: WebSocket, signal: AbortSignal) {
    this.#ws = ws;
    this.#signal = signal;
    this.#closed = new Promise((resolve) => ws.addEventListener("close", resolve, { once: true }));
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.method) {
        this.events.push(describeEvent(message.method, message.params));
        return;
      }
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(`DevTools: ${message.error.message}`));
      else pending.resolve(message.result);
    };
    ws.onclose = () => {
      for (const p of this.#pending.values()) p.reject(new Error("DevTools connection closed"));
    };
  }

  static async open(url: string, signal: AbortSignal): Promise<DevToolsSession> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error(`cannot open DevTools connection ${url}`));
    });
    return new DevToolsSession(ws, signal);
  }

  /** Sends `method` and waits for its answer, or fails when the test's deadline passes. */
  async send<T>(method: string, params: Record<string, unknown>): Promise<T> {
    this.#signal.throwIfAborted();
    const id = this.#nextId++;
    const pending = Promise.withResolvers<unknown>();
    this.#pending.set(id, pending);
    const onAbort = () => pending.reject(new Error(`DevTools ${method} did not answer in time`));
    this.#signal.addEventListener("abort", onAbort, { once: true });
    this.#ws.send(JSON.stringify({ id, method, params }));
    try {
      return await pending.promise as T;
    } finally {
      this.#signal.removeEventListener("abort", onAbort);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#ws.close();
    await this.#closed;
  }
}

/** One line for a page event worth showing when the test fails. */
function describeEvent(method: string, params: Record<string, unknown>): string {
  if (method === "Runtime.consoleAPICalled") {
    const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
    return `console.${params.type}: ${args.map((a) => a.description ?? JSON.stringify(a.value)).join(" ")}`;
  }
  if (method === "Runtime.exceptionThrown") {
    const details = params.exceptionDetails as { text?: string; exception?: { description?: string } };
    return `exception: ${details.exception?.description ?? details.text}`;
  }
  if (method === "Log.entryAdded") {
    const entry = params.entry as { level?: string; text?: string; url?: string };
    return `log ${entry.level}: ${entry.text} ${entry.url ?? ""}`;
  }
  return method;
}
