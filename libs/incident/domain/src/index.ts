export * from "./convert.js";
export * from "./incidents.js";
export * from "./ingest.js";
export * from "./lifecycle.js";
export * from "./model.js";
export * from "./ports.js";
export * from "./provisioning.js";
