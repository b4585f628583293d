/**
 * normalizer-sentry: turns Sentry payloads into normalized alerts.
 */
import { normalizeSentry } from "@runframe/normalizers-sentry";
import { runMain, serveNormalizer } from "@runframe/platform";
import { settings } from "./settings.js";

runMain(settings, (config) => serveNormalizer("sentry", config, normalizeSentry));
