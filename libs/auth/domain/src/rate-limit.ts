import { timestampFromDate } from "@bufbuild/protobuf/wkt";

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

/** A decision as the RPCs report a key's window (runframe.common.v1.RateLimitState). */
export function rateLimitState(decision: RateLimitDecision) {
  return {
    limit: decision.limit,
    remaining: decision.remaining,
    resetTime: timestampFromDate(decision.resetAt),
  };
}

/** One delivery to count: fresh ones use the quota, repeats a bucket of their own. */
export interface DeliveryCount {
  /** The quota fresh deliveries use. */
  readonly key: string;
  readonly limit: number;
  /**
   * Where repeats of deliveries seen within `seenForMs` are counted instead;
   * it must carry the same `{hash tag}` as `key` (Redis Cluster slots).
   */
  readonly repeatKey: string;
  readonly repeatLimit: number;
  readonly windowMs: number;
  /** The identities of this delivery (its key and, if any, its alias). */
  readonly deliveryIds: readonly string[];
  /** How long a counted delivery is remembered as seen. */
  readonly seenForMs: number;
}

/**
 * A sliding-window limiter: at most `limit` requests in any `windowMs`.
 * Refused requests are not counted, so a sender over the limit gets going
 * again as soon as the window slides. Implementations must be exact under
 * concurrency and, where shared (Redis), across replicas, and cost O(1)
 * (amortized) per request whatever the limit, keeping a few bytes per
 * request counted in the window and nothing per refused one.
 */
export interface RateLimiter {
  consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
  /**
   * Counts a delivery that carries an identity. The first time one of its
   * ids is seen it counts against `key` and, if allowed, its ids are
   * remembered; a repeat of a remembered id counts against `repeatKey`
   * instead, so replays of one captured request can never use up the quota
   * of fresh deliveries. Deciding and remembering is one atomic step.
   */
  consumeDelivery(count: DeliveryCount): Promise<RateLimitDecision & { repeat: boolean }>;
}
