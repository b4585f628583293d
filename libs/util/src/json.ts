/**
 * Decoding of untrusted JSON request bodies. Every refusal is a
 * ValidationError on the field `body`, so a bad payload becomes a 400 with a
 * reason the sender can act on, never an internal error.
 */

import { ValidationError } from "./errors.js";

/** How deeply objects and arrays may nest unless the caller says otherwise. */
export const DEFAULT_MAX_JSON_DEPTH = 32;

/** Options of {@link decodeJsonObject}. */
export interface DecodeJsonOptions {
  /**
   * The deepest nesting of objects and arrays accepted; the top-level object
   * is level 1. Defaults to {@link DEFAULT_MAX_JSON_DEPTH}.
   */
  readonly maxDepth?: number;
}

/** The longest parser message passed on; V8's are far shorter. */
const MAX_REASON_LENGTH = 200;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a request body that must hold one JSON object.
 *
 * A leading UTF-8 byte order mark is tolerated because some Windows tools
 * send one. Nesting is measured with a linear scan before parsing, so a body
 * of 100000 nested arrays is refused without recursing at all.
 *
 * The result comes straight from JSON.parse: a `"__proto__"` key is an
 * ordinary own property and the prototype stays Object.prototype. Callers
 * must keep it that way: read keys with `Object.hasOwn` and copy with spread
 * or `Object.fromEntries`, never by assignment or `Object.assign`, whose
 * `__proto__` setter would swap the target's prototype.
 *
 * @throws ValidationError with one violation on `body` when the body is
 * empty, not UTF-8, not JSON, nested too deeply, or not an object.
 */
export function decodeJsonObject(
  body: Uint8Array,
  options?: DecodeJsonOptions,
): Record<string, unknown> {
  const maxDepth = options?.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`maxDepth must be a positive integer, got ${maxDepth}`);
  }
  if (body.length === 0) {
    throw refuse("must not be empty");
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw refuse("must be valid UTF-8");
  }
  if (/^[ \t\n\r]*$/.test(text)) {
    throw refuse("must not be empty");
  }
  if (exceedsDepth(text, maxDepth)) {
    throw refuse(`must not nest objects and arrays more than ${maxDepth} levels deep`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw refuse(`must be valid JSON: ${parserReason(error)}`);
  }
  if (!isJsonObject(value)) {
    throw refuse(`must be a JSON object, got ${describeJsonValue(value)}`);
  }
  return value;
}

/**
 * True when `value` is a JSON object: not null and not an array, which
 * `typeof` alone would let through.
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Names the JSON type of a parsed value with its article ("an array",
 * "null"), for messages that say what was sent instead of what was wanted.
 */
export function describeJsonValue(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "an array";
  }
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

function refuse(description: string): ValidationError {
  return new ValidationError([{ field: "body", description }]);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Tracks bracket depth outside strings. Brackets are not matched against
 * each other: a malformed body that stays shallow is left to JSON.parse to
 * describe.
 */
function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) {
        i++;
      } else if (c === QUOTE) {
        inString = false;
      }
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > maxDepth) {
        return true;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * V8 sometimes quotes the input around the error (`Unexpected token 'x',
 * "{"token": x" is not valid JSON`). The body may carry secrets and ends up
 * in responses and logs, so the quotation is cut off, and a message that
 * still quotes anything is replaced by a generic one.
 */
function parserReason(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  const quotation = message.indexOf(', "');
  const reason = quotation >= 0 ? message.slice(0, quotation) : message;
  if (reason === "" || reason.includes('"') || reason.length > MAX_REASON_LENGTH) {
    return "syntax error";
  }
  return reason;
}
