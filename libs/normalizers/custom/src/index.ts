/**
 * The Custom Webhook normalizer: Runframe's own published JSON schema, turned
 * into one provider-independent alert.
 */
export * from "./normalize.js";
