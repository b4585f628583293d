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
import { ValidationError, type Normalize } from "@runframe/util";
import { Counter } from "prom-client";
import { createObservability, serve, type ServeOptions } from "./app.js";
import { settleBatch } from "./batch.js";
import { serverSpecs } from "./config.js";
import type { Logger } from "./logger.js";
import { LabelCache, type Metrics } from "./metrics.js";
import type { RunningServer } from "./server.js";
import type { TracingSettings } from "./tracing.js";

/**
 * The NormalizerService of one provider around its pure `normalize`. Every
 * normalizer app is this plus its provider's function. Payloads it refuses
 * are counted in `runframe_normalizer_refusals_total` by provider and
 * reason (see refusalReason).
 */
export function normalizerService(
  normalize: Normalize,
  observability: { logger: Logger; metrics: Metrics; provider: ProviderName },
): Partial<ServiceImpl<typeof NormalizerService>> {
  const refusals = new Counter({
    name: "runframe_normalizer_refusals_total",
    help: "Payloads refused as invalid (400 to the sender), by provider and reason: the top-level field of the first violation (body when the payload is not JSON at all).",
    labelNames: ["provider", "reason"] as const,
    registers: [observability.metrics.registry],
  });
  const refusalsOf = new LabelCache((reason) => refusals.labels(observability.provider, reason));
  const one = (req: NormalizeRequest) => {
    try {
      return create(NormalizeResponseSchema, {
        alerts: normalize({
          integration: req.integration ?? create(IntegrationSchema),
          headers: req.headers,
          body: req.body,
          receiveTime: req.receiveTime ? timestampDate(req.receiveTime) : new Date(),
        }),
      });
    } catch (error) {
      if (error instanceof ValidationError) {
        refusalsOf.get(refusalReason(error)).inc();
      }
      throw error;
    }
  };
  return {
    normalize: one,
    normalizeBatch: async (req) => ({
      results: await settleBatch(req, async (item) => one(item), {
        logger: observability.logger,
        metrics: observability.metrics,
        method: NormalizerService.method.normalize,
      }),
    }),
  };
}

/**
 * The reason a payload was refused, as a metric label from a closed set:
 * the top-level name of its first bad field (`alerts[3].labels.x` →
 * `alerts`, `metadata.k` → `metadata`), so keys a sender chose never become
 * label values.
 */
export function refusalReason(error: ValidationError): string {
  const top = /^[A-Za-z_][A-Za-z0-9_]{0,63}/.exec(error.violations[0]?.field ?? "")?.[0];
  return top ?? "other";
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
      router.service(
        NormalizerService,
        normalizerService(normalize, { logger, metrics, provider: name }),
      );
    },
  });
}
