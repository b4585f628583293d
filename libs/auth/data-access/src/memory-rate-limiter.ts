import type { DeliveryCount, RateLimitDecision, RateLimiter } from "@runframe/auth-domain";

const SWEEP_INTERVAL_MS = 60_000;

/** The accept times of one key still in its window, oldest first, from `head`. */
interface Window {
  windowMs: number;
  times: number[];
  head: number;
}

/**
 * The sliding-window limiter in one process's memory, for running without
 * Redis. The same algorithm as the Redis limiter: per key, the accept times
 * still inside the window, oldest first; expired ones are dropped from the
 * front (each once, so O(1) amortized), and a request is allowed while fewer
 * than `limit` remain. Exact within the process; with several auth replicas
 * each counts on its own, which is why a deployment with replicas needs
 * REDIS_URL.
 */
export class InMemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #seen = new Map<string, number>();
  #lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const now = this.now();
    this.#sweep(now);
    return this.#consume(key, limit, windowMs, now);
  }

  async consumeDelivery(count: DeliveryCount): Promise<RateLimitDecision & { repeat: boolean }> {
    const now = this.now();
    this.#sweep(now);
    if (count.deliveryIds.some((id) => (this.#seen.get(id) ?? 0) > now)) {
      const decision = this.#consume(count.repeatKey, count.repeatLimit, count.windowMs, now);
      return { ...decision, repeat: true };
    }
    const decision = this.#consume(count.key, count.limit, count.windowMs, now);
    if (decision.allowed) {
      for (const id of count.deliveryIds) {
        this.#seen.set(id, now + count.seenForMs);
      }
    }
    return { ...decision, repeat: false };
  }

  #consume(key: string, limit: number, windowMs: number, now: number): RateLimitDecision {
    let window = this.#windows.get(key);
    if (window === undefined) {
      window = { windowMs, times: [], head: 0 };
      this.#windows.set(key, window);
    }
    window.windowMs = windowMs;
    const { times } = window;
    while (window.head < times.length && times[window.head]! <= now - windowMs) {
      window.head++;
    }
    if (window.head > 64 && window.head * 2 > times.length) {
      window.times = times.slice(window.head);
      window.head = 0;
    }
    const counted = window.times.length - window.head;
    if (counted >= limit) {
      // Allowed again once the limit-th newest accept leaves the window.
      const pivot = window.times[window.times.length - limit]!;
      return {
        allowed: false,
        limit,
        remaining: 0,
        resetAt: new Date(window.times[window.head]! + windowMs),
        retryAfterMs: pivot + windowMs - now,
      };
    }
    window.times.push(now);
    return {
      allowed: true,
      limit,
      remaining: limit - counted - 1,
      resetAt: new Date(window.times[window.head]! + windowMs),
      retryAfterMs: 0,
    };
  }

  /** Drops idle keys and forgotten deliveries now and then, so memory follows active ones. */
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
    for (const [id, until] of this.#seen) {
      if (until <= now) {
        this.#seen.delete(id);
      }
    }
  }
}
