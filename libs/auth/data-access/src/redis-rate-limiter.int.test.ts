import { backendUrl } from "@runframe/platform/testing";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { describeRateLimiterContract } from "./rate-limiter.contract.js";
import { RedisRateLimiter } from "./redis-rate-limiter.js";

const a = new Redis(backendUrl("REDIS_URL"), { lazyConnect: true });
const b = new Redis(backendUrl("REDIS_URL"), { lazyConnect: true });
afterAll(() => {
  a.disconnect();
  b.disconnect();
});

describeRateLimiterContract("Redis", () => [new RedisRateLimiter(a), new RedisRateLimiter(b)]);

describe("RedisRateLimiter", () => {
  it("keeps every key in one hash slot", async () => {
    const limiter = new RedisRateLimiter(a, "t:");
    const id = randomUUID();
    await limiter.consume(`plain-${id}`, 5, 60_000);
    expect(await a.exists(`t:{plain-${id}}`)).toBe(1);
  });
});
