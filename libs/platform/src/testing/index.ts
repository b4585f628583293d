/** Helpers for tests that run apps as real processes. */
export * from "./processes.js";
export * from "./backends.js";
export * from "./stack.js";
export * from "./redis.js";
export { appBundle, type AppName } from "../apps.js";
