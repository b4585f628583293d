/**
 * normalizer-prometheus: turns Prometheus payloads into normalized alerts.
 */
import { normalizePrometheus } from "@runframe/normalizers-prometheus";
import { runNormalizerApp } from "@runframe/platform";

runNormalizerApp({
  provider: "prometheus",
  defaultPort: 7104,
  createNormalize: () => normalizePrometheus,
  env: process.env,
});
