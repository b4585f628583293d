import { describe, expect, it } from "vitest";
import { TRUNCATION_MARKER, charLength, truncate } from "./text.js";

const EMOJI = "😀"; // one code point, two UTF-16 units
const SCRIPT_A = "𝒜"; // one code point, two UTF-16 units

describe("charLength", () => {
  it("counts code points, not UTF-16 units", () => {
    expect(EMOJI.length).toBe(2);
    expect(charLength(EMOJI)).toBe(1);
    expect(charLength("")).toBe(0);
    expect(charLength("abc")).toBe(3);
    expect(charLength(`a${EMOJI}b${SCRIPT_A}`)).toBe(4);
    expect(charLength(EMOJI.repeat(500))).toBe(500);
  });

  it("counts a BMP character beyond ASCII as one", () => {
    expect(charLength("é…中")).toBe(3);
  });

  it("counts each unpaired surrogate as one, like string iteration", () => {
    for (const s of ["\ud83d", "\ude00", "a\ud83d", "\ude00\ud83d", `\ud83d${EMOJI}`]) {
      expect(charLength(s)).toBe([...s].length);
    }
  });
});

describe("truncate", () => {
  it("returns the string unchanged when it fits", () => {
    expect(truncate("hello", 5)).toBe("hello");
    expect(truncate(EMOJI.repeat(20), 20)).toBe(EMOJI.repeat(20));
    expect(truncate("", 0)).toBe("");
  });

  it("cuts so the result including the marker is exactly maxChars", () => {
    const result = truncate("x".repeat(100), 20);
    expect(result).toBe("x".repeat(20 - charLength(TRUNCATION_MARKER)) + TRUNCATION_MARKER);
    expect(charLength(result)).toBe(20);
  });

  it("cuts one character over the limit", () => {
    expect(truncate("abcdef", 5, "~")).toBe("abcd~");
  });

  it("never splits a surrogate pair", () => {
    const result = truncate(EMOJI.repeat(30), 20);
    expect(charLength(result)).toBe(20);
    expect(result).toBe(EMOJI.repeat(20 - charLength(TRUNCATION_MARKER)) + TRUNCATION_MARKER);
    expect(result).not.toMatch(/\p{Surrogate}/u);
  });

  it("counts the cut in code points when text mixes narrow and astral characters", () => {
    expect(truncate(`a${EMOJI}b${SCRIPT_A}c`, 4, "…")).toBe(`a${EMOJI}b…`);
  });

  it("accepts a custom or empty marker", () => {
    expect(truncate("abcdef", 3, "")).toBe("abc");
    expect(truncate("abcdef", 4, "[…]")).toBe("a[…]");
    expect(truncate("abcdef", 3, "...")).toBe("...");
  });

  it("refuses limits it cannot honour", () => {
    expect(() => truncate("abcdef", 2, "...")).toThrow(RangeError);
    expect(() => truncate("abc", -1)).toThrow(RangeError);
    expect(() => truncate("abc", 1.5)).toThrow(RangeError);
    expect(() => truncate("abc", Number.NaN)).toThrow(RangeError);
  });
});
