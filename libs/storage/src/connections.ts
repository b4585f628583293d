import { Cluster, Redis } from "ioredis";
import { MongoClient, type Db } from "mongodb";

/** The database named in the URL's path, or `runframe`. */
export async function connectMongo(url: string): Promise<{ client: MongoClient; db: Db }> {
  const client = await MongoClient.connect(url, {
    serverSelectionTimeoutMS: 10_000,
    appName: "runframe-ingest",
    // A 2xx means stored: every write waits for a majority of the replica
    // set to have it in its journal (a URL's own w=/journal= still wins).
    writeConcern: { w: "majority", journal: true },
  });
  const name = new URL(url).pathname.replace(/^\//, "");
  return { client, db: client.db(name || "runframe") };
}

/**
 * A Redis client, or a Redis Cluster client when `clusterNodes` lists
 * `host:port` seeds. Commands fail fast so a Redis outage becomes a 503 at
 * once rather than a pile of hung webhooks: nothing is queued while the
 * connection is down, a command gets one retry and at most a second, and
 * the client reconnects in the background (every 100 ms, backing off to 1 s).
 * Connection errors go to `onError` (a structured log line), never to
 * stderr as unhandled error events.
 */
export function connectRedis(options: {
  url?: string;
  clusterNodes?: string;
  onError: (error: Error) => void;
}): Redis | Cluster {
  const common = {
    // Commands issued in the same tick share one write and one round trip:
    // a batch of webhooks checks its rate limits together.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
  };
  let client: Redis | Cluster;
  if (options.clusterNodes) {
    const nodes = options.clusterNodes.split(",").map((node) => {
      const [host, port] = node.trim().split(":");
      return { host: host ?? "127.0.0.1", port: Number(port ?? 6379) };
    });
    client = new Cluster(nodes, {
      redisOptions: common,
      enableOfflineQueue: false,
      clusterRetryStrategy: common.retryStrategy,
    });
  } else {
    client = new Redis(options.url ?? "redis://127.0.0.1:6379", common);
  }
  client.on("error", options.onError);
  return client;
}
