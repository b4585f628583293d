import { normalizerSpecs } from "@runframe/platform";
import { str } from "envalid";

/** Every setting of normalizer-cloudwatch. */
export const settings = {
  ...normalizerSpecs("cloudwatch"),
  RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA: str({
    choices: ["trigger", "resolve", "ignore"],
    default: "trigger",
    desc: "what an alarm entering INSUFFICIENT_DATA does: open an incident at SEV4, resolve the open one, or nothing",
  }),
};
