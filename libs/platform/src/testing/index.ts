/** Helpers for tests that run apps as real processes. */
export * from "./processes.js";
export * from "./backends.js";
export * from "./stack.js";
export * from "./private-backends.js";
export * from "./replica.js";
export * from "./team-client.js";
export * from "./in-memory.js";
export { appBundle, type AppName } from "../apps.js";
export * from "./team-fixture.js";
export * from "./tracing.js";
export * from "./otlp-receiver.js";
export * from "./signing.js";
