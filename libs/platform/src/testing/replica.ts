import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health, NormalizeResponseSchema, NormalizerService } from "@runframe/contracts";
import {
  constants as h2,
  createSecureServer,
  createServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { createHealthService, HealthState } from "../health.js";

/** A replica's TLS key and certificate, PEM. */
export interface ReplicaTls {
  readonly key: string;
  readonly cert: string;
}

/** What a test replica does with one Normalize call after counting it. */
export type ReplicaBehaviour = (context: HandlerContext) => Promise<void> | void;

/**
 * One replica of a NormalizerService on a loopback h2c port, in process, for
 * balancing tests and benchmarks. It counts the calls that reached its
 * handler, can refuse streams unprocessed, drain like a real app, or die
 * abruptly, and can come back on the same address.
 */
export class TestReplica {
  /** Normalize calls that reached the handler. */
  calls = 0;
  /** Streams to reset with REFUSED_STREAM before any handler sees them. */
  refuseNext = 0;
  /** Runs inside every Normalize call after it is counted. */
  behaviour: ReplicaBehaviour | undefined;
  /** The replica's serving state; each restart starts SERVING. */
  health = new HealthState([NormalizerService.typeName]);
  #server: Http2Server | undefined;
  readonly #sessions = new Set<ServerHttp2Session>();
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly host: string,
    public port: number,
    readonly tls: ReplicaTls | undefined,
  ) {}

  /**
   * Starts a replica on `host` (any loopback address) and `port` (0: a free
   * one), over h2c, or over TLS with `tls`.
   */
  static async start(host = "127.0.0.1", port = 0, tls?: ReplicaTls): Promise<TestReplica> {
    const replica = new TestReplica(host, port, tls);
    await replica.restart();
    return replica;
  }

  get url(): string {
    return `${this.tls ? "https" : "http"}://${this.host}:${this.port}`;
  }

  /** Listens (again) on the replica's address, serving and healthy. */
  async restart(): Promise<void> {
    this.health = new HealthState([NormalizerService.typeName]);
    const health = this.health;
    const handler = connectNodeAdapter({
      routes: (router) => {
        router.service(NormalizerService, {
          normalize: async (_req, context) => {
            this.calls++;
            await this.behaviour?.(context);
            return create(NormalizeResponseSchema, { alerts: [] });
          },
        });
        router.service(Health, createHealthService(health));
      },
    });
    const serve = (req: Http2ServerRequest, res: Http2ServerResponse) => {
      if (this.refuseNext > 0) {
        this.refuseNext--;
        req.stream.close(h2.NGHTTP2_REFUSED_STREAM);
        return;
      }
      handler(req, res);
    };
    const server = this.tls ? createSecureServer(this.tls, serve) : createServer(serve);
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
    server.on("session", (session) => {
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
      session.on("error", () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /**
   * Dies as a killed process does: the port closes and every connection is
   * cut at the socket, with no GOAWAY or stream reset.
   */
  kill(): void {
    this.#server?.close();
    this.#server = undefined;
    for (const socket of this.#sockets) {
      socket.destroy();
    }
  }

  /**
   * Shuts down as the apps do on SIGTERM: health NOT_SERVING, no new
   * connections, GOAWAY on open ones, in-flight calls finish. Resolves once
   * every connection has closed.
   */
  async drain(): Promise<void> {
    this.health.drain();
    const server = this.#server;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) =>
      server ? server.close(() => resolve()) : resolve(),
    );
    for (const session of this.#sessions) {
      session.close();
    }
    await closed;
  }
}
