/**
 * The Prometheus normalizer: Alertmanager webhook notifications (payload
 * version 4), turned into one provider-independent alert per grouped alert,
 * or into occurrences of one incident per group (the integration's option).
 */
export * from "./normalize.js";
