/**
 * auth: decides whether a webhook may proceed (routing key, signature,
 * replay window, rate limit) and manages integrations and API keys.
 */
import {
  ApiKeys,
  applyProvisioning,
  Authenticator,
  Integrations,
  SecretBox,
} from "@runframe/auth-domain";
import { MongoIntegrationRepository, RedisRateLimiter } from "@runframe/auth-data";
import { AuthService, IntegrationService } from "@runframe/contracts";
import { connectMongo, connectRedis } from "@runframe/storage";
import {
  apiKeyInterceptor,
  createObservability,
  loadConfig,
  runMain,
  serve,
  serverSpecs,
} from "@runframe/platform";
import { parseBootstrap } from "@runframe/util";
import { readFile } from "node:fs/promises";
import { authRoutes } from "./routes.js";
import { dataSpecs } from "./settings.js";

runMain(async () => {
  const config = loadConfig(process.env, { ...serverSpecs(7001), ...dataSpecs });
  const { logger, metrics } = createObservability("auth", config.LOG_LEVEL);
  const secrets = new SecretBox(config.RUNFRAME_SECRET_KEY);

  const mongo = await connectMongo(config.MONGO_URL);
  const repo = new MongoIntegrationRepository(mongo.db);
  await repo.init();
  if (config.RUNFRAME_BOOTSTRAP) {
    const bootstrap = parseBootstrap(await readFile(config.RUNFRAME_BOOTSTRAP, "utf8"));
    const applied = await applyProvisioning(bootstrap, repo, secrets);
    logger.info({ file: config.RUNFRAME_BOOTSTRAP, ...applied }, "provisioning applied");
  }

  const redis = connectRedis({ url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES });
  const authenticator = new Authenticator({
    integrations: repo,
    limiter: new RedisRateLimiter(redis),
    secrets,
  });
  const integrations = new Integrations(repo, secrets, (hash) => authenticator.invalidate(hash));
  const apiKeys = new ApiKeys(repo);

  const server = await serve({
    config,
    logger,
    metrics,
    internal: [AuthService],
    interceptors: [
      apiKeyInterceptor(
        async (secret) => {
          const key = await apiKeys.verify(secret);
          return { organizationId: key.organizationId, keyId: key.id };
        },
        [IntegrationService],
      ),
    ],
    routes: authRoutes({ authenticator, integrations, apiKeys }),
    readiness: [
      { name: "mongodb", check: async () => void (await mongo.db.command({ ping: 1 })) },
      { name: "redis", check: async () => void (await redis.ping()) },
    ],
  });
  return {
    async close() {
      await server.close();
      await mongo.client.close();
      redis.disconnect();
    },
  };
});
