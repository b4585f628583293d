/**
 * The CloudWatch normalizer: AWS CloudWatch alarm state changes delivered by
 * SNS, turned into provider-independent alerts.
 */
export * from "./normalize.js";
