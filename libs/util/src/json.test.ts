import { describe, expect, it } from "vitest";
import { ValidationError, type Violation } from "./errors.js";
import {
  DEFAULT_MAX_JSON_DEPTH,
  decodeJsonObject,
  describeJsonValue,
  isJsonObject,
} from "./json.js";

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The single violation decodeJsonObject must report for `body`. */
function refusal(body: Uint8Array | string, maxDepth?: number): Violation {
  const bytes = typeof body === "string" ? encode(body) : body;
  let caught: unknown;
  try {
    decodeJsonObject(bytes, maxDepth === undefined ? undefined : { maxDepth });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const violations = (caught as ValidationError).violations;
  expect(violations).toHaveLength(1);
  expect(violations[0]!.field).toBe("body");
  return violations[0]!;
}

/** n arrays nested in each other, innermost empty. */
const nestedArrays = (n: number): string => "[".repeat(n) + "]".repeat(n);

/** An object whose value nests so that the whole body is `depth` levels deep. */
const objectOfDepth = (depth: number): string => `{"a":${nestedArrays(depth - 1)}}`;

describe("decodeJsonObject", () => {
  it("returns the parsed object", () => {
    expect(decodeJsonObject(encode('{"a":1,"b":[true,null],"c":{"d":"é😀"}}'))).toEqual({
      a: 1,
      b: [true, null],
      c: { d: "é😀" },
    });
  });

  it("accepts surrounding whitespace", () => {
    expect(decodeJsonObject(encode(' \r\n\t{"a":1}\n'))).toEqual({ a: 1 });
  });

  it("tolerates a leading UTF-8 byte order mark", () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...encode('{"a":"b"}')]);
    expect(decodeJsonObject(body)).toEqual({ a: "b" });
  });

  it("refuses an empty body", () => {
    expect(refusal(new Uint8Array()).description).toBe("must not be empty");
  });

  it("refuses a body of only whitespace or only a byte order mark as empty", () => {
    expect(refusal(" \n\t ").description).toBe("must not be empty");
    expect(refusal(new Uint8Array([0xef, 0xbb, 0xbf])).description).toBe("must not be empty");
  });

  it.each([
    ["a lone continuation byte", [0x7b, 0x80, 0x7d]],
    ["a truncated two-byte sequence", [0x22, 0xc3]],
    ["an overlong encoding", [0xc0, 0xaf]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["a byte that never occurs in UTF-8", [0xff]],
  ])("refuses invalid UTF-8: %s", (_name, bytes) => {
    const body = new Uint8Array([...encode('{"a":"'), ...bytes, ...encode('"}')]);
    expect(refusal(body).description).toBe("must be valid UTF-8");
  });

  it.each([
    ["an unterminated object", '{"a":1'],
    ["a trailing comma", '{"a":1,}'],
    ["single quotes", "{'a':1}"],
    ["an unquoted key", "{a:1}"],
    ["trailing garbage", '{"a":1} x'],
    ["two objects", '{"a":1}{"b":2}'],
    ["a bare word", "hello"],
  ])("refuses malformed JSON: %s", (_name, text) => {
    expect(refusal(text).description).toMatch(/^must be valid JSON: \S/);
  });

  it("gives the parser's reason without quoting the body", () => {
    const secret = "hunter2-secret";
    for (const text of [
      `{"password":"${secret}" x}`,
      `{"password":"${secret}",}`,
      `[1,,"${secret}"]`,
      `{"k": ${secret}}`,
    ]) {
      const { description } = refusal(text);
      expect(description).toMatch(/^must be valid JSON: /);
      expect(description).not.toContain("hunter");
      expect(description).not.toContain('"');
    }
  });

  it.each([
    ["an array", "[1,2]"],
    ["an array", "[]"],
    ["a string", '"text"'],
    ["a number", "42"],
    ["a number", "-1.5e3"],
    ["a boolean", "true"],
    ["null", "null"],
  ])("refuses a top-level value that is not an object: %s", (kind, text) => {
    expect(refusal(text).description).toBe(`must be a JSON object, got ${kind}`);
  });

  it(`accepts nesting of exactly ${DEFAULT_MAX_JSON_DEPTH} levels by default`, () => {
    expect(decodeJsonObject(encode(objectOfDepth(DEFAULT_MAX_JSON_DEPTH)))).toHaveProperty("a");
  });

  it(`refuses nesting of ${DEFAULT_MAX_JSON_DEPTH + 1} levels by default`, () => {
    expect(refusal(objectOfDepth(DEFAULT_MAX_JSON_DEPTH + 1)).description).toBe(
      `must not nest objects and arrays more than ${DEFAULT_MAX_JSON_DEPTH} levels deep`,
    );
  });

  it("counts objects and arrays alike", () => {
    expect(decodeJsonObject(encode('{"a":{"b":[{}]}}'), { maxDepth: 4 })).toBeDefined();
    expect(refusal('{"a":{"b":[{"c":[]}]}}', 4).description).toMatch(/more than 4 levels/);
  });

  it("counts depth, not the number of containers", () => {
    const siblings = `{"a":[${Array.from({ length: 1000 }, () => "[[]]").join(",")}]}`;
    expect(decodeJsonObject(encode(siblings), { maxDepth: 4 })).toHaveProperty("a");
    expect(refusal(siblings, 3).description).toMatch(/more than 3 levels/);
  });

  it("ignores brackets inside strings, including after escaped quotes and backslashes", () => {
    const text = JSON.stringify({
      a: "[".repeat(100),
      b: '\\"[[[[{{{{',
      c: "\\",
      d: "{{{{{{",
      e: { f: '"]]]]' },
    });
    expect(decodeJsonObject(encode(text), { maxDepth: 2 })).toHaveProperty("e.f", '"]]]]');
  });

  it("refuses 100000 nested arrays cleanly, without exhausting the stack", () => {
    for (const text of [
      "[".repeat(100_000),
      nestedArrays(100_000),
      `{"a":${nestedArrays(100_000)}}`,
    ]) {
      expect(refusal(text).description).toMatch(/more than 32 levels deep/);
    }
  });

  it("refuses deep nesting before looking at the top-level type", () => {
    expect(refusal(nestedArrays(40)).description).toMatch(/levels deep/);
  });

  it("keeps __proto__ an own property and never changes the prototype", () => {
    const result = decodeJsonObject(
      encode('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    );
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, "__proto__")).toBe(true);
    expect(Object.keys(result)).toEqual(["__proto__", "constructor"]);
    expect(result).not.toHaveProperty("polluted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("refuses a maxDepth that is not a positive integer", () => {
    for (const maxDepth of [0, -1, 1.5, Number.NaN]) {
      expect(() => decodeJsonObject(encode("{}"), { maxDepth })).toThrow(RangeError);
    }
  });
});

describe("isJsonObject", () => {
  it("is true only for non-null, non-array objects", () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject({ a: 1 })).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject("{}")).toBe(false);
    expect(isJsonObject(1)).toBe(false);
    expect(isJsonObject(undefined)).toBe(false);
  });
});

describe("describeJsonValue", () => {
  it("names every JSON type with its article", () => {
    expect([{}, [], "", 0, false, null].map(describeJsonValue)).toEqual([
      "an object",
      "an array",
      "a string",
      "a number",
      "a boolean",
      "null",
    ]);
  });
});
