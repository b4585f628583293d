/**
 * The limits of a normalized alert, in Unicode code points. The Custom
 * Webhook schema publishes them and refuses a payload that breaks them with
 * a 400; the native normalizers cut over-long text with a marker instead,
 * because a native payload is not under its sender's control.
 */

/** `title`: published limit. */
export const TITLE_MAX_CHARS = 500;
/** `service_id`: published limit (ids look like `SER-00001`). */
export const SERVICE_ID_MAX_CHARS = 50;
/** `description`: published limit. */
export const DESCRIPTION_MAX_CHARS = 5000;
/** `dedup_key`: published limit; native normalizers hash longer natural keys. */
export const DEDUP_KEY_MAX_CHARS = 255;
/** `metadata`: published limit on the number of keys. */
export const METADATA_MAX_KEYS = 10;
/**
 * `source_url`: our limit, as the public docs name none (README,
 * "Decisions"): the length browsers and most servers reliably handle. A cut
 * link points nowhere, so native normalizers drop a longer one.
 */
export const SOURCE_URL_MAX_CHARS = 2048;
/**
 * `metadata` keys: our limit, as the public docs name none. 100 characters
 * is ample for a label while keeping one incident's context small.
 */
export const METADATA_KEY_MAX_CHARS = 100;
/**
 * `metadata` values: our limit, as the public docs name none. 1000
 * characters hold a stack-trace line or a query, and ten of them stay well
 * below the description's size.
 */
export const METADATA_VALUE_MAX_CHARS = 1000;
