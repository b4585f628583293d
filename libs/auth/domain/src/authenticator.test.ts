import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuthenticateRequestSchema, IntegrationType } from "@runframe/contracts";
import { normalizeOptions } from "@runframe/util";
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  Authenticator,
  DEFAULT_DRY_RUN_LIMIT,
  RefusedDelivery,
  type AuthEvents,
} from "./authenticator.js";
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
  options: normalizeOptions(IntegrationType.PROMETHEUS, undefined),
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

describe("Authenticator: what the inbox needs", () => {
  /** A limiter allowing `quota` requests, then refusing; counts what it was asked. */
  function countingLimiter(quota: number) {
    const asked: string[] = [];
    const decide = (key: string): RateLimitDecision => {
      asked.push(key);
      const allowed = asked.filter((k) => k === key).length <= quota;
      return { ...allow, allowed, remaining: allowed ? 1 : 0, retryAfterMs: allowed ? 0 : 1000 };
    };
    return {
      asked,
      limiter: {
        consume: async (key: string) => decide(key),
        consumeDelivery: async ({ key }: { key: string }) => ({ ...decide(key), repeat: false }),
      } as RateLimiter,
    };
  }
  const integrations = {
    findByRoutingKeyHash: async (hash: string) =>
      hash === record.routingKeyHash ? record : undefined,
    get: async (org: string, id: string) =>
      org === record.organizationId && id === record.id ? record : undefined,
  } as unknown as IntegrationRepository;
  const secrets = new SecretBox(new Uint8Array(32));

  it("names the integration of a refused delivery to a known key, and of none to an unknown key", async () => {
    const { limiter: tight } = countingLimiter(1);
    const authenticator = new Authenticator({ integrations, limiter: tight, secrets });
    const ask = (key: string) =>
      authenticator.authenticate(create(AuthenticateRequestSchema, { routingKey: key }));
    await ask(routingKey);
    const throttled = await ask(routingKey).catch((error: unknown) => error);
    expect(throttled).toBeInstanceOf(RefusedDelivery);
    const refusal = throttled as RefusedDelivery;
    expect(refusal.integration.id).toBe("int-1");
    expect(refusal.failure).toMatchObject({ kind: "resource-exhausted", reason: "RATE_LIMITED" });
    const unknown = await ask("u".repeat(40)).catch((error: unknown) => error);
    expect(unknown).not.toBeInstanceOf(RefusedDelivery);
    expect(unknown).toMatchObject({ reason: "ROUTING_KEY_INVALID" });
  });

  it("identifies a routing key's integration, counting unknown keys as failed attempts", async () => {
    const { limiter: counting, asked } = countingLimiter(1000);
    const authenticator = new Authenticator({ integrations, limiter: counting, secrets });
    expect((await authenticator.identify(routingKey, "192.0.2.1")).id).toBe("int-1");
    expect(asked).toEqual([]);
    await expect(authenticator.identify("u".repeat(40), "192.0.2.1")).rejects.toMatchObject({
      reason: "ROUTING_KEY_INVALID",
    });
    expect(asked).toEqual(["unknown-key:192.0.2.1"]);
  });

  it("consumes the quota of an integration's current routing key, as webhooks do", async () => {
    const { limiter: tight, asked } = countingLimiter(1);
    const authenticator = new Authenticator({ integrations, limiter: tight, secrets });
    await authenticator.authenticate(create(AuthenticateRequestSchema, { routingKey }));
    const decision = await authenticator.consumeQuota("org-a", "int-1");
    expect(decision.allowed).toBe(false);
    expect(asked).toEqual([`quota:{${record.routingKeyHash}}`, `quota:{${record.routingKeyHash}}`]);
    await expect(authenticator.consumeQuota("org-b", "int-1")).rejects.toMatchObject({
      reason: "INTEGRATION_NOT_FOUND",
    });
  });
});

describe("Authenticator events", () => {
  const box = new SecretBox(new Uint8Array(32));
  const signed: IntegrationRecord = {
    ...record,
    id: "int-signed",
    type: IntegrationType.CUSTOM,
    routingKeyHash: hashSecret("s".repeat(40)),
    signingSecrets: [{ sealed: box.seal("secret", "int-signed") }],
  };
  const integrations = {
    findByRoutingKeyHash: async (hash: string) =>
      [record, signed].find((r) => r.routingKeyHash === hash),
  } as unknown as IntegrationRepository;
  const refuse: RateLimitDecision = { ...allow, allowed: false, remaining: 0, retryAfterMs: 1000 };

  /** Authenticates `key` with `limits`, and says what the owner was told. */
  async function told(
    key: string,
    limits: Partial<RateLimiter> = {},
    headers: { name: string; value: string }[] = [],
  ) {
    const events: unknown[] = [];
    const listener: AuthEvents = {
      refused: (type, reason) => events.push(["refused", type, reason]),
      throttled: (type, reason) => events.push(["throttled", type, reason]),
    };
    const authenticator = new Authenticator({
      integrations,
      limiter: { ...limiter, ...limits },
      secrets: box,
      events: listener,
    });
    await authenticator
      .authenticate(create(AuthenticateRequestSchema, { routingKey: key, headers }))
      .catch(() => undefined);
    return events;
  }

  it("tells of refusals by integration type and reason", async () => {
    expect(await told("u".repeat(40))).toEqual([["refused", undefined, "ROUTING_KEY_INVALID"]]);
    expect(await told("s".repeat(40))).toEqual([
      ["refused", IntegrationType.CUSTOM, "SIGNATURE_MISSING"],
    ]);
    expect(await told(routingKey)).toEqual([]);
  });

  it("tells of throttles: the quota, repeats, and too many refused attempts", async () => {
    expect(await told(routingKey, { consume: async () => refuse })).toEqual([
      ["throttled", IntegrationType.PROMETHEUS, "quota"],
    ]);
    const repeated = { ...refuse, repeat: true };
    expect(
      await told(routingKey, { consumeDelivery: async () => repeated }, [
        { name: "idempotency-key", value: "delivery-1" },
      ]),
    ).toEqual([["throttled", IntegrationType.PROMETHEUS, "repeats"]]);
    expect(await told("u".repeat(40), { consume: async () => refuse })).toEqual([
      ["refused", undefined, "ROUTING_KEY_INVALID"],
      ["throttled", undefined, "failed_attempts"],
    ]);
  });
});

