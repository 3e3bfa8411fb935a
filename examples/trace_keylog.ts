/**
 * Seeing inside a connection: the `trace` option receives structured events (each handshake message with its
 * decoded public fields, each secret derived — by label and length only —, key changes, alerts, timings),
 * and `keyLog` receives the NSS key-log lines with which Wireshark or tshark decrypt a capture of the
 * connection:
 *
 * ```sh
 * deno run -A examples/trace_keylog.ts
 * # with a capture of your own traffic and the key log your program wrote:
 * tshark -r capture.pcap -o tls.keylog_file:keys.log -Y http
 * ```
 *
 * The key log carries the traffic secrets: whoever has it can read the traffic. Write it only while
 * debugging, never in production.
 *
 * @module
 */

import { connectTls, generateCertificate, listenTls, type TraceEvent } from "../mod.ts";

const ca = await generateCertificate({ subject: "CN=Example CA", isCA: true });
const leaf = await generateCertificate({ subject: "CN=localhost", issuer: ca, extKeyUsage: ["serverAuth"] });
const listener = listenTls({ hostname: "127.0.0.1", port: 0, cert: leaf.cert, key: leaf.key });
const accepting = (async () => {
  for await (const conn of listener) conn.close();
})();

/** One line per trace event. */
function show(e: TraceEvent): void {
  const time = `${e.time.toFixed(1).padStart(6)} ms`;
  switch (e.kind) {
    case "message":
      console.log(`${time}  ${e.direction.padEnd(8)}  ${e.message.type} (${e.message.length} bytes)`);
      break;
    case "secret":
      console.log(`${time}  derived   ${e.label} (${e.length} bytes)`);
      break;
    case "keys":
      console.log(`${time}  keys      new ${e.direction} protection`);
      break;
    case "alert":
      console.log(`${time}  ${e.direction.padEnd(8)}  alert ${e.alert}`);
      break;
    default:
      console.log(`${time}  ${e.kind}`);
  }
}

const keyLogFile = await Deno.makeTempFile({ suffix: ".keys.log" });
const keyLogLines: string[] = [];
const conn = await connectTls({
  hostname: "127.0.0.1",
  port: listener.addr.port,
  serverName: "localhost",
  caCerts: [ca.cert],
  trace: show,
  // In a real program: append each line to the file named by SSLKEYLOGFILE, as browsers do.
  keyLog: (line) => keyLogLines.push(line),
});
await conn.handshake();
await conn.close();
await Deno.writeTextFile(keyLogFile, keyLogLines.map((line) => line + "\n").join(""));
// The labels only: the rest of each line is secret.
const labels = keyLogLines.map((line) => line.split(" ")[0]);
console.log(`key log: ${labels.length} lines written to ${keyLogFile}: ${labels.join(", ")}`);
await Deno.remove(keyLogFile);

listener.close();
await accepting;
if (!labels.includes("CLIENT_TRAFFIC_SECRET_0")) throw new Error("no application traffic secret logged");
