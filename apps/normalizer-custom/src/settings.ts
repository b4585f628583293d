import { normalizerSpecs } from "@runframe/platform";

/** Every setting of normalizer-custom: the standard ones of a normalizer app. */
export const settings = normalizerSpecs("custom");
