import { describe, expect, it } from "vitest";
import { parseTime, type TimeFormat } from "./time.js";

const iso = (value: unknown, format: TimeFormat): string | undefined =>
  parseTime(value, format)?.toISOString();

/** One row of the table below: what each format makes of `text`. */
interface Row {
  readonly text: string;
  readonly rfc3339: string | undefined;
  readonly iso8601: string | undefined;
}

describe("parseTime: text", () => {
  it.each`
    text                                | rfc3339                       | iso8601
    ${"2026-11-27T11:50:00Z"}           | ${"2026-11-27T11:50:00.000Z"} | ${"2026-11-27T11:50:00.000Z"}
    ${"2026-11-27t11:50:00z"}           | ${"2026-11-27T11:50:00.000Z"} | ${"2026-11-27T11:50:00.000Z"}
    ${"2026-11-27T11:50:00.123456789Z"} | ${"2026-11-27T11:50:00.123Z"} | ${"2026-11-27T11:50:00.123Z"}
    ${"2026-11-27T11:50:00.5+02:00"}    | ${"2026-11-27T09:50:00.500Z"} | ${"2026-11-27T09:50:00.500Z"}
    ${"2026-11-27T11:58:30.123+0000"}   | ${"2026-11-27T11:58:30.123Z"} | ${"2026-11-27T11:58:30.123Z"}
    ${"2026-11-27T06:28:41-0530"}       | ${"2026-11-27T11:58:41.000Z"} | ${"2026-11-27T11:58:41.000Z"}
    ${"2024-02-29T00:00:00Z"}           | ${"2024-02-29T00:00:00.000Z"} | ${"2024-02-29T00:00:00.000Z"}
    ${"0099-01-01T00:00:00Z"}           | ${"0099-01-01T00:00:00.000Z"} | ${"0099-01-01T00:00:00.000Z"}
    ${"0001-01-01T00:00:00.001Z"}       | ${"0001-01-01T00:00:00.001Z"} | ${"0001-01-01T00:00:00.001Z"}
    ${"9999-12-31T23:59:59.999999Z"}    | ${"9999-12-31T23:59:59.999Z"} | ${"9999-12-31T23:59:59.999Z"}
    ${"2026-11-27 11:58"}               | ${undefined}                  | ${"2026-11-27T11:58:00.000Z"}
    ${"2026-11-27 11:50:00Z"}           | ${undefined}                  | ${"2026-11-27T11:50:00.000Z"}
    ${"2026-11-27T11:50Z"}              | ${undefined}                  | ${"2026-11-27T11:50:00.000Z"}
    ${"2026-11-27T11:58:41"}            | ${undefined}                  | ${"2026-11-27T11:58:41.000Z"}
    ${" 2026-11-27T13:58:41+02:00\n"}   | ${undefined}                  | ${"2026-11-27T11:58:41.000Z"}
    ${"2026-02-30T00:00:00Z"}           | ${undefined}                  | ${undefined}
    ${"2026-11-27T24:00:00Z"}           | ${undefined}                  | ${undefined}
    ${"2026-11-27T23:59:60Z"}           | ${undefined}                  | ${undefined}
    ${"2026-11-27T11:50:00+25:00"}      | ${undefined}                  | ${undefined}
    ${"0001-01-01T00:00:00Z"}           | ${undefined}                  | ${undefined}
    ${"0001-01-01T00:30:00+01:00"}      | ${undefined}                  | ${undefined}
    ${"+275760-09-13T00:00:00Z"}        | ${undefined}                  | ${undefined}
    ${"Fri, 27 Nov 2026 11:50:00 GMT"}  | ${undefined}                  | ${undefined}
    ${"2026-11-27"}                     | ${undefined}                  | ${undefined}
    ${"1"}                              | ${undefined}                  | ${undefined}
    ${""}                               | ${undefined}                  | ${undefined}
  `("$text: rfc3339 $rfc3339, iso8601 $iso8601", ({ text, rfc3339, iso8601 }: Row) => {
    expect(iso(text, "rfc3339")).toBe(rfc3339);
    expect(iso(text, "iso8601")).toBe(iso8601);
  });

  it("refuses impossible dates rather than rolling them over as Date.parse does", () => {
    expect(new Date(Date.parse("2026-02-30T00:00:00Z")).toISOString()).toBe(
      "2026-03-02T00:00:00.000Z",
    );
    expect(parseTime("2026-02-30T00:00:00Z", "rfc3339")).toBeUndefined();
  });

  it.each([undefined, null, true, {}, 1795780200000])("refuses %j, which is no text", (value) => {
    expect(iso(value, "rfc3339")).toBeUndefined();
    expect(iso(value, "iso8601")).toBeUndefined();
  });
});

describe("parseTime: epoch numbers", () => {
  it("reads numbers only when told their unit", () => {
    expect(parseTime(1795780752.677, "iso8601")).toBeUndefined();
    expect(parseTime(1795780752.677, "iso8601", "seconds")?.toISOString()).toBe(
      "2026-11-27T11:59:12.677Z",
    );
  });

  it("tells seconds from milliseconds by size when asked to", () => {
    const unit = "seconds-or-milliseconds";
    expect(parseTime(1795780740, "iso8601", unit)?.toISOString()).toBe("2026-11-27T11:59:00.000Z");
    expect(parseTime(1795780740000, "iso8601", unit)?.toISOString()).toBe(
      "2026-11-27T11:59:00.000Z",
    );
    expect(parseTime(1795780740000, "iso8601", "seconds")).toBeUndefined();
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, 1e20])("refuses %d", (value) => {
    expect(parseTime(value, "iso8601", "seconds")).toBeUndefined();
    expect(parseTime(value, "iso8601", "seconds-or-milliseconds")).toBeUndefined();
  });

  it("keeps the last instant a Timestamp holds and refuses the next", () => {
    const unit = "seconds-or-milliseconds";
    expect(parseTime(253_402_300_799_999, "iso8601", unit)?.toISOString()).toBe(
      "9999-12-31T23:59:59.999Z",
    );
    expect(parseTime(253_402_300_800_000, "iso8601", unit)).toBeUndefined();
  });
});
