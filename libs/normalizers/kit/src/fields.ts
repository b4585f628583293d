/**
 * Readers of a decoded JSON payload's fields. Each has one meaning and one
 * name, so a provider's code says which reading it wants:
 *
 * | reader        | gives                                                 |
 * |---------------|-------------------------------------------------------|
 * | `field`       | the value, whatever its type                          |
 * | `objectField` | a JSON object                                         |
 * | `arrayField`  | a JSON array                                          |
 * | `stringField` | a string, even an empty one, exactly as sent          |
 * | `textField`   | a string that is not blank, exactly as sent           |
 *
 * Every reader reads own properties only (a `__proto__` key in a payload is
 * just a key), reads JSON `null` as absent, and gives `undefined` for a
 * value of another type or a parent that is itself absent, so optional
 * objects chain without checks: `textField(objectField(issue, "project"), "slug")`.
 */

import { isJsonObject } from "@runframe/util";

/** A decoded JSON object, as `decodeJsonObject` returns it. */
export type JsonObject = Record<string, unknown>;

/** The value of `key`, or undefined when it is missing or JSON `null`. */
export function field(parent: JsonObject | undefined, key: string): unknown {
  if (parent === undefined || !Object.hasOwn(parent, key)) {
    return undefined;
  }
  const value = parent[key];
  return value === null ? undefined : value;
}

/** The value of `key` when it is a JSON object (not an array). */
export function objectField(parent: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = field(parent, key);
  return isJsonObject(value) ? value : undefined;
}

/** The value of `key` when it is a JSON array. */
export function arrayField(
  parent: JsonObject | undefined,
  key: string,
): readonly unknown[] | undefined {
  const value = field(parent, key);
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

/** The value of `key` when it is a string, empty or not, exactly as sent. */
export function stringField(parent: JsonObject | undefined, key: string): string | undefined {
  const value = field(parent, key);
  return typeof value === "string" ? value : undefined;
}

/**
 * The value of `key` when it is a string with something in it, exactly as
 * sent: an empty or white-space-only string is absent.
 */
export function textField(parent: JsonObject | undefined, key: string): string | undefined {
  const value = stringField(parent, key);
  return value === undefined || value.trim() === "" ? undefined : value;
}
