/** Helpers for tests that run apps as real processes. */
export * from "./processes.js";
