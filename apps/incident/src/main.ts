/**
 * incident: stores deduplicated incidents and serves the team API.
 */
import { IncidentService } from "@runframe/contracts";
import { createObservability, loadConfig, runMain, serve, serverSpecs } from "@runframe/platform";

runMain(async () => {
  const config = loadConfig(process.env, serverSpecs(7002));
  const { logger, metrics } = createObservability("incident", config.LOG_LEVEL);
  return serve({
    config,
    logger,
    metrics,
    // Ingest is internal; the team RPCs take organization API keys (#3).
    internal: [IncidentService.method.ingest],
    routes(router) {
      router.service(IncidentService, {});
    },
  });
});
