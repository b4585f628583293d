import { normalizerSpecs } from "@runframe/platform";

/** Every setting of normalizer-pagerduty: the standard ones of a normalizer app. */
export const settings = normalizerSpecs("pagerduty");
