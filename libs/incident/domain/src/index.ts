export * from "./convert.js";
export * from "./incidents.js";
export * from "./model.js";
export * from "./provisioning.js";
