/**
 * normalizer-datadog: turns Datadog payloads into normalized alerts.
 */
import { normalizeDatadog } from "@runframe/normalizers-datadog";
import { runNormalizerApp } from "@runframe/platform";

runNormalizerApp({
  provider: "datadog",
  defaultPort: 7102,
  createNormalize: () => normalizeDatadog,
  env: process.env,
});
