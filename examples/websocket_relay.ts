/**
 * The server half of {@link ./browser_websocket.ts}: a WebSocket-to-TCP relay for Deno. Each WebSocket is
 * joined to one new TCP connection to a fixed target, and bytes flow both ways untouched: the TLS inside
 * is between the page and the target, and the relay sees only records. (The browser test in
 * `tests/browser_test.ts` runs its relay with this function.)
 *
 * Run one: `deno run -A examples/websocket_relay.ts 8080 example.com:443`, then point the page at
 * `ws://localhost:8080/`.
 *
 * Never let the page choose the target: an open relay is an open proxy.
 *
 * @example
 * ```ts ignore
 * Deno.serve({ port: 8080 }, (request) => relayWebSocket(request, { hostname: "example.com", port: 443 }));
 * ```
 *
 * @module
 */

/** Optional observation of a relay. */
export interface RelayOptions {
  /** Called with the size of every chunk relayed, `"up"` from the WebSocket to TCP, `"down"` back. */
  readonly onBytes?: (direction: "up" | "down", length: number) => void;
  /** Called once both sides are closed. */
  readonly onDone?: () => void;
}

/**
 * Connects to `target`, then upgrades `request` to a WebSocket joined to that connection. Connecting first
 * means the WebSocket's listeners are on before it opens, so the page's first message (its ClientHello)
 * cannot be missed. Rejects (and the page's WebSocket fails) when the target cannot be reached.
 */
export async function relayWebSocket(
  request: Request,
  target: Deno.ConnectOptions,
  options: RelayOptions = {},
): Promise<Response> {
  const tcp = await Deno.connect(target);
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.binaryType = "arraybuffer";
  let writes = Promise.resolve();
  let tcpClosed = false;
  const closeTcp = () => {
    if (tcpClosed) return;
    tcpClosed = true;
    writes.finally(() => {
      try {
        tcp.close();
      } catch {
        // already closed
      }
    });
  };
  socket.onmessage = (event) => {
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    options.onBytes?.("up", bytes.length);
    writes = writes.then(async () => {
      for (let off = 0; off < bytes.length;) off += await tcp.write(bytes.subarray(off));
    }).catch(closeTcp);
  };
  const opened = new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
  const closed = new Promise((resolve) => socket.addEventListener("close", resolve, { once: true }));
  socket.addEventListener("close", closeTcp, { once: true });
  (async () => {
    await Promise.race([opened, closed]);
    try {
      const buf = new Uint8Array(16 * 1024);
      while (socket.readyState === WebSocket.OPEN) {
        const n = await tcp.read(buf);
        if (n === null) break;
        options.onBytes?.("down", n);
        if (socket.readyState === WebSocket.OPEN) socket.send(buf.slice(0, n));
      }
    } catch {
      // the TCP connection was closed because the WebSocket closed
    }
    if (socket.readyState === WebSocket.OPEN) socket.close();
    await closed;
    closeTcp();
    await writes;
    options.onDone?.();
  })();
  return response;
}

if (import.meta.main) {
  const [port, target] = Deno.args;
  const [hostname, targetPort] = (target ?? "").split(":");
  if (!port || !hostname || !targetPort) {
    console.error("usage: deno run -A examples/websocket_relay.ts LISTEN_PORT HOST:PORT");
    Deno.exit(2);
  }
  Deno.serve(
    { port: Number(port) },
    (request) => relayWebSocket(request, { hostname, port: Number(targetPort) }),
  );
}
