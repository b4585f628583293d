/**
 * normalizer-prometheus: turns Prometheus payloads into normalized alerts.
 */
import { normalizePrometheus } from "@runframe/normalizers-prometheus";
import { runMain, serveNormalizer } from "@runframe/platform";
import { settings } from "./settings.js";

runMain(settings, (config) => serveNormalizer("prometheus", config, normalizePrometheus));
