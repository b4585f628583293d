import { timestampDate } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { IntegrationSchema, NormalizeResponseSchema, NormalizerService } from "@runframe/contracts";
import type { Normalize } from "@runframe/util";
import { createObservability, serve } from "./app.js";
import { loadConfig, serverSpecs } from "./config.js";
import { runMain } from "./main.js";

/**
 * The NormalizerService of one provider around its pure `normalize`. Every
 * normalizer app is this plus its provider's function.
 */
export function normalizerService(
  normalize: Normalize,
): Partial<ServiceImpl<typeof NormalizerService>> {
  return {
    normalize(req) {
      const alerts = normalize({
        integration: req.integration ?? create(IntegrationSchema),
        headers: req.headers,
        body: req.body,
        receiveTime: req.receiveTime ? timestampDate(req.receiveTime) : new Date(),
      });
      return create(NormalizeResponseSchema, { alerts });
    },
  };
}

/**
 * The whole composition root of a normalizer app: every provider's app is
 * this with its own name, default port and `normalize`.
 */
export function runNormalizerApp(options: {
  readonly provider: string;
  readonly defaultPort: number;
  readonly normalize: Normalize;
  readonly env: NodeJS.ProcessEnv;
}): void {
  runMain(async () => {
    const config = loadConfig(options.env, serverSpecs(options.defaultPort));
    const { logger, metrics } = createObservability(
      `normalizer-${options.provider}`,
      config.LOG_LEVEL,
    );
    return serve({
      config,
      logger,
      metrics,
      internal: [NormalizerService],
      routes(router) {
        router.service(NormalizerService, normalizerService(options.normalize));
      },
    });
  });
}
