import { normalizerSpecs } from "@runframe/platform";

/** Every setting of normalizer-prometheus: the standard ones of a normalizer app. */
export const settings = normalizerSpecs("prometheus");
