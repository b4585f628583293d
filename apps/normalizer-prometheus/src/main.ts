/**
 * normalizer-prometheus: turns prometheus payloads into normalized alerts.
 */
import { NormalizerService } from "@runframe/contracts";
import { createObservability, loadConfig, runMain, serve, serverSpecs } from "@runframe/platform";

runMain(async () => {
  const config = loadConfig(process.env, serverSpecs(7104));
  const { logger, metrics } = createObservability("normalizer-prometheus", config.LOG_LEVEL);
  return serve({
    config,
    logger,
    metrics,
    internal: [NormalizerService],
    routes(router) {
      router.service(NormalizerService, {});
    },
  });
});
