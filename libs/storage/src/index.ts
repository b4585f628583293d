export * from "./connections.js";
export * from "./sqlite.js";
