import { describeRateLimiterContract } from "./rate-limiter.contract.js";
import { InMemoryRateLimiter } from "./memory-rate-limiter.js";

describeRateLimiterContract("in memory", () => {
  const limiter = new InMemoryRateLimiter();
  return [limiter, limiter];
});
