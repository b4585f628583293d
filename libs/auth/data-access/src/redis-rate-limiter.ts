import type { DeliveryCount, RateLimitDecision, RateLimiter } from "@runframe/auth-domain";
import { UnavailableError } from "@runframe/util";
import { ReplyError, type Cluster, type Redis } from "ioredis";

/**
 * The sliding window in Redis: per key a list of the accept times still in
 * the window, newest at the head, scored by Redis server time in
 * milliseconds (TIME), so replicas with skewed clocks agree. Expired times
 * are popped from the tail, each once, so a check is O(1) amortized whatever
 * the limit, and the list holds only requests counted in the window (refused
 * ones add nothing). A request is allowed while fewer than `limit` remain;
 * the script runs atomically, so the limit is exact across any number of
 * replicas: the (limit+1)th request in any window is refused.
 */
const CONSUME = `
local function consume(key, limit, window, now)
  local cutoff = now - window
  while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or tonumber(oldest) > cutoff then break end
    redis.call('RPOP', key)
  end
  local count = redis.call('LLEN', key)
  if count >= limit then
    local pivot = tonumber(redis.call('LINDEX', key, limit - 1))
    local oldest = tonumber(redis.call('LINDEX', key, -1))
    return {0, 0, oldest + window, pivot + window - now}
  end
  redis.call('LPUSH', key, now)
  redis.call('PEXPIRE', key, window)
  local oldest = tonumber(redis.call('LINDEX', key, -1))
  return {1, limit - count - 1, oldest + window, 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS[1] the window; ARGV limit, window. */
const SCRIPT = `${CONSUME}
return consume(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), now)
`;

/**
 * KEYS[1] the quota, KEYS[2] the repeats' window, KEYS[3..] the delivery's
 * seen markers; ARGV limit, repeat limit, window, how long to remember.
 * Returns the decision and 1 when it was a repeat.
 */
const DELIVERY_SCRIPT = `${CONSUME}
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local d = consume(KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]), now)
    d[5] = 1
    return d
  end
end
local d = consume(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[3]), now)
if d[1] == 1 then
  for i = 3, #KEYS do
    redis.call('SET', KEYS[i], 1, 'PX', tonumber(ARGV[4]))
  end
end
d[5] = 0
return d
`;

type ScriptCall = (...args: unknown[]) => Promise<number[]>;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix = "runframe:rl:",
  ) {
    redis.defineCommand("runframeSlidingWindow", { numberOfKeys: 1, lua: SCRIPT });
    redis.defineCommand("runframeDelivery", { lua: DELIVERY_SCRIPT });
  }

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const reply = await this.#script("runframeSlidingWindow")(
      this.prefix + hashTagged(key),
      limit,
      windowMs,
    );
    return decision(reply, limit, windowMs);
  }

  async consumeDelivery(count: DeliveryCount): Promise<RateLimitDecision & { repeat: boolean }> {
    // The seen markers take the quota's hash tag, so with a repeat key
    // tagged alike (the caller's part) one script touches one slot.
    const tag = hashTag(count.key);
    const keys = [
      this.prefix + hashTagged(count.key),
      this.prefix + hashTagged(count.repeatKey),
      ...count.deliveryIds.map((id) => `${this.prefix}seen:${tag}:${id}`),
    ];
    const reply = await this.#script("runframeDelivery")(
      keys.length,
      ...keys,
      count.limit,
      count.repeatLimit,
      count.windowMs,
      count.seenForMs,
    );
    const repeat = reply[4] === 1;
    return {
      ...decision(reply, repeat ? count.repeatLimit : count.limit, count.windowMs),
      repeat,
    };
  }

  #script(name: string): ScriptCall {
    const command = (this.redis as unknown as Record<string, ScriptCall>)[name]!;
    return async (...args) => {
      try {
        return await command.call(this.redis, ...args);
      } catch (error) {
        // Redis answered with an error: a bug of ours, not an outage.
        if (error instanceof ReplyError) {
          throw error;
        }
        throw new UnavailableError("rate limits are unavailable right now; retry later", {
          reason: "RATE_LIMITS_UNAVAILABLE",
          cause: error,
        });
      }
    };
  }
}

function decision(reply: number[], limit: number, windowMs: number): RateLimitDecision {
  const [allowed, remaining, resetMs, retryAfterMs] = reply;
  return {
    allowed: allowed === 1,
    limit,
    remaining: remaining ?? 0,
    resetAt: new Date(resetMs ?? Date.now() + windowMs),
    retryAfterMs: retryAfterMs ?? 0,
  };
}

/** The `{…}` part of a key, or the whole key as its own tag. */
function hashTag(key: string): string {
  return /\{[^}]+\}/.exec(key)?.[0] ?? `{${key}}`;
}

/** Keys without a hash tag get one, so every key maps to a single slot. */
function hashTagged(key: string): string {
  return /\{[^}]+\}/.test(key) ? key : `{${key}}`;
}
