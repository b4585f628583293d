import { timestampDate } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  IntegrationSchema,
  NormalizeResponseSchema,
  NormalizerService,
  type NormalizeRequest,
} from "@runframe/contracts";
import { provider, type ProviderName } from "@runframe/providers";
import type { Normalize } from "@runframe/util";
import { createObservability, serve, type ServeOptions } from "./app.js";
import { settleBatch } from "./batch.js";
import { serverSpecs } from "./config.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import type { RunningServer } from "./server.js";
import type { TracingSettings } from "./tracing.js";

/**
 * The NormalizerService of one provider around its pure `normalize`. Every
 * normalizer app is this plus its provider's function.
 */
export function normalizerService(
  normalize: Normalize,
  observability: { logger: Logger; metrics: Metrics },
): Partial<ServiceImpl<typeof NormalizerService>> {
  const one = (req: NormalizeRequest) =>
    create(NormalizeResponseSchema, {
      alerts: normalize({
        integration: req.integration ?? create(IntegrationSchema),
        headers: req.headers,
        body: req.body,
        receiveTime: req.receiveTime ? timestampDate(req.receiveTime) : new Date(),
      }),
    });
  return {
    normalize: one,
    normalizeBatch: async (req) => ({
      results: await settleBatch(req, async (item) => one(item), {
        ...observability,
        method: NormalizerService.method.normalize,
      }),
    }),
  };
}

/**
 * The settings of a normalizer app: a standard RPC server on its
 * provider's default port (provider registry). An app with settings of its
 * own adds them to these.
 */
export function normalizerSpecs(name: ProviderName) {
  return serverSpecs(provider(name).defaultPort);
}

/**
 * The whole composition root of a normalizer app, once its settings are
 * loaded: every provider's app is this with its own name and `normalize`.
 */
export async function serveNormalizer(
  name: ProviderName,
  config: ServeOptions["config"] & TracingSettings & { readonly LOG_LEVEL: string },
  normalize: Normalize,
): Promise<RunningServer> {
  const { logger, metrics } = await createObservability(provider(name).app, config);
  return serve({
    config,
    logger,
    metrics,
    internal: [NormalizerService],
    routes(router) {
      router.service(NormalizerService, normalizerService(normalize, { logger, metrics }));
    },
  });
}
