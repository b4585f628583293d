/**
 * normalizer-pagerduty: turns PagerDuty Events API v2 events into normalized
 * alerts, whether they came to POST /v2/enqueue or to /webhooks/{routingKey}.
 */
import { normalizePagerDuty } from "@runframe/normalizers-pagerduty";
import { runMain, serveNormalizer } from "@runframe/platform";
import { settings } from "./settings.js";

runMain(settings, (config) => serveNormalizer("pagerduty", config, normalizePagerDuty));
