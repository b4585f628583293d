/**
 * normalizer-cloudwatch: turns CloudWatch alarms delivered by SNS into
 * normalized alerts. RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA decides what an
 * INSUFFICIENT_DATA state does: open at SEV4 (default), resolve, or nothing.
 */
import { createCloudWatchNormalizer } from "@runframe/normalizers-cloudwatch";
import { runMain, serveNormalizer } from "@runframe/platform";
import { settings } from "./settings.js";

runMain(settings, (config) =>
  serveNormalizer(
    "cloudwatch",
    config,
    createCloudWatchNormalizer({ insufficientData: config.RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA }),
  ),
);
