/**
 * The Sentry normalizer: integration-platform webhooks (issue, event_alert,
 * error, metric_alert) and the legacy webhooks plugin, turned into
 * provider-independent alerts. Signatures are verified by the auth service,
 * before this code sees the body.
 */
export * from "./normalize.js";
