import { createServer as createHttp1Server } from "node:http";
import { createServer as createHttp2Server, type ServerHttp2Session } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import type { NodeHandlerFn } from "./http-protocols.js";

/** The HTTP/2 connection preface every h2c client sends first (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** How long a new connection may take to send its first bytes. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

/** A certificate chain and its private key, PEM. */
export interface TlsFiles {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

export interface Http1And2Options {
  readonly host: string;
  readonly port: number;
  /** With TLS, ALPN offers `h2` and `http/1.1`; without, h2c and HTTP/1.1 share the port. */
  readonly tls?: TlsFiles | undefined;
}

/** A port serving one handler over HTTP/1.1 and HTTP/2. */
export interface Http1And2Listener {
  readonly port: number;
  /** Open HTTP/2 sessions and HTTP/1.1 connections, for logs. */
  connections(): number;
  /**
   * Stops accepting connections, sends GOAWAY to every HTTP/2 session, ends
   * idle HTTP/1.1 connections and the others after their current response
   * (`Connection: close`), and resolves once every connection is gone.
   * After `graceMs` whatever is left is cut off.
   */
  close(graceMs: number, onGraceOver?: () => void): Promise<void>;
}

/**
 * Serves `handler` on one port over HTTP/1.1 and HTTP/2, so that Connect
 * and gRPC-Web work from browsers, curl and HTTP/1.1-only clients while gRPC
 * keeps HTTP/2.
 *
 * Without TLS the protocols are told apart by the first bytes of each
 * connection: a client speaking h2c with prior knowledge (every gRPC
 * client) starts with the HTTP/2 connection preface, which no HTTP/1.1
 * request line can begin with. Node's `allowHTTP1` does this only behind
 * TLS (by ALPN), hence the peek here. Both halves are ordinary Node
 * servers handed the socket; the HTTP/2 session picks up the bytes the peek
 * read. The cost is one buffered read per connection, nothing per request.
 */
export function listenHttp1And2(
  handler: NodeHandlerFn,
  options: Http1And2Options,
): Promise<Http1And2Listener> {
  const sessions = new Set<ServerHttp2Session>();
  /** HTTP/1.1 connections and how many requests each has in flight. */
  const http1 = new Map<Socket, number>();
  const sockets = new Set<Socket>();
  let draining = false;

  const h2 = createHttp2Server(handler);
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const h1 = createHttp1Server((req, res) => {
    const socket = req.socket;
    http1.set(socket, (http1.get(socket) ?? 0) + 1);
    if (draining) {
      res.setHeader("connection", "close");
    }
    res.once("close", () => {
      const left = (http1.get(socket) ?? 1) - 1;
      http1.set(socket, left);
      if (draining && left === 0) {
        socket.end();
      }
    });
    handler(req, res);
  });

  const toHttp1 = (socket: Socket) => {
    http1.set(socket, 0);
    socket.once("close", () => http1.delete(socket));
    h1.emit("connection", socket);
  };
  const toHttp2 = (socket: Socket) => h2.emit("connection", socket);

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };

  const server = options.tls
    ? createTlsServer({
        cert: options.tls.cert,
        key: options.tls.key,
        ALPNProtocols: ["h2", "http/1.1"],
        allowHalfOpen: true,
      }).on("secureConnection", (socket: TLSSocket) => {
        track(socket);
        if (socket.alpnProtocol === "h2") {
          toHttp2(socket);
        } else {
          toHttp1(socket);
        }
      })
    : createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
        track(socket);
        peek(socket, toHttp1, toHttp2);
      });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        connections: () => sessions.size + http1.size,
        close(graceMs, onGraceOver) {
          draining = true;
          const closed = new Promise<void>((done) => server.close(() => done()));
          for (const session of sessions) {
            session.close();
          }
          for (const [socket, inFlight] of http1) {
            if (inFlight === 0) {
              socket.end();
            }
          }
          const timer = setTimeout(() => {
            onGraceOver?.();
            for (const session of sessions) {
              session.destroy();
            }
            for (const socket of sockets) {
              socket.destroy();
            }
          }, graceMs);
          return closed.finally(() => clearTimeout(timer));
        },
      });
    });
  });
}

/**
 * Reads until the first bytes decide the protocol, puts them back and hands
 * the socket on: HTTP/2 when they are the connection preface, else HTTP/1.1.
 */
function peek(socket: Socket, http1: (s: Socket) => void, http2: (s: Socket) => void): void {
  let seen: Buffer = Buffer.alloc(0);
  socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, PREFACE.length);
    const isPreface = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
    if (isPreface && n < PREFACE.length) {
      return; // a prefix of the preface so far: wait for more
    }
    socket.off("data", onData);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(seen);
    if (isPreface) {
      // The HTTP/2 session reads what is buffered on the socket itself.
      http2(socket);
    } else {
      http1(socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
}
