/**
 * The client in a real browser: the library bundled for the browser (`deno bundle --platform browser`),
 * loaded in headless Chromium (Debian `chromium`), runs a TLS 1.3 handshake over a WebSocket through a relay
 * to a TLS server on loopback, verifies the server against the test CA, and GETs a page. Chromium's WebCrypto
 * has no ChaCha20-Poly1305 and no ML-KEM: the page reports that, and the handshake uses neither.
 * A missing `chromium` fails the test (`apt-get install -y chromium`; `.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { generateCertificate } from "../mod.ts";
import { Chromium } from "./_browser/chromium.ts";
import { PageServer, TlsHttpServer } from "./_browser/relay.ts";
import type { PageResults } from "./_browser/client_entry.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** Bundles `tests/_browser/client_entry.ts` for the browser; throws with deno's output when it fails. */
async function bundleClient(signal: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
  const dir = await Deno.makeTempDir({ prefix: "subtls-bundle-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "-o", `${dir}/client.js`, "tests/_browser/client_entry.ts"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    if (!output.success) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(output.stderr)}`);
    }
    return await Deno.readFile(`${dir}/client.js`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const READ_DOM = `(async () => {
  while (!globalThis.__done) await new Promise((r) => setTimeout(r, 20));
  await globalThis.__done;
  return { status: document.getElementById("status").textContent, results: document.getElementById("results").textContent };
})()`;

/** The suites' AEADs, to check the negotiated suite against what the page detected. */
const SUITE_AEADS: Record<string, string> = {
  TLS_AES_128_GCM_SHA256: "AES-128-GCM",
  TLS_AES_256_GCM_SHA384: "AES-256-GCM",
  TLS_CHACHA20_POLY1305_SHA256: "ChaCha20-Poly1305",
};

Deno.test({
  name: "browser: Chromium runs startTls over a WebSocket relay, verifies the server and GETs a page",
  async fn() {
    const deadline = AbortSignal.timeout(50_000);
    const [script, ca] = await Promise.all([
      bundleClient(deadline),
      generateCertificate({ subject: "CN=Browser Test CA", isCA: true, keyAlgorithm: "ECDSA-P256" }),
    ]);
    const leaf = await generateCertificate({
      subject: "CN=localhost",
      subjectAltNames: ["localhost"],
      issuer: { cert: ca.cert, key: ca.key },
      keyAlgorithm: "ECDSA-P256",
      extKeyUsage: ["serverAuth"],
    });
    const body = `hello through TLS in Chromium ${crypto.randomUUID()}`;
    await using tls = new TlsHttpServer(leaf.cert, leaf.key, body);
    await using pages = new PageServer({
      html: await Deno.readTextFile(new URL("./_browser/index.html", import.meta.url)),
      script,
      config: { serverName: "localhost", caCert: ca.cert, path: "/hello.txt" },
      tlsPort: tls.port,
    });
    await using browser = await Chromium.launch(deadline);
    const dom = await browser.evaluateAt<{ status: string; results: string }>(
      `http://127.0.0.1:${pages.port}/`,
      READ_DOM,
      deadline,
    );
    const page: PageResults & { error?: string } = JSON.parse(dom.results);
    const summary = JSON.stringify(
      { ...page, runs: page.runs?.map((r) => ({ ...r, body: undefined })) },
      null,
      1,
    );
    if (Deno.env.get("BROWSER_TEST_VERBOSE")) console.log(summary);
    assert.equal(dom.status, "done", `the page failed:\n${summary}\nchromium: ${browser.log}`);

    // What Chromium's WebCrypto has, as the page detected it: at least AES-GCM and the ECDH groups.
    for (const aead of ["AES-128-GCM", "AES-256-GCM"]) assert.ok(page.aeads.includes(aead as never), summary);
    for (const group of ["X25519", "P-256", "P-384"]) {
      assert.ok(page.groups.includes(group as never), summary);
    }

    // Every connection verified the server, fetched the page, and used only what the platform has.
    for (const run of page.runs) {
      assert.equal(run.ok, true, `${run.label}: ${run.error}`);
      assert.equal(run.protocol, "TLSv1.3");
      assert.equal(run.httpStatus, 200);
      assert.equal(run.body, body, run.label);
      assert.ok(
        page.groups.includes(run.group as never),
        `${run.label}: group ${run.group} was not detected`,
      );
      assert.ok(page.aeads.includes(SUITE_AEADS[run.suite!] as never), `${run.label}: suite ${run.suite}`);
    }
    // Each detected group and each suite of a detected AEAD really works: detection has no false positive.
    for (const group of page.groups) {
      assert.equal(page.runs.find((r) => r.label === `group ${group}`)?.group, group);
    }
    const suites = Object.keys(SUITE_AEADS).filter((s) => page.aeads.includes(SUITE_AEADS[s] as never));
    for (const suite of suites) {
      assert.equal(page.runs.find((r) => r.label === `suite ${suite}`)?.suite, suite);
    }
    assert.equal(page.runs.length, 1 + page.groups.length + suites.length);
    assert.equal(tls.requests.length, page.runs.length);
    assert.ok(tls.requests.every((r) => r === "GET /hello.txt HTTP/1.1"), tls.requests.join("\n"));
    // Everything went through the relay, one WebSocket per connection.
    assert.equal(pages.relayed.connections, page.runs.length);
    assert.ok(pages.relayed.toServer > 0 && pages.relayed.toBrowser > body.length * page.runs.length);
  },
});
