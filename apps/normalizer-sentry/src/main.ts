/**
 * normalizer-sentry: turns Sentry payloads into normalized alerts.
 */
import { normalizeSentry } from "@runframe/normalizers-sentry";
import { runNormalizerApp } from "@runframe/platform";

runNormalizerApp({
  provider: "sentry",
  defaultPort: 7103,
  createNormalize: () => normalizeSentry,
  env: process.env,
});
