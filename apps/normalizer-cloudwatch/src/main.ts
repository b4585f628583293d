/**
 * normalizer-cloudwatch: turns CloudWatch alarms delivered by SNS into
 * normalized alerts. RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA decides what an
 * INSUFFICIENT_DATA state does: open at SEV4 (default), resolve, or nothing.
 */
import { createCloudWatchNormalizer } from "@runframe/normalizers-cloudwatch";
import { runNormalizerApp } from "@runframe/platform";
import { str } from "envalid";

runNormalizerApp({
  provider: "cloudwatch",
  defaultPort: 7105,
  settings: {
    RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA: str({
      choices: ["trigger", "resolve", "ignore"],
      default: "trigger",
    }),
  },
  createNormalize: (settings) =>
    createCloudWatchNormalizer({
      insufficientData: settings.RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA as
        "trigger" | "resolve" | "ignore",
    }),
  env: process.env,
});
