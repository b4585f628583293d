/**
 * normalizer-cloudwatch: turns CloudWatch alarms delivered by SNS into
 * normalized alerts. What an INSUFFICIENT_DATA state does (open at SEV4,
 * resolve, or nothing) is each integration's option; an integration that
 * names none gets RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA (default: open).
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
