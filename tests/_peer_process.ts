/**
 * A peer program run as a child process for the interop tests: started in a process group of its own,
 * its output collected as text (or piped back into its stdin), and stopped by killing the whole group and
 * awaiting its exit, so that Deno's test sanitizers see no leaked process, pipe or timer.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The longest a peer may live; a safety net should the test process die without stopping it. */
const LIFETIME_SECONDS = 600;
/** How much of each output stream is kept (the tail). */
const OUTPUT_LIMIT = 1 << 20;

const binaries = new Map<string, Promise<string>>();

/**
 * The absolute path of `name` on `PATH`; throws "… is not installed" with `hint` when it is missing, so a
 * missing peer fails the test instead of skipping it.
 */
export function requireBinary(name: string, hint: string): Promise<string> {
  let found = binaries.get(name);
  if (!found) {
    found = (async () => {
      for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
        if (!dir) continue;
        try {
          const info = await Deno.stat(`${dir}/${name}`);
          if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return `${dir}/${name}`;
        } catch {
          // not in this directory
        }
      }
      throw new Error(
        `the interop peer binary \`${name}\` is not installed (not on PATH); install it: ${hint}. ` +
          "A missing peer is a test failure, never a skip.",
      );
    })();
    binaries.set(name, found);
  }
  return found;
}

/** A timer that can be awaited and cancelled, so that no timer outlives a test. */
function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => id = setTimeout(resolve, Math.max(0, ms)));
  return { promise, cancel: () => clearTimeout(id) };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return delay(ms).promise;
}

/** Options of {@link PeerProcess.spawn}. */
export interface SpawnOptions {
  /** Write everything the process prints on stdout back into its stdin (its stdout is then not kept). */
  echoStdout?: boolean;
}

/** One of a peer's output streams. */
export type OutputStream = "stdout" | "stderr";

class Output {
  text = "";
  /** Characters dropped from the front to keep {@link OUTPUT_LIMIT}. */
  dropped = 0;
  done = false;

  append(s: string) {
    this.text += s;
    if (this.text.length > OUTPUT_LIMIT) {
      const cut = this.text.length - OUTPUT_LIMIT / 2;
      this.text = this.text.slice(cut);
      this.dropped += cut;
    }
  }

  /** Text from absolute offset `from` on. */
  since(from: number): string {
    return this.text.slice(Math.max(0, from - this.dropped));
  }

  get end(): number {
    return this.dropped + this.text.length;
  }
}

/** A running peer process; stop it with {@link stop} or `await using`. */
export class PeerProcess implements AsyncDisposable {
  /** The peer's name in messages, e.g. "openssl s_server". */
  readonly name: string;
  /** The command line. */
  readonly argv: readonly string[];
  /** The process id, which is also its process group id. */
  readonly pid: number;
  /** The port it listens on (127.0.0.1), once known. */
  port = 0;
  /** Bytes copied from stdout back to stdin (with `echoStdout`). */
  echoedBytes = 0;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #out = new Output();
  #err = new Output();
  #status: Deno.CommandStatus | undefined;
  #statusPromise: Promise<Deno.CommandStatus>;
  #readers: Promise<unknown>;
  #changed = Promise.withResolvers<void>();
  #cleanups: (() => unknown)[] = [];
  #stopping: Promise<void> | undefined;

