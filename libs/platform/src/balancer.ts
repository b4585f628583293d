import { Code, ConnectError } from "@connectrpc/connect";
import { Http2SessionManager, type Http2SessionOptions } from "@connectrpc/connect-node";
import { lookup } from "node:dns/promises";
import type {
  ClientHttp2Stream,
  ClientSessionRequestOptions,
  OutgoingHttpHeaders,
} from "node:http2";
import { constants as h2 } from "node:http2";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import type { Logger } from "./logger.js";

/** Turns a host name into the addresses to connect to (IPv4 or IPv6 literals). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

/**
 * The system resolver (getaddrinfo, so /etc/hosts, Docker's embedded DNS and
 * Kubernetes cluster DNS all apply): every address of the name.
 */
export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true })).map((a) => a.address);

/**
 * Splits a service URL setting (one URL or a comma-separated list) into URLs.
 * Every entry must be http(s), and all must share scheme and path so that one
 * Connect transport can address any of them.
 */
export function parseServiceUrls(value: string): URL[] {
  const entries = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (entries.length === 0) {
    throw new Error("must be an http(s) URL or a comma-separated list of them");
  }
  const urls = entries.map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`must be an http(s) URL, got "${entry}"`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`must be an http(s) URL, got "${entry}"`);
    }
    if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
      throw new Error(`must be a plain base URL without query, fragment or credentials`);
    }
    return url;
  });
  const first = urls[0]!;
  for (const url of urls) {
    if (url.protocol !== first.protocol || trimPath(url) !== trimPath(first)) {
      throw new Error("every URL of a list must have the same scheme and path");
    }
  }
  return urls;
}

function trimPath(url: URL): string {
  return url.pathname.replace(/\/+$/, "");
}

export interface BalancerOptions {
  /** One URL or a comma-separated list of URLs of the same service. */
  readonly urls: string;
  /** Used for every entry whose host is a name; the default is the system resolver. */
  readonly resolver?: Resolver;
  /** How often host names are resolved again (0: only after connection failures). */
  readonly resolveIntervalMs?: number;
  /** Resolution after a connection failure happens at most this often. */
  readonly minResolveIntervalMs?: number;
  /** A TCP (and TLS) handshake that takes longer counts as a connection failure. */
  readonly connectTimeoutMs?: number;
  /** Delay before the first probe of an ejected endpoint; doubles per failure. */
  readonly backoffInitialMs?: number;
  /** Longest delay between probes of an ejected endpoint. */
  readonly backoffMaxMs?: number;
  /** How often endpoints in rotation are probed (0: never; failures still eject). */
  readonly healthCheckIntervalMs?: number;
  /** Keep-alive settings of every endpoint's HTTP/2 session. */
  readonly session?: Http2SessionOptions;
  /**
   * For https URLs: trust and client certificates (mTLS). The server name
   * checked is the URL's host name, whichever address is dialled.
   */
  readonly tls?: Pick<ConnectionOptions, "ca" | "cert" | "key">;
  /**
   * Checks one endpoint: resolves when it can serve, rejects otherwise.
   * Without it an endpoint counts as healthy when a connection opens.
   */
  readonly probe?: (endpoint: BalancedEndpoint) => Promise<void>;
  /** Endpoint changes (ejected, restored, resolved) are logged here. */
  readonly logger?: Logger;
  /** The service's name in logs and errors, such as "auth". */
  readonly name?: string;
}

/** One address of the service, as the balancer sees it. */
export interface BalancedEndpoint {
  /** `address:port` (IPv6 in brackets). */
  readonly address: string;
  /** The configured URL this address came from; the HTTP/2 `:authority` is its host. */
  readonly url: URL;
  /** The HTTP/2 session of this address alone, for probes. */
  readonly manager: Http2SessionManager;
}

/** What `endpoints()` and `checkHealth()` report of one endpoint. */
export interface EndpointStatus {
  readonly address: string;
  readonly healthy: boolean;
  /** Why it was last ejected, while it is. */
  readonly reason?: string;
}

