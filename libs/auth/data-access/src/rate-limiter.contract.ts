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
