export * from "./mongo-incident-store.js";
