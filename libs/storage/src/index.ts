export * from "./connections.js";
