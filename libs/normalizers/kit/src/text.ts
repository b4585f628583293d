/**
 * Text helpers that count Unicode code points. The published webhook limits
 * are in characters, and JavaScript's `length` counts UTF-16 units, which
 * would refuse an emoji title at half the documented length.
 */

/** Default marker appended by {@link truncate}; says the text was cut. */
export const TRUNCATION_MARKER = "…[truncated]";

/**
 * The length of `s` in Unicode code points: "😀" is 1, not 2. An unpaired
 * surrogate counts as one, as it does when iterating the string.
 */
export function charLength(s: string): number {
  let length = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if (isHighSurrogate(s.charCodeAt(i)) && isLowSurrogate(s.charCodeAt(i + 1))) {
      length--;
      i++;
    }
  }
  return length;
}

/**
 * Returns `s` unchanged when it has at most `maxChars` code points; otherwise
 * cuts it and appends `marker` so that the result, marker included, is
 * exactly `maxChars` code points. The cut never splits a surrogate pair.
 *
 * Native payloads are not under the sender's control, so their over-long
 * fields are truncated visibly rather than refused.
 *
 * @throws RangeError when `maxChars` is not a non-negative integer or the
 * marker alone is longer than `maxChars`: a limit that small is a bug in
 * the caller, not something to paper over at run time.
 */
export function truncate(s: string, maxChars: number, marker = TRUNCATION_MARKER): string {
  if (!Number.isSafeInteger(maxChars) || maxChars < 0) {
    throw new RangeError(`maxChars must be a non-negative integer, got ${maxChars}`);
  }
  if (charLength(s) <= maxChars) {
    return s;
  }
  const keep = maxChars - charLength(marker);
  if (keep < 0) {
    throw new RangeError(`the marker is longer than maxChars (${maxChars})`);
  }
  return s.slice(0, offsetOfCodePoint(s, keep)) + marker;
}

/**
 * False when `s` holds a surrogate that is not half of a pair. A JSON escape
 * can produce one (`"\ud83d"`), and every encoder downstream would silently
 * replace it, so the custom schema refuses it.
 */
export function isWellFormed(s: string): boolean {
  return !/\p{Surrogate}/u.test(s);
}

/** The UTF-16 offset at which code point number `index` of `s` starts. */
function offsetOfCodePoint(s: string, index: number): number {
  let offset = 0;
  for (let n = 0; n < index && offset < s.length; n++) {
    const pair = isHighSurrogate(s.charCodeAt(offset)) && isLowSurrogate(s.charCodeAt(offset + 1));
    offset += pair ? 2 : 1;
  }
  return offset;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
