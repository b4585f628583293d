/**
 * The Datadog normalizer: one webhook built from a Datadog payload template
 * (the documented default, or src/recommended-template.json), turned
 * into one provider-independent alert.
 */
export * from "./normalize.js";
