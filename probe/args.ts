/**
 * The probe's command line: `deno task probe [options] host[:port]`.
 *
 * @module
 */

/** What the command line asks for. */
export interface ProbeArgs {
  /** Host name or IP literal to connect to (brackets of an IPv6 literal removed). */
  readonly host: string;
  /** TCP port (443 when not given). */
  readonly port: number;
  /** SNI and the name verified; defaults to `host`. */
  readonly serverName?: string;
  /** A PEM file of trusted CAs, replacing the embedded Mozilla root store. */
  readonly caFile?: string;
  /** A PEM file with a client certificate chain (leaf first), sent when the server asks for one; with `keyFile`. */
  readonly certFile?: string;
  /** A PEM file with the private key of `certFile`. */
  readonly keyFile?: string;
  /** ALPN protocols to offer. */
  readonly alpn: readonly string[];
  /** Go on when verification fails (still reporting why). */
  readonly insecure: boolean;
  /** A file to append NSS key-log lines to. */
  readonly keyLogFile?: string;
  /** Show every record in both directions. */
  readonly trace: boolean;
  /** One JSON document instead of text. */
  readonly json: boolean;
  /** Colours in text output. */
  readonly color: boolean;
  /** Gives up after this many seconds. */
  readonly timeoutSeconds: number;
}

/** The result of parsing: arguments, a request for help, or a usage error. */
export type ParsedArgs =
  | { readonly kind: "probe"; readonly args: ProbeArgs }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** The `--help` text. */
export const USAGE = `Usage: deno task probe [options] host[:port]

Connects to host:port (port 443 by default) with TLS 1.3 or 1.2 and shows what was negotiated, the
certificate chain, each verification check, and how long each phase took. Exits 1 when the connection,
the certificate verification or the client certificate fails, 2 on a usage error (a file that cannot be
read included).

Options:
  --servername NAME   server name for SNI and certificate verification (default: host)
  --cafile FILE       trust the CA certificates in this PEM file instead of the built-in Mozilla roots
  --cert FILE         client certificate chain (PEM, leaf first), sent when the server asks for one
  --key FILE          the private key of --cert (PEM: PKCS #8, PKCS #1 or SEC 1)
  --alpn LIST         offer these ALPN protocols, comma-separated (e.g. h2,http/1.1)
  --insecure          go on when verification fails (still shows which check failed)
  --keylog FILE       append the NSS key-log lines to FILE (for Wireshark / tshark)
  --trace             show every TLS record sent and received, annotated, with its first bytes in hex;
                      TLS 1.3 records are decrypted (with this connection's own secrets) and named
  --json              print one JSON document (byte strings as hex) instead of text
  --timeout SECONDS   give up after this long (default 15)
  --no-color          no colours (also when NO_COLOR is set or output is not a terminal)
  --help              show this help

Examples:
  deno task probe example.com
  deno task probe --alpn h2,http/1.1 --trace example.com:443
  deno task probe --cafile ca.pem --servername localhost 127.0.0.1:8443
  deno task probe --cafile ca.pem --cert client.pem --key client-key.pem mtls.example:443`;

const VALUE_OPTIONS = new Set([
  "--servername",
  "--cafile",
  "--cert",
  "--key",
  "--alpn",
  "--keylog",
  "--timeout",
]);

/** Splits `host[:port]`, `[v6]:port` or a bare IPv6 literal. */
export function parseTarget(target: string): { host: string; port: number } | string {
  let host = target.replace(/^[a-z]+:\/\//i, "").replace(/\/.*$/, "");
  let port = 443;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if ((host.match(/:/g) ?? []).length === 1) {
    const [h, p] = host.split(":");
    if (!/^\d+$/.test(p)) return `bad port in "${target}"`;
    host = h;
    port = Number(p);
  }
  if (host.length === 0) return `no host in "${target}"`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port out of range in "${target}"`;
  return { host, port };
}

/** Parses the command line; `noColor` is whether colours are off by environment. */
export function parseArgs(argv: readonly string[], noColor = false): ParsedArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) return { kind: "error", message: `${name} needs a value` };
      values.set(name, value);
    } else if (["--insecure", "--trace", "--json", "--no-color"].includes(arg)) {
      flags.add(arg);
    } else {
      return { kind: "error", message: `unknown option ${arg}` };
    }
  }
  if (positional.length !== 1) {
    return { kind: "error", message: positional.length === 0 ? "no host given" : "give exactly one host" };
  }
  const target = parseTarget(positional[0]);
  if (typeof target === "string") return { kind: "error", message: target };
  if (values.has("--cert") !== values.has("--key")) {
    return { kind: "error", message: "--cert and --key go together" };
  }
  const timeout = Number(values.get("--timeout") ?? "15");
  if (!(timeout > 0)) return { kind: "error", message: "--timeout must be a positive number of seconds" };
  const alpn = values.get("--alpn")?.split(",").map((p) => p.trim()).filter(Boolean) ?? [];
  return {
    kind: "probe",
    args: {
      ...target,
      serverName: values.get("--servername"),
      caFile: values.get("--cafile"),
      certFile: values.get("--cert"),
      keyFile: values.get("--key"),
      alpn,
      insecure: flags.has("--insecure"),
      keyLogFile: values.get("--keylog"),
      trace: flags.has("--trace"),
      json: flags.has("--json"),
      color: !flags.has("--no-color") && !noColor,
      timeoutSeconds: timeout,
    },
  };
}
