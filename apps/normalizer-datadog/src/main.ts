/**
 * normalizer-datadog: turns Datadog payloads into normalized alerts.
 */
import { normalizeDatadog } from "@runframe/normalizers-datadog";
import { runMain, serveNormalizer } from "@runframe/platform";
import { settings } from "./settings.js";

runMain(settings, (config) => serveNormalizer("datadog", config, normalizeDatadog));
