/**
 * normalizer-custom: turns Custom payloads into normalized alerts.
 */
import { normalizeCustom } from "@runframe/normalizers-custom";
import { runNormalizerApp } from "@runframe/platform";

runNormalizerApp({
  provider: "custom",
  defaultPort: 7101,
  createNormalize: () => normalizeCustom,
  env: process.env,
});
