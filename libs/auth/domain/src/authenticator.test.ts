import { create } from "@bufbuild/protobuf";
import { AuthenticateRequestSchema, IntegrationType } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { Authenticator } from "./authenticator.js";
import { hashSecret } from "./keys.js";
import type { IntegrationRecord, IntegrationRepository } from "./model.js";
import type { RateLimitDecision, RateLimiter } from "./rate-limit.js";
import { SecretBox } from "./secret-box.js";

const routingKey = "r".repeat(40);
const record: IntegrationRecord = {
  id: "int-1",
  organizationId: "org-a",
  type: IntegrationType.PROMETHEUS,
  name: "AM",
  defaultServiceId: "",
  enabled: true,
  rateLimitPerMinute: 1000,
  routingKeyHash: hashSecret(routingKey),
  routingKeyHint: "rrrr",
  signingSecrets: [],
  snsTopicArns: [],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

const allow: RateLimitDecision = {
  allowed: true,
  limit: 1000,
  remaining: 999,
  resetAt: new Date(),
  retryAfterMs: 0,
};
const limiter: RateLimiter = {
  consume: async () => allow,
  consumeDelivery: async () => ({ ...allow, repeat: false }),
};

describe("Authenticator", () => {
  it("reads a routing key once however many webhooks miss the cache together", async () => {
    let reads = 0;
    const integrations = {
      findByRoutingKeyHash: async (hash: string) => {
        reads++;
        await new Promise((r) => setTimeout(r, 20));
        return hash === record.routingKeyHash ? record : undefined;
      },
    } as unknown as IntegrationRepository;
    const authenticator = new Authenticator({
      integrations,
      limiter,
      secrets: new SecretBox(new Uint8Array(32)),
    });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        authenticator.authenticate(create(AuthenticateRequestSchema, { routingKey })),
      ),
    );
    expect(answers.every((a) => a.integration?.id === "int-1")).toBe(true);
    expect(reads).toBe(1);
  });

  it("answers a stale entry at once while reading it again, then uses what it read", async () => {
    let current: IntegrationRecord = record;
    let reads = 0;
    let release: () => void = () => undefined;
    const integrations = {
      findByRoutingKeyHash: async () => {
        reads++;
        if (reads === 2) {
          await new Promise<void>((r) => (release = r));
        }
        return current;
      },
    } as unknown as IntegrationRepository;
    const authenticator = new Authenticator({
      integrations,
      limiter,
      secrets: new SecretBox(new Uint8Array(32)),
      cacheTtlMs: 50,
    });
    const ask = () => authenticator.authenticate(create(AuthenticateRequestSchema, { routingKey }));
    expect((await ask()).integration?.name).toBe("AM");
    current = { ...record, name: "renamed" };
    await new Promise((r) => setTimeout(r, 60));
    // Stale: answered from the cache while the store is read again.
    expect((await ask()).integration?.name).toBe("AM");
    expect(reads).toBe(2);
    release();
    await new Promise((r) => setTimeout(r, 5));
    expect((await ask()).integration?.name).toBe("renamed");
    // Unused for twice the freshness: read before answering.
    current = { ...record, enabled: false };
    await new Promise((r) => setTimeout(r, 110));
    const refused = await ask().then(
      () => "answered",
      () => "refused",
    );
    expect(refused).toBe("refused");
  });
});
