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
import { createObservability, runMain, serve } from "@runframe/platform";
import { parseBootstrap } from "@runframe/util";
import { readFile } from "node:fs/promises";
import { authMetrics, instrumentLimiter } from "./observability.js";
import { AUTH_INTERNAL, authRoutes, authTeamApiKeys } from "./routes.js";
import { settings } from "./settings.js";
import { createSnsSupport } from "./sns.js";
import { remoteServiceCatalog } from "./services.js";
import { openLimiter, openStorage } from "./storage.js";

runMain(settings, async (config) => {
  const { logger, metrics } = await createObservability("auth", config);
  const secrets = new SecretBox(config.RUNFRAME_SECRET_KEY);

  const storage = await openStorage(config, logger);
  const repo = storage.repo;
  if (config.RUNFRAME_BOOTSTRAP) {
    const bootstrap = parseBootstrap(await readFile(config.RUNFRAME_BOOTSTRAP, "utf8"));
    const applied = await applyProvisioning(bootstrap, repo, secrets);
    logger.info({ file: config.RUNFRAME_BOOTSTRAP, ...applied }, "provisioning applied");
  }

  const limits = openLimiter(config, logger);
  const authenticator = new Authenticator({
    integrations: repo,
    limiter: instrumentLimiter(limits.limiter, metrics.registry, limits.system),
    secrets,
    dryRunLimitPerMinute: config.RUNFRAME_DRY_RUN_LIMIT_PER_MINUTE,
    sns: createSnsSupport(config.RUNFRAME_SNS_CERT_URL_PATTERN, logger),
    events: authMetrics(metrics.registry),
  });
  const integrations = new Integrations(
    repo,
    secrets,
    remoteServiceCatalog({
      baseUrl: config.RUNFRAME_INCIDENT_URL,
      token: config.RUNFRAME_INTERNAL_TOKEN,
      protocol: config.RUNFRAME_RPC_PROTOCOL,
      balancing: {
        name: "incident",
        logger,
        resolveIntervalMs: config.RUNFRAME_RESOLVE_INTERVAL_MS,
      },
    }),
    (hash) => authenticator.invalidate(hash),
  );
  const apiKeys = new ApiKeys(repo);

  const server = await serve({
    config,
    logger,
    metrics,
    reflection: true,
    internal: AUTH_INTERNAL,
    interceptors: [authTeamApiKeys(apiKeys)],
    routes: authRoutes({ authenticator, integrations, apiKeys, logger, metrics }),
    readiness: [storage.readiness, ...(limits.readiness ? [limits.readiness] : [])],
  });
  return {
    async close() {
      await server.close();
      await storage.close();
      limits.close();
    },
  };
});
