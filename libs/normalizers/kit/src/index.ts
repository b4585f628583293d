/**
 * The normalizer kit: what every provider's normalizer shares, so that each
 * provider's file holds only its own rules (which fields it reads, its dedup
 * and resolve rules, its severity table).
 *
 * - limits: the published limits of a normalized alert;
 * - text: lengths in code points, truncation with the marker;
 * - fields: readers of payload fields, one meaning each;
 * - links, time: the checks for URLs and the one strict time parser;
 * - violations: what a refused payload is told, in one wording;
 * - keys, metadata, alert: dedup keys (hashed when too long), metadata, and
 *   the alert of a native payload with the limits applied.
 *
 * Test support (fixtures, a harness) is in `@runframe/normalizers-kit/testing`.
 */
export * from "./alert.js";
export * from "./fields.js";
export * from "./keys.js";
export * from "./limits.js";
export * from "./links.js";
export * from "./metadata.js";
export * from "./text.js";
export * from "./time.js";
export * from "./violations.js";
