import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "@runframe/auth-domain";

/**
 * What every RateLimiter must do, run against Redis and the in-memory
 * limiter with the same assertions. `replicas` returns limiters that share
 * state the way replicas of auth would (for the in-memory one: the same
 * instance, since it cannot share across processes).
 */
export function describeRateLimiterContract(
  name: string,
  replicas: () => [RateLimiter, RateLimiter],
): void {
  describe(`rate limiter contract: ${name}`, () => {
    it("allows exactly the limit in a burst and says when to retry", async () => {
      const [limiter] = replicas();
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

    it("is exact across replicas sharing state", async () => {
      const pair = replicas();
      const key = `test:{${randomUUID()}}`;
      const decisions = await Promise.all(
        Array.from({ length: 150 }, (_, i) => pair[i % 2]!.consume(key, 100, 60_000)),
      );
      expect(decisions.filter((d) => d.allowed)).toHaveLength(100);
    });

    it("holds a lowered limit at once", async () => {
      const [limiter] = replicas();
      const key = `test:{${randomUUID()}}`;
      for (let i = 0; i < 10; i++) {
        expect((await limiter.consume(key, 10, 60_000)).allowed).toBe(true);
      }
      const lowered = await limiter.consume(key, 5, 60_000);
      expect(lowered.allowed).toBe(false);
      expect(lowered.limit).toBe(5);
    });

    it("counts repeats of a delivery apart from fresh deliveries (a replayed request never starves the key)", async () => {
      const [limiter, other] = replicas();
      const tag = `{${randomUUID()}}`;
      const count = (ids: string[], on: RateLimiter = limiter) =>
        on.consumeDelivery({
          key: `quota:${tag}`,
          limit: 3,
          repeatKey: `repeats:${tag}`,
          repeatLimit: 5,
          windowMs: 60_000,
          deliveryIds: ids,
          seenForMs: 60_000,
        });
      const first = await count(["a"]);
      expect(first).toMatchObject({ allowed: true, repeat: false, remaining: 2 });
      const replays = await Promise.all(
        Array.from({ length: 8 }, (_, i) => count(["a"], i % 2 ? other : limiter)),
      );
      expect(replays.every((d) => d.repeat)).toBe(true);
      expect(replays.filter((d) => d.allowed)).toHaveLength(5);
      // The quota still has room for two fresh deliveries, then refuses.
      expect((await count(["b"])).allowed).toBe(true);
      // An alias of a seen delivery is a repeat, whatever its other id.
      expect((await count(["b2", "b"])).repeat).toBe(true);
      expect((await count(["c"])).allowed).toBe(true);
      const refused = await count(["d"]);
      expect(refused).toMatchObject({ allowed: false, repeat: false });
      // A refused delivery is not remembered: its retry counts as fresh again.
      expect(await count(["d"])).toMatchObject({ allowed: false, repeat: false });
    });

    it("lets requests through again once the window slides", async () => {
      const [limiter] = replicas();
      const key = `test:{${randomUUID()}}`;
      expect((await limiter.consume(key, 2, 300)).allowed).toBe(true);
      expect((await limiter.consume(key, 2, 300)).allowed).toBe(true);
      const refused = await limiter.consume(key, 2, 300);
      expect(refused.allowed).toBe(false);
      await new Promise((r) => setTimeout(r, refused.retryAfterMs + 20));
      expect((await limiter.consume(key, 2, 300)).allowed).toBe(true);
    });
  });
}
