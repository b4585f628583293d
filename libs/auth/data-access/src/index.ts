export * from "./mongo-integrations.js";
export * from "./redis-rate-limiter.js";
