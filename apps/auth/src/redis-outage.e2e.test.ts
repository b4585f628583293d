import {
  startPrivateRedis,
  startStack,
  type PrivateRedis,
  type Stack,
} from "@runframe/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const routingKey = "redis_outage_routing_key_00000000000000000";
const body = JSON.stringify({ title: "Disk full", service_id: "SER-00001" });

describe("a Redis outage (red-team finding 8)", () => {
  let redis: PrivateRedis;
  let stack: Stack;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startStack({
      env: { REDIS_URL: redis.url },
      bootstrap: {
        organizations: [
          {
            id: "org-redis",
            name: "Redis outage",
            services: [{ id: "SER-00001", name: "Checkout" }],
            integrations: [{ id: "int-redis", type: "custom", name: "R", routingKey }],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it("answers 503 with Retry-After at once while Redis is down, and recovers when it returns", async () => {
    expect((await stack.webhook(routingKey, body)).status).toBe(202);
    await redis.stop();

    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await stack.webhook(routingKey, body);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect(await res.text()).not.toMatch(/redis|ECONN|stream/i);
      expect(Date.now() - started).toBeLessThan(2_500);
    }

    // Long enough for auth's reconnection attempts to fail and be logged.
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.start();
    await expect
      .poll(async () => (await stack.webhook(routingKey, body)).status, {
        timeout: 10_000,
        interval: 250,
      })
      .toBe(202);

    const auth = stack.auth[0]!;
    expect(auth.stderr()).not.toMatch(/Unhandled error event/);
    expect(auth.logs.filter((l) => "raw" in l)).toEqual([]);
    await expect
      .poll(() => auth.logs.some((l) => String(l["msg"]).startsWith("Redis unreachable")))
      .toBe(true);
  });
});
