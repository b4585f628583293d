import { Cluster, Redis } from "ioredis";
import { MongoClient, type Db } from "mongodb";

/** The database named in the URL's path, or `runframe`. */
export async function connectMongo(url: string): Promise<{ client: MongoClient; db: Db }> {
  const client = await MongoClient.connect(url, {
    serverSelectionTimeoutMS: 10_000,
    appName: "runframe-ingest",
  });
  const name = new URL(url).pathname.replace(/^\//, "");
  return { client, db: client.db(name || "runframe") };
}

/**
 * A Redis client, or a Redis Cluster client when `clusterNodes` lists
 * `host:port` seeds. Commands fail fast (no offline queue beyond a few
 * retries) so a Redis outage becomes a 503 rather than a pile of hung
 * webhooks.
 */
export function connectRedis(options: { url?: string; clusterNodes?: string }): Redis | Cluster {
  const common = { maxRetriesPerRequest: 2, enableOfflineQueue: true, connectTimeout: 5_000 };
  if (options.clusterNodes) {
    const nodes = options.clusterNodes.split(",").map((node) => {
      const [host, port] = node.trim().split(":");
      return { host: host ?? "127.0.0.1", port: Number(port ?? 6379) };
    });
    return new Cluster(nodes, { redisOptions: common });
  }
  return new Redis(options.url ?? "redis://127.0.0.1:6379", common);
}
