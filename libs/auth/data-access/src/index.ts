export * from "./memory-rate-limiter.js";
export * from "./mongo-integrations.js";
export * from "./redis-rate-limiter.js";
export * from "./sqlite-integrations.js";
