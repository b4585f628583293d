import { normalizerSpecs } from "@runframe/platform";

/** Every setting of normalizer-sentry: the standard ones of a normalizer app. */
export const settings = normalizerSpecs("sentry");
