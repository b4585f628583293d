/**
 * normalizer-custom: turns Custom payloads into normalized alerts.
 */
import { normalizeCustom } from "@runframe/normalizers-custom";
import { runMain, serveNormalizer } from "@runframe/platform";
import { settings } from "./settings.js";

runMain(settings, (config) => serveNormalizer("custom", config, normalizeCustom));
