import type { RateLimitDecision, RateLimiter } from "@runframe/auth-domain";

const SWEEP_INTERVAL_MS = 60_000;

/**
 * The sliding-window limiter in one process's memory, for running without
 * Redis. Exact within the process; with several auth replicas each counts on
 * its own, which is why a deployment with replicas needs REDIS_URL.
 */
export class InMemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { windowMs: number; times: number[] }>();
  #lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const now = this.now();
    this.#sweep(now);
    const times = (this.#windows.get(key)?.times ?? []).filter((t) => t > now - windowMs);
    const oldest = times[0];
    this.#windows.set(key, { windowMs, times });
    if (times.length >= limit) {
      const resetAt = (oldest ?? now) + windowMs;
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetAt: new Date(resetAt),
        retryAfterMs: resetAt - now,
      };
    }
    times.push(now);
    return {
      allowed: true,
      limit,
      remaining: limit - times.length,
      resetAt: new Date((oldest ?? now) + windowMs),
      retryAfterMs: 0,
    };
  }

  /** Drops idle keys now and then, so memory follows active keys only. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) {
      return;
    }
    this.#lastSweep = now;
    for (const [key, { windowMs, times }] of this.#windows) {
      if ((times.at(-1) ?? 0) <= now - windowMs) {
        this.#windows.delete(key);
      }
    }
  }
}
