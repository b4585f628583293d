/**
 * The PagerDuty normalizer: PagerDuty Events API v2 events (trigger,
 * acknowledge, resolve), turned into one provider-independent alert each.
 */
export * from "./normalize.js";
