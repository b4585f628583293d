import type { IntegrationRepository, RateLimiter } from "@runframe/auth-domain";
import {
  InMemoryRateLimiter,
  MongoIntegrationRepository,
  RedisRateLimiter,
  SqliteIntegrationRepository,
} from "@runframe/auth-data";
import type { Logger, ReadinessCheck } from "@runframe/platform";
import { connectMongo, connectRedis, openSqlite } from "@runframe/storage";

/** MongoDB when MONGO_URL is set, else the embedded SQLite file. */
export async function openStorage(
  config: { MONGO_URL: string | undefined; RUNFRAME_DATA_DIR: string },
  logger: Logger,
): Promise<{ repo: IntegrationRepository; readiness: ReadinessCheck; close(): Promise<void> }> {
  if (config.MONGO_URL) {
    const mongo = await connectMongo(config.MONGO_URL);
    const repo = new MongoIntegrationRepository(mongo.db);
    await repo.init();
    return {
      repo,
      readiness: { name: "mongodb", check: async () => void (await mongo.db.command({ ping: 1 })) },
      close: () => mongo.client.close(),
    };
  }
  const db = openSqlite(config.RUNFRAME_DATA_DIR);
  logger.info({ file: db.name }, "MONGO_URL is not set: using the embedded SQLite store");
  return {
    repo: new SqliteIntegrationRepository(db),
    readiness: { name: "sqlite", check: async () => void db.prepare("SELECT 1").get() },
    close: async () => void db.close(),
  };
}

/** Redis when REDIS_URL or REDIS_CLUSTER_NODES is set, else memory (one process only). */
export function openLimiter(
  config: { REDIS_URL: string | undefined; REDIS_CLUSTER_NODES: string | undefined },
  logger: Logger,
): { limiter: RateLimiter; system: "redis" | "memory"; readiness?: ReadinessCheck; close(): void } {
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) {
    let lastWarning = 0;
    const redis = connectRedis({
      ...(config.REDIS_URL && { url: config.REDIS_URL }),
      ...(config.REDIS_CLUSTER_NODES && { clusterNodes: config.REDIS_CLUSTER_NODES }),
      onError: (error) => {
        // Reconnection attempts fail every second during an outage: one line every 10 s.
        if (Date.now() - lastWarning >= 10_000) {
          lastWarning = Date.now();
          logger.warn({ err: error }, "Redis unreachable: webhooks answer 503 until it returns");
        }
      },
    });
    return {
      limiter: new RedisRateLimiter(redis),
      system: "redis",
      readiness: { name: "redis", check: async () => void (await redis.ping()) },
      close: () => redis.disconnect(),
    };
  }
  logger.warn(
    "REDIS_URL is not set: rate limits are counted in this process only; run a single auth replica or set REDIS_URL",
  );
  return { limiter: new InMemoryRateLimiter(), system: "memory", close: () => undefined };
}
