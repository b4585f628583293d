import { createClient, createRouterTransport } from "@connectrpc/connect";
import { NormalizerService } from "@runframe/contracts";
import { ValidationError } from "@runframe/util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { errorInterceptor } from "./interceptors.js";
import { createMetrics } from "./metrics.js";
import { normalizerService, refusalReason } from "./normalizer.js";

const refused = (...fields: string[]) =>
  new ValidationError(fields.map((field) => ({ field, description: "is wrong" })));

describe("normalization refusals", () => {
  it("are labelled by the first bad field's top-level name, never a sender's key", () => {
    expect(refusalReason(refused("title", "service_id"))).toBe("title");
    expect(refusalReason(refused("metadata.customer-42"))).toBe("metadata");
    expect(refusalReason(refused("alerts[3].labels.x"))).toBe("alerts");
    expect(refusalReason(refused("Message.NewStateValue"))).toBe("Message");
    expect(refusalReason(refused("[0]"))).toBe("other");
    expect(refusalReason(refused())).toBe("other");
  });

  it("are counted by provider and reason, single and batched", async () => {
    const logger = pino({ level: "silent" });
    const metrics = createMetrics("normalizer-custom");
    const transport = createRouterTransport(
      (router) =>
        router.service(
          NormalizerService,
          normalizerService(
            () => {
              throw refused("service_id");
            },
            { logger, metrics, provider: "custom" },
          ),
        ),
      { router: { interceptors: [errorInterceptor(logger)] } },
    );
    const client = createClient(NormalizerService, transport);
    await client.normalize({}).catch(() => undefined);
    await client.normalizeBatch({ requests: [{}, {}], requestIds: [] });
    expect(await metrics.registry.metrics()).toContain(
      'runframe_normalizer_refusals_total{provider="custom",reason="service_id",app="normalizer-custom"} 3',
    );
  });
});
