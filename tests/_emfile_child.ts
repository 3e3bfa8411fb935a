// Run by listener_resets_test.ts under `ulimit -n`: a listener in a process that runs out of file
// descriptors. Prints one JSON line per event: its port, each error onHandshakeError reports, each client
// served.
import { listenTls } from "../mod.ts";

const { cert, key } = JSON.parse(Deno.args[0]);
// Deno 2.9.6 sets up its signal handling on first use and panics if no descriptor is left by then: use it
// now, while descriptors are free.
Deno.addSignalListener("SIGUSR2", () => {});
const print = (event: Record<string, unknown>) => console.log(JSON.stringify(event));
const listener = listenTls({
  hostname: "127.0.0.1",
  port: 0,
  cert,
  key,
  onHandshakeError: (error, from) =>
    print({ event: from.port === 0 ? "accept error" : "handshake error", error: String(error) }),
});
print({ event: "listening", port: listener.addr.port });
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    if (n !== null) await conn.write(buf.subarray(0, n));
    await conn.close();
    print({ event: "served" });
  })().catch((e) => print({ event: "serve error", error: String(e) }));
}
print({ event: "closed" });
