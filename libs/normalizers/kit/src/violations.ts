import { ValidationError, describeJsonValue, isJsonObject, type Violation } from "@runframe/util";
import type { JsonObject } from "./fields.js";

/**
 * Collects what is wrong with a payload, so that one 400 names every bad
 * field and a sender fixes a payload in one round trip. The wording is the
 * same for every provider: `is required`, `must be a string, got a number`,
 * `must be one of SEV0, SEV1, …`.
 *
 * Each typed reader returns the value when it has the type, and otherwise
 * records why not and returns undefined. An absent value (undefined, which
 * is what the field readers make of JSON `null`) is recorded only when the
 * caller says what to record (`ifMissing`, e.g. "is required"); without it
 * the field is optional.
 */
export class Violations {
  readonly #list: Violation[] = [];

  /** Every violation recorded so far, in order. */
  get list(): readonly Violation[] {
    return this.#list;
  }

  /** Records that `field` is refused and why. */
  add(field: string, description: string): void {
    this.#list.push({ field, description });
  }

  /** Records that `value` is not what `field` must be: "must be `expected`, got …". */
  mustBe(field: string, expected: string, value: unknown): void {
    this.add(field, `must be ${expected}, got ${describeJsonValue(value)}`);
  }

  string(field: string, value: unknown, ifMissing?: string): string | undefined {
    return this.#typed(field, value, "a string", isString, ifMissing);
  }

  object(field: string, value: unknown, ifMissing?: string): JsonObject | undefined {
    return this.#typed(field, value, "an object", isJsonObject, ifMissing);
  }

  array(field: string, value: unknown, ifMissing?: string): readonly unknown[] | undefined {
    return this.#typed(field, value, "an array", Array.isArray, ifMissing);
  }

  /** A string that is one of `allowed`'s keys, read as its value. */
  oneOf<T>(
    field: string,
    value: unknown,
    allowed: ReadonlyMap<string, T>,
    ifMissing?: string,
  ): T | undefined {
    const name = this.string(field, value, ifMissing);
    const mapped = name === undefined ? undefined : allowed.get(name);
    if (name !== undefined && mapped === undefined) {
      this.add(field, `must be one of ${[...allowed.keys()].join(", ")}`);
    }
    return mapped;
  }

  /** The error naming every violation recorded. */
  error(): ValidationError {
    return new ValidationError([...this.#list]);
  }

  /** Throws {@link error} when anything was recorded. */
  throwIfAny(): void {
    if (this.#list.length > 0) {
      throw this.error();
    }
  }

  #typed<T>(
    field: string,
    value: unknown,
    expected: string,
    test: (value: unknown) => value is T,
    ifMissing: string | undefined,
  ): T | undefined {
    if (value === undefined) {
      if (ifMissing !== undefined) {
        this.add(field, ifMissing);
      }
      return undefined;
    }
    if (!test(value)) {
      this.mustBe(field, expected, value);
      return undefined;
    }
    return value;
  }
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}