const DEFAULTS = {
  resolveIntervalMs: 30_000,
  minResolveIntervalMs: 1_000,
  connectTimeoutMs: 3_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 30_000,
  healthCheckIntervalMs: 10_000,
};

/** Node's codes for a connection that could not be opened or was lost. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_PING_CANCEL",
  "ERR_HTTP2_ERROR",
]);

/** Node stream errors of streams the server refused unprocessed (tagged as they happen). */
const refusedStreamErrors = new WeakSet<object>();

/**
 * True when `error` comes from a stream the server reset with REFUSED_STREAM,
 * or that a GOAWAY cut off (its id was above the server's last processed
 * stream): HTTP/2 guarantees the server did not process it, so a unary call
 * may be sent again (RFC 9113 §8.7).
 */
export function wasRefusedUnprocessed(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (refusedStreamErrors.has(e)) {
      return true;
    }
    e = e.cause;
  }
  return false;
}

class Endpoint implements BalancedEndpoint {
  readonly manager: Http2SessionManager;
  healthy = true;
  failures = 0;
  reason: string | undefined;
  probeTimer: NodeJS.Timeout | undefined;
  probing: Promise<boolean> | undefined;
  removed = false;

  constructor(
    readonly address: string,
    readonly url: URL,
    readonly host: string,
    port: number,
    options: BalancerOptions,
  ) {
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const tls = url.protocol === "https:";
    const servername = isIP(url.hostname) === 0 ? url.hostname : undefined;
    this.manager = new Http2SessionManager(url, options.session, {
      // The session keeps the configured URL (its :authority and TLS name)
      // but connects to this one address.
      createConnection: () => {
        const socket: Socket = tls
          ? connectTls({
              ...options.tls,
              host,
              port,
              ALPNProtocols: ["h2"],
              ...(servername !== undefined && { servername }),
            })
          : connectTcp({ host, port });
        socket.setTimeout(connectTimeoutMs, () => {
          socket.destroy(
            Object.assign(new Error(`connect ETIMEDOUT ${address} after ${connectTimeoutMs} ms`), {
              code: "ETIMEDOUT",
            }),
          );
        });
        socket.once(tls ? "secureConnect" : "connect", () => socket.setTimeout(0));
        return socket;
      },
    });
  }
}

/** One resolved address and the configured URL it belongs to. */
interface Found {
  readonly target: Target;
  readonly host: string;
}

interface Target {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  readonly literal: boolean;
}

/**
 * Client-side load balancing over HTTP/2 for one service, in the shape of
 * connect-node's Http2SessionManager so that one Connect transport spreads
 * its calls over every replica. See docs/load-balancing.md for how this
 * compares with gRPC's `dns:///` resolver and `round_robin` policy.
 *
 * - Endpoints: every address of every configured URL (IP literals as they
 *   are, host names through the resolver), one HTTP/2 session each.
 * - Policy: round-robin over the endpoints in rotation. When none is (every
 *   one was ejected), the ejected ones are tried anyway, so a stale ejection
 *   never turns a working replica away.
 * - Ejection: a connection that cannot be opened (refused, unreachable,
 *   handshake timeout) or a failed probe takes the endpoint out of rotation;
 *   it is probed again after 1 s, 2 s, 4 s … (at most 30 s) and comes back
 *   as soon as a probe succeeds.
 * - Resolution: host names are resolved again every 30 s and after a
 *   connection failure (at most once a second); addresses that disappear get
 *   no new calls and their sessions close once their calls finish; a failed
 *   lookup keeps the previous addresses.
 * - Retries: a call whose connection could not be opened is sent to the next
 *   endpoint. Nothing of it was written, so this is always safe. Anything
 *   after a stream exists is the caller's business (see
 *   `wasRefusedUnprocessed` for the one case HTTP/2 proves safe).
 */
