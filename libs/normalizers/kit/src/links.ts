import { SOURCE_URL_MAX_CHARS } from "./limits.js";
import { charLength } from "./text.js";

/**
 * True when `value` is a link safe to store and render: an absolute http(s)
 * URL of at most {@link SOURCE_URL_MAX_CHARS} characters, written out in
 * full. The WHATWG parser accepts `http:example.com`, strips embedded tabs
 * and newlines and trims spaces; the stored string is the one sent, so it
 * must already be the plain form, with no white space or control characters.
 *
 * The custom schema refuses a `source_url` that fails this check; native
 * normalizers drop such a link (a cut URL points nowhere).
 */
export function isHttpUrl(value: unknown): value is string {
  return (
    typeof value === "string" &&
    charLength(value) <= SOURCE_URL_MAX_CHARS &&
    /^https?:\/\//i.test(value) &&
    !/[\s\p{Cc}]/u.test(value) &&
    URL.canParse(value)
  );
}
