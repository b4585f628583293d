/**
 * normalizer-cloudwatch: turns CloudWatch payloads into normalized alerts.
 */
import { normalizeCloudWatch } from "@runframe/normalizers-cloudwatch";
import { runNormalizerApp } from "@runframe/platform";

runNormalizerApp({
  provider: "cloudwatch",
  defaultPort: 7105,
  normalize: normalizeCloudWatch,
  env: process.env,
});