export class BalancedSessionManager extends Http2SessionManager {
  /** The first configured URL: the base URL for a transport over this manager. */
  readonly baseUrl: string;
  readonly #options: BalancerOptions;
  readonly #name: string;
  readonly #targets: readonly Target[];
  readonly #resolver: Resolver;
  #endpoints: Endpoint[] = [];
  #cursor = 0;
  readonly #owners = new WeakMap<ClientHttp2Stream, Endpoint>();
  #resolving: Promise<void> | undefined;
  #resolvedAt = 0;
  readonly #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(options: BalancerOptions) {
    const urls = parseServiceUrls(options.urls);
    super(urls[0]!);
    this.baseUrl = urls[0]!.href.replace(/\/+$/, "");
    this.#options = options;
    this.#name = options.name ?? this.authority;
    this.#resolver = options.resolver ?? systemResolver;
    this.#targets = urls.map((url) => {
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      return {
        url,
        host,
        port: Number(url.port || (url.protocol === "https:" ? 443 : 80)),
        literal: isIP(host) !== 0,
      };
    });
    if (this.#targets.every((t) => t.literal)) {
      this.#apply(
        new Map(
          this.#targets.map((t) => [endpointKey(t.host, t.port), { target: t, host: t.host }]),
        ),
      );
    } else {
      void this.#resolve();
      const every = options.resolveIntervalMs ?? DEFAULTS.resolveIntervalMs;
      if (every > 0) {
        this.#timers.push(setInterval(() => void this.#resolve(), every).unref());
      }
    }
    const healthEvery = options.healthCheckIntervalMs ?? DEFAULTS.healthCheckIntervalMs;
    if (healthEvery > 0) {
      this.#timers.push(
        setInterval(() => {
          for (const endpoint of this.#endpoints) {
            if (endpoint.healthy) {
              void this.#probe(endpoint);
            }
          }
        }, healthEvery).unref(),
      );
    }
  }

  /**
   * Opens a stream on the next endpoint in rotation. When an endpoint cannot
   * be connected to, it is ejected and the next one is tried: no byte of the
   * request has been written at that point.
   */
  override async request(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    options: Omit<ClientSessionRequestOptions, "signal">,
  ): Promise<ClientHttp2Stream> {
    if (this.#endpoints.length === 0 && this.#resolutionDue()) {
      await this.#resolve();
    }
    let tried: Set<Endpoint> | undefined;
    let lastError: unknown;
    for (let endpoint = this.#pick(tried); endpoint; endpoint = this.#pick(tried)) {
      let stream: ClientHttp2Stream;
      try {
        stream = await endpoint.manager.request(method, path, headers, options);
      } catch (error) {
        if (!isConnectionFailure(endpoint.manager, error)) {
          throw error;
        }
        this.#eject(endpoint, error);
        (tried ??= new Set()).add(endpoint);
        lastError = error;
        continue;
      }
      if (!endpoint.healthy) {
        this.#restore(endpoint);
      }
      this.#owners.set(stream, endpoint);
      stream.on("error", onStreamError);
      return stream;
    }
    throw new ConnectError(
      this.#endpoints.length === 0
        ? `${this.#name}: no address known`
        : `${this.#name}: no endpoint reachable (${tried?.size ?? 0} tried)`,
      Code.Unavailable,
      undefined,
      undefined,
      lastError,
    );
  }

  override notifyResponseByteRead(stream: ClientHttp2Stream): void {
    this.#owners.get(stream)?.manager.notifyResponseByteRead(stream);
  }

  /** Probes every endpoint now and reports each one's state. */
  async checkHealth(): Promise<EndpointStatus[]> {
    if (this.#endpoints.length === 0) {
      await this.#resolve();
    }
    await Promise.all(this.#endpoints.map((endpoint) => this.#probe(endpoint)));
    return this.endpoints();
  }

  /** Every known endpoint and whether it is in rotation. */
  endpoints(): EndpointStatus[] {
    return this.#endpoints.map((e) => ({
      address: e.address,
      healthy: e.healthy,
      ...(e.reason !== undefined && { reason: e.reason }),
    }));
  }

  /** How many endpoints are in rotation (asked per batched call: no copies). */
  healthyCount(): number {
    let n = 0;
    for (const endpoint of this.#endpoints) {
      n += endpoint.healthy ? 1 : 0;
    }
    return n;
  }

  /** Closes every session and stops resolving and probing. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) {
      clearInterval(timer);
    }
    for (const endpoint of this.#endpoints) {
      this.#retire(endpoint);
    }
    this.#endpoints = [];
  }

  override abort(reason?: Error): void {
    for (const endpoint of this.#endpoints) {
      endpoint.manager.abort(reason);
    }
  }

  override async connect(): Promise<"open" | "idle" | "error"> {
    const healthy = (await this.checkHealth()).some((e) => e.healthy);
    return healthy ? "idle" : "error";
  }

  /** Round-robin over healthy endpoints; when none is healthy, over the rest. */
  #pick(tried: ReadonlySet<Endpoint> | undefined): Endpoint | undefined {
    const endpoints = this.#endpoints;
    const n = endpoints.length;
    let fallback = -1;
    for (let i = 0; i < n; i++) {
      const index = (this.#cursor + i) % n;
      const endpoint = endpoints[index]!;
      if (tried?.has(endpoint)) {
        continue;
      }
      if (endpoint.healthy) {
        this.#cursor = index + 1;
        return endpoint;
      }
      if (fallback < 0) {
        fallback = index;
      }
    }
    if (fallback < 0) {
      return undefined;
    }
    this.#cursor = fallback + 1;
    return endpoints[fallback];
  }

  #eject(endpoint: Endpoint, error: unknown): void {
    if (endpoint.removed) {
      return;
    }
    endpoint.reason = describe(error);
    if (endpoint.healthy) {
      endpoint.healthy = false;
      this.#options.logger?.warn(
        { service: this.#name, endpoint: endpoint.address, reason: endpoint.reason },
        "endpoint ejected",
      );
    }
    this.#scheduleProbe(endpoint);
    if (this.#resolutionDue()) {
      void this.#resolve();
    }
  }

  /** True while a resolution runs (join it) or the last began long enough ago. */
  #resolutionDue(): boolean {
    const minInterval = this.#options.minResolveIntervalMs ?? DEFAULTS.minResolveIntervalMs;
    return this.#resolving !== undefined || Date.now() - this.#resolvedAt >= minInterval;
  }

  #restore(endpoint: Endpoint): void {
    if (endpoint.removed) {
      return;
    }
    if (!endpoint.healthy) {
      this.#options.logger?.info(
        { service: this.#name, endpoint: endpoint.address },
        "endpoint restored",
      );
    }
    endpoint.healthy = true;
    endpoint.failures = 0;
    endpoint.reason = undefined;
    clearTimeout(endpoint.probeTimer);
    endpoint.probeTimer = undefined;
  }

  /**
   * Plans the next probe of an ejected endpoint, unless one is planned or
   * running: the back-off grows per failed probe, not per failed call, so a
   * burst of calls hitting a dead endpoint does not push its return out.
   */
  #scheduleProbe(endpoint: Endpoint): void {
    if (endpoint.probeTimer !== undefined || endpoint.probing !== undefined || this.#closed) {
      return;
    }
    endpoint.failures++;
    const initial = this.#options.backoffInitialMs ?? DEFAULTS.backoffInitialMs;
    const max = this.#options.backoffMaxMs ?? DEFAULTS.backoffMaxMs;
    const base = Math.min(max, initial * 2 ** Math.min(endpoint.failures - 1, 20));
    // ±20 % jitter, so clients that lost an endpoint together do not probe in step.
    const delay = base * (0.8 + Math.random() * 0.4);
    endpoint.probeTimer = setTimeout(() => {
      endpoint.probeTimer = undefined;
      void this.#probe(endpoint);
    }, delay).unref();
  }

  /** Probes one endpoint (one probe at a time each) and ejects or restores it. */
  #probe(endpoint: Endpoint): Promise<boolean> {
    endpoint.probing ??= this.#check(endpoint).then((error) => {
      endpoint.probing = undefined;
      if (error === undefined) {
        this.#restore(endpoint);
        return true;
      }
      this.#eject(endpoint, error);
      return false;
    });
    return endpoint.probing;
  }

  /** Resolves with undefined when the endpoint can serve, or with why not. */
  async #check(endpoint: Endpoint): Promise<unknown> {
    try {
      if (this.#options.probe) {
        await this.#options.probe(endpoint);
      } else if ((await endpoint.manager.connect()) === "error") {
        return endpoint.manager.error();
      }
      return undefined;
    } catch (error) {
      return error ?? new Error("probe failed");
    }
  }

  /** Resolves every host name (one resolution at a time) and applies the result. */
  #resolve(): Promise<void> {
    this.#resolving ??= this.#runResolve().finally(() => {
      this.#resolving = undefined;
    });
    return this.#resolving;
  }

  async #runResolve(): Promise<void> {
    this.#resolvedAt = Date.now();
    const found = new Map<string, Found>();
    const results = await Promise.all(
      this.#targets.map(async (target) => {
        if (target.literal) {
          return { target, addresses: [target.host] };
        }
        try {
          return { target, addresses: await this.#resolver(target.host) };
        } catch (error) {
          this.#options.logger?.warn(
            { service: this.#name, host: target.host, err: error },
            "resolving a service host failed; keeping its previous addresses",
          );
          return { target, addresses: undefined };
        }
      }),
    );
    if (this.#closed) {
      return;
    }
    for (const { target, addresses } of results) {
      const previous = this.#endpoints.filter((e) => e.url === target.url);
      if (addresses === undefined || addresses.length === 0) {
        for (const endpoint of previous) {
          found.set(endpoint.address, { target, host: endpoint.host });
        }
        continue;
      }
      for (const host of addresses) {
        const key = endpointKey(host, target.port);
        if (!found.has(key)) {
          found.set(key, { target, host });
        }
      }
    }
    this.#apply(found);
  }

  /** Makes `found` (by address) the endpoint set, keeping the sessions of known ones. */
  #apply(found: ReadonlyMap<string, Found>): void {
    const current = new Map(this.#endpoints.map((e) => [e.address, e]));
    const next: Endpoint[] = [];
    let added = 0;
    for (const [address, { target, host }] of found) {
      const existing = current.get(address);
      if (existing) {
        next.push(existing);
        current.delete(address);
      } else {
        next.push(new Endpoint(address, target.url, host, target.port, this.#options));
        added++;
      }
    }
    for (const gone of current.values()) {
      this.#retire(gone);
    }
    if (added + current.size > 0) {
      this.#options.logger?.info(
        { service: this.#name, endpoints: next.map((e) => e.address) },
        "service endpoints changed",
      );
    }
    this.#endpoints = next;
  }

  /** Stops using an endpoint; its session closes once its calls are done. */
  #retire(endpoint: Endpoint): void {
    endpoint.removed = true;
    clearTimeout(endpoint.probeTimer);
    const closeWhenIdle = () => {
      if (endpoint.manager.state() === "open") {
        setTimeout(closeWhenIdle, 1_000).unref();
      } else {
        endpoint.manager.abort();
      }
    };
    closeWhenIdle();
  }
}

function onStreamError(this: ClientHttp2Stream, error: Error): void {
  // Runs before connect-node turns the error into a ConnectError (which keeps
  // it as `cause`): remember that this stream was refused unprocessed.
  if (this.rstCode === h2.NGHTTP2_REFUSED_STREAM) {
    refusedStreamErrors.add(error);
  }
}

/** A connection-level failure of `manager`, as opposed to a bad request. */
function isConnectionFailure(manager: Http2SessionManager, error: unknown): boolean {
  if (manager.state() === "error") {
    return true;
  }
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && CONNECTION_CODES.has(code)) {
      return true;
    }
    e = e.cause;
  }
  return false;
}

function endpointKey(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function describe(error: unknown): string {
  if (error instanceof ConnectError) {
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    return cause ?? error.rawMessage;
  }
  return error instanceof Error ? error.message : String(error);
}