describe("Authenticator: dry runs", () => {
  const signedKey = "s".repeat(40);
  const secret = "dry-run-signing-secret";
  const secrets = new SecretBox(new Uint8Array(32));
  const signed: IntegrationRecord = {
    ...record,
    id: "int-signed",
    type: IntegrationType.CUSTOM,
    rateLimitPerMinute: 2,
    routingKeyHash: hashSecret(signedKey),
    signingSecrets: [{ sealed: secrets.seal(secret, "int-signed") }],
    options: normalizeOptions(IntegrationType.CUSTOM, undefined),
  };
  const integrations = {
    findByRoutingKeyHash: async (hash: string) =>
      hash === signed.routingKeyHash ? signed : undefined,
  } as unknown as IntegrationRepository;
  const now = new Date("2026-12-01T10:00:00Z");

  /** What the limiter was asked, by key; each key allows `quota` requests. */
  function recordingLimiter(quota: number) {
    const asked: string[] = [];
    const remembered: string[] = [];
    const decide = (key: string): RateLimitDecision => {
      asked.push(key);
      const allowed = asked.filter((k) => k === key).length <= quota;
      return { ...allow, limit: quota, allowed, retryAfterMs: allowed ? 0 : 1000 };
    };
    const limiter: RateLimiter = {
      consume: async (key) => decide(key),
      consumeDelivery: async ({ key, deliveryIds }) => {
        remembered.push(...deliveryIds);
        return { ...decide(key), repeat: false };
      },
    };
    return { asked, remembered, limiter };
  }

  const request = (body: string, signature: string | undefined, dryRun: boolean) => {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    return create(AuthenticateRequestSchema, {
      routingKey: signedKey,
      body: new TextEncoder().encode(body),
      receiveTime: timestampFromDate(now),
      sourceAddress: "192.0.2.7",
      dryRun,
      headers: [
        { name: "x-runframe-timestamp", value: timestamp },
        {
          name: "x-runframe-signature",
          value:
            signature ??
            `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`,
        },
      ],
    });
  };
  const quota = `quota:{${signed.routingKeyHash}}`;
  const dryRuns = `dry-run:{${signed.routingKeyHash}}`;

  it("verifies the signature, counts in its own limit and remembers nothing", async () => {
    const { asked, remembered, limiter } = recordingLimiter(DEFAULT_DRY_RUN_LIMIT);
    const authenticator = new Authenticator({ integrations, limiter, secrets, now: () => now });
    const dry = await authenticator.authenticate(request('{"title":"x"}', undefined, true));
    expect(dry.integration?.id).toBe("int-signed");
    expect(dry.deliveryKey).not.toBe("");
    expect(dry.repeat).toBe(false);
    expect(dry.rateLimit?.limit).toBe(DEFAULT_DRY_RUN_LIMIT);
    expect(asked).toEqual([dryRuns]);
    expect(remembered).toEqual([]);

    // The real delivery of the same bytes is a fresh one, with the same identity.
    const real = await authenticator.authenticate(request('{"title":"x"}', undefined, false));
    expect(real.deliveryKey).toBe(dry.deliveryKey);
    expect(asked).toEqual([dryRuns, quota]);
    expect(remembered).toEqual([dry.deliveryKey]);
  });

  it("refuses a forged signature in a dry run too, counting it as a failed attempt", async () => {
    const { asked, limiter } = recordingLimiter(DEFAULT_DRY_RUN_LIMIT);
    const authenticator = new Authenticator({ integrations, limiter, secrets, now: () => now });
    const forged = await authenticator
      .authenticate(request("{}", `sha256=${"0".repeat(64)}`, true))
      .catch((error: unknown) => error);
    expect(forged).toBeInstanceOf(RefusedDelivery);
    expect((forged as RefusedDelivery).failure).toMatchObject({ reason: "SIGNATURE_INVALID" });
    expect(asked).toEqual([
      `bad-signature:{${signed.routingKeyHash}}`,
      "bad-signature-source:192.0.2.7",
    ]);
  });

  it("answers DRY_RUN_LIMITED beyond its own limit, leaving the quota untouched", async () => {
    const { asked, limiter } = recordingLimiter(3);
    const throttles: unknown[][] = [];
    const authenticator = new Authenticator({
      integrations,
      limiter,
      secrets,
      now: () => now,
      dryRunLimitPerMinute: 3,
      events: {
        refused: () => undefined,
        throttled: (type, reason) => void throttles.push([type, reason]),
      },
    });
    for (let i = 0; i < 3; i++) {
      await authenticator.authenticate(request(`{"n":${i}}`, undefined, true));
    }
    const refused = await authenticator
      .authenticate(request('{"n":4}', undefined, true))
      .catch((error: unknown) => error);
    expect((refused as RefusedDelivery).failure).toMatchObject({
      kind: "resource-exhausted",
      reason: "DRY_RUN_LIMITED",
    });
    expect(asked.every((key) => key === dryRuns)).toBe(true);
    expect(throttles).toEqual([[IntegrationType.CUSTOM, "dry_runs"]]);
  });
});
