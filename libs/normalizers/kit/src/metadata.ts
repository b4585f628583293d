import { METADATA_KEY_MAX_CHARS, METADATA_MAX_KEYS, METADATA_VALUE_MAX_CHARS } from "./limits.js";
import { charLength, truncate } from "./text.js";

/**
 * A native alert's metadata from candidate pairs listed most useful first:
 * the first {@link METADATA_MAX_KEYS} usable pairs, each value cut to
 * {@link METADATA_VALUE_MAX_CHARS} with the marker.
 *
 * A pair is skipped, never refused (native payloads are not under the
 * sender's control), when its value is absent or empty, its key was already
 * taken by an earlier pair, or its key cannot be a metadata key: empty,
 * longer than {@link METADATA_KEY_MAX_CHARS}, or `__proto__`, which
 * protobuf-es maps (plain objects) drop on serialization.
 */
export function buildMetadata(
  candidates: Iterable<readonly [string, string | undefined]>,
): Record<string, string> {
  const chosen = new Map<string, string>();
  for (const [key, value] of candidates) {
    if (chosen.size === METADATA_MAX_KEYS) {
      break;
    }
    if (value !== undefined && value !== "" && !chosen.has(key) && isUsableKey(key)) {
      chosen.set(key, truncate(value, METADATA_VALUE_MAX_CHARS));
    }
  }
  // fromEntries defines properties, so no key can reach a prototype setter.
  return Object.fromEntries(chosen);
}

function isUsableKey(key: string): boolean {
  return key !== "" && key !== "__proto__" && charLength(key) <= METADATA_KEY_MAX_CHARS;
}
