import { randomBytes, randomInt } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { provider, type ProviderName } from "@runframe/providers";
import { storageEnv } from "./backends.js";
import { freePort, randomToken, startApp, type ListeningApp } from "./processes.js";

/** The apps of a stack started by `startStack`, each its own process. */
export interface Stack {
  /** The first edge, which `webhook()` posts to. */
  readonly edge: ListeningApp;
  readonly edges: readonly ListeningApp[];
  readonly auth: readonly ListeningApp[];
  /** The first incident replica. */
  readonly incident: ListeningApp;
  readonly incidents: readonly ListeningApp[];
  /** The first replica of each normalizer, by provider. */
  readonly normalizers: Readonly<Record<string, ListeningApp>>;
  /** Every replica of each normalizer, by provider. */
  readonly normalizerReplicas: Readonly<Record<string, readonly ListeningApp[]>>;
  readonly token: string;
  /** The MongoDB database the stack uses; empty when embedded. */
  readonly mongoUrl: string;
  /** The embedded store's data directory; empty when on MongoDB. */
  readonly dataDir: string;
  /**
   * Starts `app` (stopped or killed) again with its settings on its port,
   * as an orchestrator restarts a crashed container.
   */
  restart(app: ListeningApp): Promise<ListeningApp>;
  /** `POST /webhooks/{routingKey}` on the edge. */
  webhook(
    routingKey: string,
    body: string | Uint8Array,
    headers?: Record<string, string>,
  ): Promise<Response>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** The provisioning file applied at start. */
  readonly bootstrap: unknown;
  /** Normalizer apps to start, by provider (`custom`, `datadog`, …). */
  readonly normalizers?: readonly ProviderName[];
  /**
   * How many processes of each app to run (default one each). Every service
   * URL setting lists all replicas of its service, so each client balances
   * over them; auth and incident replicas share Redis and MongoDB.
   */
  readonly replicas?: Replicas;
  readonly env?: Record<string, string>;
  /**
   * Run without MongoDB and Redis: the embedded SQLite store in a fresh
   * data directory and in-memory rate limits, as `npm start` does by default.
   */
  readonly embedded?: boolean;
}

/** Replica counts; `normalizers` is one count for all or a count per provider. */
export interface Replicas {
  readonly edge?: number;
  readonly auth?: number;
  readonly incident?: number;
  readonly normalizers?: number | Readonly<Record<string, number>>;
}

/**
 * Starts edge, auth, incident and the requested normalizers as separate
 * processes on free ports, against the test Redis and a fresh MongoDB
 * database, with `bootstrap` provisioned.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), "runframe-stack-"));
  const bootstrapFile = join(dir, "bootstrap.json");
  await writeFile(bootstrapFile, JSON.stringify(options.bootstrap));
  const token = randomToken();
  const storage = options.embedded
    ? {
        MONGO_URL: "",
        REDIS_URL: "",
        RUNFRAME_DATA_DIR: join(dir, "data"),
        RUNFRAME_SECRET_KEY: randomBytes(32).toString("base64"),
      }
    : storageEnv();
  const common = {
    ...storage,
    RUNFRAME_INTERNAL_TOKEN: token,
    RUNFRAME_BOOTSTRAP: bootstrapFile,
    // The test client stands behind a trusted proxy (loopback) with an
    // address of this stack's own, so the per-source limits on failed
    // attempts in the shared Redis are not shared between test files.
    RUNFRAME_TRUSTED_PROXIES: "127.0.0.0/8,::1/128",
    ...options.env,
  };
  const sourceAddress = `10.${randomInt(256)}.${randomInt(256)}.${1 + randomInt(254)}`;
  const started: ListeningApp[] = [];
  const starting: Promise<unknown>[] = [];
  const launched = new Map<ListeningApp, { name: string; env: Record<string, string> }>();
  const start = async (name: string, env: Record<string, string> = {}) => {
    const pending = startApp(name, { ...common, ...env });
    starting.push(pending);
    const app = await pending;
    started.push(app);
    launched.set(app, { name, env });
    return app;
  };
  // The first replica of auth and of incident applies the provisioning file
  // alone; the others start together once it is in place.
  const replicated = async (
    name: string,
    count: number,
    env: (replica: number) => Record<string, string>,
  ) => {
    const first = await start(name, env(0));
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, i) => start(name, env(i + 1))),
    );
    return [first, ...rest];
  };
  const replicas = options.replicas ?? {};
  const normalizerCount = (provider: string) =>
    typeof replicas.normalizers === "number"
      ? replicas.normalizers
      : (replicas.normalizers?.[provider] ?? 1);
  const list = (apps: readonly ListeningApp[]) => apps.map((a) => a.url).join(",");
  try {
    // auth checks default services with incident, and incident verifies API
    // keys with auth: incident's addresses are fixed before auth starts.
    const incidentPorts = await Promise.all(
      Array.from({ length: replicas.incident ?? 1 }, () => freePort()),
    );
    const incidentUrls = incidentPorts.map((port) => `http://127.0.0.1:${port}`).join(",");
    const providers = options.normalizers ?? ["custom"];
    const [auth, normalizerApps] = await Promise.all([
      replicated("auth", replicas.auth ?? 1, () => ({ RUNFRAME_INCIDENT_URL: incidentUrls })),
      Promise.all(
        providers.map((p) =>
          Promise.all(Array.from({ length: normalizerCount(p) }, () => start(provider(p).app))),
        ),
      ),
    ]);
    const normalizerReplicas = Object.fromEntries(
      providers.map((p, i) => [p, normalizerApps[i]!] as const),
    );
    const normalizerUrls = Object.fromEntries(
      providers.map((p) => [provider(p).urlSetting, list(normalizerReplicas[p]!)]),
    );
    // incident normalizes the stored deliveries it replays.
    const incidents = await replicated("incident", incidentPorts.length, (i) => ({
      RUNFRAME_AUTH_URL: list(auth),
      PORT: String(incidentPorts[i]),
      ...normalizerUrls,
    }));
    const edges = await Promise.all(
      Array.from({ length: replicas.edge ?? 1 }, () =>
        start("edge", {
          RUNFRAME_AUTH_URL: list(auth),
          RUNFRAME_INCIDENT_URL: list(incidents),
          ...normalizerUrls,
        }),
      ),
    );
    const edge = edges[0]!;
    return {
      edge,
      edges,
      auth,
      incident: incidents[0]!,
      incidents,
      normalizers: Object.fromEntries(
        Object.entries(normalizerReplicas).map(([p, apps]) => [p, apps[0]!]),
      ),
      normalizerReplicas,
      token,
      mongoUrl: storage["MONGO_URL"]!,
      dataDir: storage["RUNFRAME_DATA_DIR"] ?? "",
      webhook: (routingKey, body, headers = {}) =>
        fetch(`${edge.url}/webhooks/${routingKey}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-forwarded-for": sourceAddress,
            ...headers,
          },
          body,
        }),
      async restart(app) {
        const { name, env } = launched.get(app)!;
        await app.stop("SIGKILL");
        return start(name, { ...env, PORT: new URL(app.url).port });
      },
      async stop() {
        await Promise.all(started.map((app) => app.stop()));
      },
    };
  } catch (error) {
    // Apps still starting when one failed are stopped too, once they are up.
    await Promise.allSettled(starting);
    await Promise.all(started.map((app) => app.stop("SIGKILL")));
    throw error;
  }
}
