import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendUrl } from "@runframe/platform/testing";
import { RedisRateLimiter } from "./redis-rate-limiter.js";

describe("RedisRateLimiter", () => {
  let a: Redis;
  let b: Redis;

  beforeAll(() => {
    a = new Redis(backendUrl("REDIS_URL"));
    b = new Redis(backendUrl("REDIS_URL"));
  });
  afterAll(() => {
    a.disconnect();
    b.disconnect();
  });

  it("allows exactly the limit in a burst and says when to retry", async () => {
    const limiter = new RedisRateLimiter(a);
    const key = `test:{${randomUUID()}}`;
    const decisions = await Promise.all(
      Array.from({ length: 150 }, () => limiter.consume(key, 100, 60_000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    const refused = decisions.filter((d) => !d.allowed);
    expect(refused).toHaveLength(50);
    for (const d of refused) {
      expect(d.remaining).toBe(0);
      expect(d.retryAfterMs).toBeGreaterThan(59_000);
      expect(d.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect(decisions.map((d) => d.remaining).filter((r) => r > 0)).toHaveLength(99);
  });

  it("is exact across replicas sharing Redis", async () => {
    const replicas = [new RedisRateLimiter(a), new RedisRateLimiter(b)];
    const key = `test:{${randomUUID()}}`;
    const decisions = await Promise.all(
      Array.from({ length: 150 }, (_, i) => replicas[i % 2]!.consume(key, 100, 60_000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
  });

  it("lets requests through again once the window slides", async () => {
    const limiter = new RedisRateLimiter(a);
    const key = `test:{${randomUUID()}}`;
    expect((await limiter.consume(key, 2, 300)).allowed).toBe(true);
    expect((await limiter.consume(key, 2, 300)).allowed).toBe(true);
    const refused = await limiter.consume(key, 2, 300);
    expect(refused.allowed).toBe(false);
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 20));
    expect((await limiter.consume(key, 2, 300)).allowed).toBe(true);
  });

  it("keeps every key in one hash slot", async () => {
    const limiter = new RedisRateLimiter(a, "t:");
    const id = randomUUID();
    await limiter.consume(`plain-${id}`, 5, 60_000);
    expect(await a.exists(`t:{plain-${id}}`)).toBe(1);
  });
});
