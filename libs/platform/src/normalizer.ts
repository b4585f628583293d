import { timestampDate } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  IntegrationSchema,
  NormalizeResponseSchema,
  NormalizerService,
  type NormalizeRequest,
} from "@runframe/contracts";
import type { Normalize } from "@runframe/util";
import { createObservability, serve } from "./app.js";
import { settleBatch } from "./batch.js";
import { ConfigError, loadConfig, serverSpecs, type Cleaned, type Specs } from "./config.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { runMain } from "./main.js";

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
 * The whole composition root of a normalizer app: every provider's app is
 * this with its own name, default port and `normalize`.
 */
export function runNormalizerApp<S extends Specs = Record<never, never>>(options: {
  readonly provider: string;
  readonly defaultPort: number;
  /** Settings of the provider's own, validated with the standard ones. */
  readonly settings?: S;
  readonly createNormalize: (settings: Cleaned<S>) => Normalize;
  readonly env: NodeJS.ProcessEnv;
}): void {
  runMain(async () => {
    const [config, settings] = loadBoth(
      () => loadConfig(options.env, serverSpecs(options.defaultPort)),
      () => loadConfig(options.env, options.settings ?? ({} as S)),
    );
    const normalize = options.createNormalize(settings);
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
        router.service(NormalizerService, normalizerService(normalize, { logger, metrics }));
      },
    });
  });
}

/** Loads two sets of settings, reporting the problems of both in one error. */
function loadBoth<A, B>(a: () => A, b: () => B): [A, B] {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) {
        throw error;
      }
      problems.push(...error.problems);
      return undefined;
    }
  };
  const first = attempt(a);
  const second = attempt(b);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return [first as A, second as B];
}
