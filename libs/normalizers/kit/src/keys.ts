import { createHash } from "node:crypto";
import { DEDUP_KEY_MAX_CHARS } from "./limits.js";
import { charLength } from "./text.js";

/** The SHA-256 of `text`'s UTF-8 bytes, in lower-case hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The dedup key of a native alert: `<namespace>:<natural>`, where the
 * namespace keeps one provider's ids from matching another's.
 *
 * - No natural key (undefined or empty) gives `""`: nothing identifies the
 *   alert, so every such delivery opens its own incident, which beats
 *   merging unrelated alerts under a made-up key.
 * - A key over {@link DEDUP_KEY_MAX_CHARS} code points becomes
 *   `<namespace>:sha256:<hex of the whole key>`: hashing keeps distinct long
 *   keys distinct, where cutting them would merge them.
 */
export function dedupKey(namespace: string, natural: string | undefined): string {
  if (natural === undefined || natural === "") {
    return "";
  }
  const key = `${namespace}:${natural}`;
  return charLength(key) <= DEDUP_KEY_MAX_CHARS ? key : `${namespace}:sha256:${sha256Hex(key)}`;
}
