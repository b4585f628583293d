export * from "./mongo-incident-store.js";
export * from "./sqlite-incident-store.js";