  private constructor(name: string, argv: string[], options: SpawnOptions) {
    this.name = name;
    this.argv = argv;
    // `detached` starts a new session (setsid), so the process leads its own group. `timeout` ends the
    // peer should this process die without stopping it.
    this.#child = new Deno.Command("timeout", {
      args: ["--kill-after=5", String(LIFETIME_SECONDS), ...argv],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
    this.pid = this.#child.pid;
    this.#stdin = this.#child.stdin.getWriter();
    this.#statusPromise = this.#child.status.then((status) => {
      this.#status = status;
      this.#notify();
      return status;
    });
    this.#readers = Promise.all([
      options.echoStdout ? this.#echo(this.#child.stdout) : this.#collect(this.#child.stdout, this.#out),
      this.#collect(this.#child.stderr, this.#err),
    ]);
  }

  /** Spawns `argv` (its first element the program); throws if the program cannot be started. */
  static spawn(name: string, argv: string[], options: SpawnOptions = {}): PeerProcess {
    return new PeerProcess(name, argv, options);
  }

  #notify() {
    const changed = this.#changed;
    this.#changed = Promise.withResolvers<void>();
    changed.resolve();
  }

  async #collect(stream: ReadableStream<Uint8Array>, output: Output): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        output.append(decoder.decode(chunk, { stream: true }));
        this.#notify();
      }
    } catch {
      // the pipe broke: the process is gone
    } finally {
      output.append(decoder.decode());
      output.done = true;
      this.#notify();
    }
  }

  async #echo(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream) {
        this.echoedBytes += chunk.length;
        // Not awaited: the writer queues without bound, so reading stdout never waits for stdin. Waiting
        // would deadlock once both pipes are full, as s_server blocks writing stdout before it reads stdin.
        this.#stdin.write(chunk).catch(() => {});
      }
    } catch {
      // the pipe broke: the process is gone
    } finally {
      this.#out.done = true;
      this.#notify();
    }
  }

  /** What the process printed on stdout so far (the last MiB at most). */
  get stdout(): string {
    return this.#out.text;
  }

  /** What the process printed on stderr so far (the last MiB at most). */
  get stderr(): string {
    return this.#err.text;
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#status !== undefined;
  }

  /** The position after the output printed so far, to pass as `after` to {@link waitFor}. */
  mark(stream: OutputStream): number {
    return (stream === "stdout" ? this.#out : this.#err).end;
  }

  /** What `stream` printed after position `after` (see {@link mark}). */
  since(stream: OutputStream, after: number): string {
    return (stream === "stdout" ? this.#out : this.#err).since(after);
  }

  /** The command line and the tails of both outputs, for error messages. */
  describe(): string {
    const status = this.#status ? `exited with ${this.#status.signal ?? this.#status.code}` : "running";
    return `${this.name} (pid ${this.pid}, ${status}): ${this.argv.join(" ")}\n` +
      `--- stdout ---\n${this.#out.text.slice(-3000)}\n--- stderr ---\n${this.#err.text.slice(-3000)}`;
  }

  /**
   * Waits until `stream` shows `pattern` (after position `after`, see {@link mark}) and returns the match;
   * throws if the process ends first or after `timeoutMs`.
   */
  async waitFor(
    stream: OutputStream,
    pattern: RegExp | string,
    options: { after?: number; timeoutMs?: number } = {},
  ): Promise<RegExpExecArray> {
    const regex = typeof pattern === "string"
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      : pattern;
    const output = stream === "stdout" ? this.#out : this.#err;
    const timeoutMs = options.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const changed = this.#changed.promise;
      const match = regex.exec(output.since(options.after ?? 0));
      if (match) return match;
      if (output.done) {
        throw new Error(`${this.name} ended before printing ${regex} on ${stream}\n${this.describe()}`);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `${this.name} printed no ${regex} on ${stream} within ${timeoutMs} ms\n${this.describe()}`,
        );
      }
      const timer = delay(remaining);
      await Promise.race([changed, timer.promise]);
      timer.cancel();
    }
  }

  /** Writes `data` to the process's stdin. */
  async send(data: string | Uint8Array): Promise<void> {
    await this.#stdin.write(typeof data === "string" ? encoder.encode(data) : data);
  }

  /** Runs `cleanup` after the process has been stopped. */
  addCleanup(cleanup: () => unknown): void {
    this.#cleanups.push(cleanup);
  }

  /** Kills the process group (SIGTERM, then SIGKILL after 5 s), awaits the exit and closes every pipe. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const kill = (signal: Deno.Signal) => {
      if (this.#status) return;
      try {
        Deno.kill(-this.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    kill("SIGTERM");
    const grace = delay(5000);
    await Promise.race([this.#statusPromise, grace.promise]);
    grace.cancel();
    kill("SIGKILL");
    await this.#statusPromise;
    await this.#stdin.abort().catch(() => {});
    await this.#readers;
    for (const cleanup of this.#cleanups) await cleanup();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * Polls until something accepts TCP connections on 127.0.0.1:`peer.port`; throws if `peer` exits first or
 * after `timeoutMs`.
 */
export async function waitForPort(peer: PeerProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (peer.exited) throw new Error(`${peer.name} exited before accepting connections\n${peer.describe()}`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: peer.port });
      conn.close();
      // A peer that failed to bind (another process took the port) exits at once: make sure it did not.
      await sleep(30);
      if (!peer.exited) return;
    } catch (e) {
      if (!(e instanceof Deno.errors.ConnectionRefused)) throw e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${peer.name} accepted no connection on port ${peer.port} within ${timeoutMs} ms\n` +
          peer.describe(),
      );
    }
    await sleep(20);
  }
}

/** What a command-line client printed, and how it ended. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command line under `timeout` (30 s) with unbuffered stdout, feeding `input` on stdin and keeping
 * stdin open until the program exits (clients exit when the server closes). `/usr/bin/python3`-style
 * absolute paths must exist; other binaries must be on PATH.
 */
export async function runTool(binary: string, args: string[], input = ""): Promise<ToolResult> {
  if (binary.startsWith("/")) {
    const info = await Deno.stat(binary).catch(() => undefined);
    if (!info?.isFile) throw new Error(`${binary} is missing; a missing peer is a test failure`);
  } else {
    await requireBinary(binary, `install ${binary}`);
  }
  await requireBinary("stdbuf", "apt-get install -y coreutils");
  // Unbuffered stdout (stdbuf -o0): s_client prints each session ticket through stdio and echoed data with
  // write(2); with a buffer, a large ticket's dump would be cut by the echoed line.
  const child = new Deno.Command("timeout", {
    args: ["--kill-after=5", "30", "stdbuf", "-o0", binary, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input)).catch(() => {});
  const output = await child.output();
  await writer.close().catch(() => {});
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** A tool's output for an assertion message. */
export function describeTool(r: ToolResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}
