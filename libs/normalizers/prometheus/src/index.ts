/**
 * The Prometheus normalizer: Alertmanager webhook notifications (payload
 * version 4), turned into one provider-independent alert per grouped alert.
 */
export * from "./normalize.js";
