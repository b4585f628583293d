/** The outcome of counting one request against a window. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests left in the window after this one. */
  readonly remaining: number;
  /** When the oldest counted request leaves the window. */
  readonly resetAt: Date;
  /** 0 when allowed; otherwise how long until a request would be allowed. */
  readonly retryAfterMs: number;
}

/**
 * A sliding-window limiter: at most `limit` requests in any `windowMs`.
 * Refused requests are not counted, so a sender over the limit gets going
 * again as soon as the window slides. Implementations must be exact under
 * concurrency and, where shared (Redis), across replicas.
 */
export interface RateLimiter {
  consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
}
