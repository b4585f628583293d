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
  it("keeps only what was counted in the window: nothing for refused requests", async () => {
    const limiter = new RedisRateLimiter(a, "t:");
    const key = `{${randomUUID()}}`;
    for (let i = 0; i < 8; i++) {
      await limiter.consume(key, 5, 200);
    }
    expect(await a.llen(`t:${key}`)).toBe(5);
    await new Promise((r) => setTimeout(r, 250));
    expect((await limiter.consume(key, 5, 200)).allowed).toBe(true);
    expect(await a.llen(`t:${key}`)).toBe(1);
  });

  it("keeps a delivery's keys in the quota's hash slot", async () => {
    const limiter = new RedisRateLimiter(a, "t:");
    const tag = `{${randomUUID()}}`;
    await limiter.consumeDelivery({
      key: `quota:${tag}`,
      limit: 5,
      repeatKey: `repeats:${tag}`,
      repeatLimit: 5,
      windowMs: 60_000,
      deliveryIds: ["id-1"],
      seenForMs: 60_000,
    });
    const keys = await a.keys(`t:*${tag}*`);
    expect(keys.sort()).toEqual([`t:quota:${tag}`, `t:seen:${tag}:id-1`]);
  });

  it("keeps every key in one hash slot", async () => {
    const limiter = new RedisRateLimiter(a, "t:");
    const id = randomUUID();
    await limiter.consume(`plain-${id}`, 5, 60_000);
    expect(await a.exists(`t:{plain-${id}}`)).toBe(1);
  });
});
