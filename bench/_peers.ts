/**
 * The two TLS implementations `compare.ts` puts side by side, behind one small interface: this library
 * (`listenTls`/`connectTls`) and Deno's native TLS (`Deno.listenTls`/`Deno.connectTls`, rustls). Both listen
 * on 127.0.0.1 with the same ECDSA P-256 certificate, issued by a CA that both clients trust.
 *
 * @module
 */

import {
  type CipherSuiteName,
  generateCertificate,
  type GroupName,
  listenTls,
  type SessionCache,
  startTls,
  type TlsHandshakeInfo,
} from "../mod.ts";

/** What the benchmarks need of a connection, from either implementation. */
export interface BenchConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** A listener that hands each connection to its handler once the server side of the handshake is complete. */
export interface BenchListener {
  readonly port: number;
  /** Stops accepting; connections already handed out stay open. */
  close(): void;
}

/** Receives each server-side connection whose handshake completed; handshakes run concurrently. */
export type OnConnection = (conn: BenchConn) => void;

/**
 * Client knobs, for this library only (the native client offers its defaults and keeps no session across
 * `Deno.startTls` calls): the suites and groups offered, and where session tickets are kept — `null`, the
 * default here, makes every handshake a full one.
 */
export interface ConnectOptions {
  cipherSuites?: CipherSuiteName[];
  groups?: GroupName[];
  sessionCache?: SessionCache | null;
}

/** A connection of this library: what the handshake negotiated is known. */
export interface OurConn extends BenchConn {
  handshake(): Promise<TlsHandshakeInfo>;
}

/** One TLS implementation, both roles. */
export interface Implementation {
  readonly name: "this" | "native";
  listen(onConnection: OnConnection, options?: ConnectOptions): BenchListener;
  /** Connects and completes the client side of the handshake. */
  connect(port: number, options?: ConnectOptions): Promise<BenchConn>;
}

/** The certificates of a run: a CA and a 127.0.0.1 / localhost server certificate it issued. */
export interface BenchPki {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

/** Makes the run's PKI (ECDSA P-256 throughout). */
export async function makePki(): Promise<BenchPki> {
  const root = await generateCertificate({ subject: "CN=subtls bench root", isCA: true });
  const leaf = await generateCertificate({
    subject: "CN=localhost",
    subjectAltNames: ["localhost", "127.0.0.1"],
    issuer: root,
    keyAlgorithm: "ECDSA-P256",
    extKeyUsage: ["serverAuth"],
  });
  return { caCert: root.cert, cert: leaf.cert, key: leaf.key };
}

const HOST = "127.0.0.1";

/**
 * A TCP connection with Nagle's algorithm off. `Deno.connectTls` leaves it on, and its client sends the
 * Finished in a write of its own, which then waits for the server's delayed ACK (≈ 40 ms on Linux): native
 * handshakes measured to completion at both ends would show that timer, not TLS. Both clients here run over
 * such a connection (`Deno.startTls` and this library's `startTls`), so neither pays it.
 */
async function tcpConnect(port: number): Promise<Deno.TcpConn> {
  const tcp = await Deno.connect({ hostname: HOST, port });
  tcp.setNoDelay(true);
  return tcp;
}

/** This library at either end. */
export function thisLibrary(pki: BenchPki): Implementation {
  return {
    name: "this",
    listen(onConnection, options = {}) {
      const listener = listenTls({
        hostname: HOST,
        port: 0,
        cert: pki.cert,
        key: pki.key,
        cipherSuites: options.cipherSuites,
        handshakeTimeout: 60_000,
      });
      (async () => {
        // The listener runs the handshakes in the background; accept() hands out completed ones.
        for await (const conn of listener) onConnection(conn);
      })();
      return { port: listener.addr.port, close: () => listener.close() };
    },
    async connect(port, options = {}) {
      const conn = await startTls(await tcpConnect(port), {
        hostname: HOST,
        caCerts: [pki.caCert],
        cipherSuites: options.cipherSuites,
        groups: options.groups,
        sessionCache: options.sessionCache ?? null,
      });
      // startTls resolves before the handshake, as Deno's: the measured connection is a completed one.
      try {
        await conn.handshake();
      } catch (e) {
        conn.close();
        throw e;
      }
      return conn;
    },
  };
}

/** Deno's native TLS (rustls) at either end. */
export function nativeTls(pki: BenchPki): Implementation {
  return {
    name: "native",
    listen(onConnection) {
      const listener = Deno.listenTls({ hostname: HOST, port: 0, cert: pki.cert, key: pki.key });
      (async () => {
        for (;;) {
          let conn: Deno.TlsConn;
          try {
            conn = await listener.accept();
          } catch {
            return; // closed
          }
          conn.handshake().then(() => onConnection(conn), () => closeQuietly(conn));
        }
      })();
      return {
        port: listener.addr.port,
        close: () => {
          try {
            listener.close();
          } catch {
            // already closed
          }
        },
      };
    },
    async connect(port) {
      const conn = await Deno.startTls(await tcpConnect(port), { hostname: HOST, caCerts: [pki.caCert] });
      try {
        await conn.handshake();
      } catch (e) {
        conn.close();
        throw e;
      }
      return conn;
    },
  };
}

/** Closes a connection, ignoring a peer that is already gone. */
export function closeQuietly(conn: BenchConn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
