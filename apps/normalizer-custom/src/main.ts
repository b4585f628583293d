/**
 * normalizer-custom: turns custom payloads into normalized alerts.
 */
import { NormalizerService } from "@runframe/contracts";
import { normalizeCustom } from "@runframe/normalizers-custom";
import {
  createObservability,
  loadConfig,
  normalizerService,
  runMain,
  serve,
  serverSpecs,
} from "@runframe/platform";

runMain(async () => {
  const config = loadConfig(process.env, serverSpecs(7101));
  const { logger, metrics } = createObservability("normalizer-custom", config.LOG_LEVEL);
  return serve({
    config,
    logger,
    metrics,
    internal: [NormalizerService],
    routes(router) {
      router.service(NormalizerService, normalizerService(normalizeCustom));
    },
  });
});
