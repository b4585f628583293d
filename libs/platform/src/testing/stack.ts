import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { storageEnv } from "./backends.js";
import { freePort, randomToken, startApp, type ListeningApp } from "./processes.js";

/** The apps of a stack started by `startStack`, each its own process. */
export interface Stack {
  readonly edge: ListeningApp;
  /** One edge per auth replica, `edges[i]` calling `auth[i]`; `edge` is `edges[0]`. */
  readonly edges: readonly ListeningApp[];
  readonly auth: readonly ListeningApp[];
  readonly incident: ListeningApp;
  readonly normalizers: Readonly<Record<string, ListeningApp>>;
  readonly token: string;
  /** The MongoDB database the stack uses; empty when embedded. */
  readonly mongoUrl: string;
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
  /** Normalizer apps to start (`custom`, `datadog`, …). */
  readonly normalizers?: readonly string[];
  /** How many auth replicas to run, each behind its own edge, sharing Redis and MongoDB. */
  readonly authReplicas?: number;
  readonly env?: Record<string, string>;
  /**
   * Run without MongoDB and Redis: the embedded SQLite store in a fresh
   * data directory and in-memory rate limits, as `npm start` does by default.
   */
  readonly embedded?: boolean;
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
        RUNFRAME_SECRET_KEY: storageEnv()["RUNFRAME_SECRET_KEY"]!,
      }
    : storageEnv();
  const common = {
    ...storage,
    RUNFRAME_INTERNAL_TOKEN: token,
    RUNFRAME_BOOTSTRAP: bootstrapFile,
    ...options.env,
  };
  const started: ListeningApp[] = [];
  const start = async (name: string, env: Record<string, string> = {}) => {
    const app = await startApp(name, { ...common, ...env });
    started.push(app);
    return app;
  };
  try {
    // auth checks default services with incident, and incident verifies API
    // keys with auth: incident's address is fixed before auth starts.
    const incidentPort = await freePort();
    const incidentUrl = { RUNFRAME_INCIDENT_URL: `http://127.0.0.1:${incidentPort}` };
    const auth = [await start("auth", incidentUrl)];
    for (let i = 1; i < (options.authReplicas ?? 1); i++) {
      auth.push(await start("auth", incidentUrl));
    }
    const incident = await start("incident", {
      RUNFRAME_AUTH_URL: auth[0]!.url,
      PORT: String(incidentPort),
    });
    const normalizers: Record<string, ListeningApp> = {};
    for (const provider of options.normalizers ?? ["custom"]) {
      normalizers[provider] = await start(`normalizer-${provider}`);
    }
    const normalizerUrls = Object.fromEntries(
      Object.entries(normalizers).map(([p, app]) => [
        `RUNFRAME_NORMALIZER_${p.toUpperCase()}_URL`,
        app.url,
      ]),
    );
    const edges: ListeningApp[] = [];
    for (const replica of auth) {
      edges.push(
        await start("edge", {
          RUNFRAME_AUTH_URL: replica.url,
          RUNFRAME_INCIDENT_URL: incident.url,
          ...normalizerUrls,
        }),
      );
    }
    const edge = edges[0]!;
    return {
      edge,
      edges,
      auth,
      incident,
      normalizers,
      token,
      mongoUrl: storage["MONGO_URL"]!,
      webhook: (routingKey, body, headers = {}) =>
        fetch(`${edge.url}/webhooks/${routingKey}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
        }),
      async stop() {
        await Promise.all(started.map((app) => app.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((app) => app.stop("SIGKILL")));
    throw error;
  }
}
