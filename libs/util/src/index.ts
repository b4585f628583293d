export * from "./errors.js";
export * from "./normalizer.js";
export * from "./ttl-cache.js";
export * from "./bootstrap.js";
export * from "./json.js";
export * from "./paging.js";
export * from "./roles.js";
export * from "./batcher.js";
