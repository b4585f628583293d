import { normalizerSpecs } from "@runframe/platform";

/** Every setting of normalizer-datadog: the standard ones of a normalizer app. */
export const settings = normalizerSpecs("datadog");
