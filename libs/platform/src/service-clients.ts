import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import {
  NormalizerService,
  type NormalizeRequestSchema,
  type NormalizeResponse,
} from "@runframe/contracts";
import { PROVIDERS, type Provider } from "@runframe/providers";
import { batchedCall } from "./batch.js";
import { createInternalTransport, type InternalTransport, type RpcProtocol } from "./clients.js";
import type { NormalizerUrlSetting } from "./config.js";
import type { Logger } from "./logger.js";

/** The settings every app that calls other services has (see clientSpecs). */
export interface ClientSettings {
  readonly RUNFRAME_INTERNAL_TOKEN: string;
  readonly RUNFRAME_RPC_PROTOCOL: string;
  readonly RUNFRAME_RESOLVE_INTERVAL_MS: number;
}

/** Makes balanced transports to other services, named for logs, with the app's settings. */
export function serviceTransports(
  config: ClientSettings,
  logger: Logger,
): (name: string, baseUrl: string) => InternalTransport {
  return (name, baseUrl) =>
    createInternalTransport({
      baseUrl,
      token: config.RUNFRAME_INTERNAL_TOKEN,
      protocol: config.RUNFRAME_RPC_PROTOCOL as RpcProtocol,
      balancing: { name, logger, resolveIntervalMs: config.RUNFRAME_RESOLVE_INTERVAL_MS },
    });
}

/**
 * A batched client's concurrency (see batchedCall): one batch in flight per
 * replica in rotation, so each replica always has one to work on while
 * calls made meanwhile gather into the next.
 */
export function oneBatchPerReplica(transport: InternalTransport): () => number {
  return () => Math.max(1, transport.healthyCount());
}

/** One call with its deadline, as the apps make them. */
export type ServiceCall<Req, Res> = (request: Req, options: { timeoutMs: number }) => Promise<Res>;

/** A provider's normalizer, as a client sees it. */
export interface NormalizerClient {
  readonly provider: Provider;
  readonly transport: InternalTransport;
  /**
   * Normalize, batched: calls made while earlier ones are in flight travel
   * together in one NormalizeBatch, so under load one round trip carries
   * many webhooks.
   */
  readonly normalize: ServiceCall<
    MessageInitShape<typeof NormalizeRequestSchema>,
    NormalizeResponse
  >;
}

/** A client of every provider's normalizer in the registry, each where its URL setting says. */
export function normalizerClients(
  config: Readonly<Record<NormalizerUrlSetting, string>>,
  transport: (name: string, baseUrl: string) => InternalTransport,
): NormalizerClient[] {
  return PROVIDERS.map((provider) => {
    const t = transport(provider.app, config[provider.urlSetting]);
    const client = createClient(NormalizerService, t);
    return {
      provider,
      transport: t,
      normalize: batchedCall<MessageInitShape<typeof NormalizeRequestSchema>, NormalizeResponse>(
        (batch, options) => client.normalizeBatch(batch, options),
        (request, options) => client.normalize(request, options),
        {
          method: NormalizerService.method.normalize,
          concurrency: oneBatchPerReplica(t),
          weigh: (request) => request.body?.length ?? 0,
        },
      ),
    };
  });
}
