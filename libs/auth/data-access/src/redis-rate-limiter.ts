import type { RateLimitDecision, RateLimiter } from "@runframe/auth-domain";
import { randomBytes } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

/**
 * A sliding-window log in one sorted set per key: members are the counted
 * requests, scored by Redis server time in milliseconds. One Lua script
 * trims, counts and adds atomically, so the limit is exact across any number
 * of replicas: the (limit+1)th request in any window is refused. Using the
 * server's clock (TIME) keeps replicas with skewed clocks consistent.
 *
 * Keys must carry a hash tag (`{…}`) so a Redis Cluster keeps them whole.
 */
const SCRIPT = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local reset = now + window
if oldest[2] then reset = tonumber(oldest[2]) + window end
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  if count == 0 then reset = now + window end
  return {1, limit - count - 1, reset, 0}
end
return {0, 0, reset, reset - now}
`;

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix = "runframe:rl:",
  ) {
    redis.defineCommand("runframeSlidingWindow", { numberOfKeys: 1, lua: SCRIPT });
  }

  async consume(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const member = `${Date.now()}-${randomBytes(6).toString("hex")}`;
    const command = (
      this.redis as unknown as Record<string, (...args: unknown[]) => Promise<number[]>>
    )["runframeSlidingWindow"]!;
    const [allowed, remaining, resetMs, retryAfterMs] = await command.call(
      this.redis,
      this.prefix + hashTagged(key),
      limit,
      windowMs,
      member,
    );
    return {
      allowed: allowed === 1,
      limit,
      remaining: remaining ?? 0,
      resetAt: new Date(resetMs ?? Date.now() + windowMs),
      retryAfterMs: retryAfterMs ?? 0,
    };
  }
}

/** Keys without a hash tag get one, so every key maps to a single slot. */
function hashTagged(key: string): string {
  return /\{[^}]+\}/.test(key) ? key : `{${key}}`;
}
