import { normalizerSpecs } from "@runframe/platform";
import { str } from "envalid";

/** Every setting of normalizer-cloudwatch. */
export const settings = {
  ...normalizerSpecs("cloudwatch"),
  RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA: str({
    choices: ["trigger", "resolve", "ignore"],
    default: "trigger",
    desc: "what INSUFFICIENT_DATA does where an integration's options say nothing: open at SEV4, resolve the open incident, or nothing",
  }),
};
