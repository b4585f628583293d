/**
 * A test app for graceful shutdown: a NormalizerService whose Normalize
 * answers after the number of milliseconds given in the `x-delay-ms` header.
 * Started as its own process by server.e2e.test.ts.
 */
import { create } from "@bufbuild/protobuf";
import { NormalizeResponseSchema, NormalizerService } from "@runframe/contracts";
import { setTimeout as sleep } from "node:timers/promises";
import { createObservability } from "../app.js";
import { serverSpecs } from "../config.js";
import { runMain } from "../main.js";
import { serve } from "../app.js";

runMain(serverSpecs(0), async (config) => {
  const { logger, metrics } = await createObservability("slow-app", config);
  return serve({
    config,
    logger,
    metrics,
    internal: [NormalizerService],
    routes(router) {
      router.service(NormalizerService, {
        async normalize(_req, context) {
          await sleep(Number(context.requestHeader.get("x-delay-ms") ?? 0));
          return create(NormalizeResponseSchema, { alerts: [] });
        },
      });
    },
  });
});
