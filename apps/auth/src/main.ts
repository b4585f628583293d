/**
 * auth: decides whether a webhook may proceed (routing key, signature,
 * replay window, rate limit) and manages integrations.
 */
import { AuthService, IntegrationService } from "@runframe/contracts";
import { createObservability, loadConfig, runMain, serve, serverSpecs } from "@runframe/platform";

runMain(async () => {
  const config = loadConfig(process.env, serverSpecs(7001));
  const { logger, metrics } = createObservability("auth", config.LOG_LEVEL);
  return serve({
    config,
    logger,
    metrics,
    internal: [AuthService],
    routes(router) {
      // Every method answers Unimplemented until issue #3 provides them.
      router.service(AuthService, {});
      router.service(IntegrationService, {});
    },
  });
});
