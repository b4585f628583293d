import { IngestRequestSchema, ListIncidentsRequestSchema } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { unknownJsonFields } from "./strict-json.js";

describe("unknownJsonFields", () => {
  it("accepts JSON names and proto names", () => {
    expect(
      unknownJsonFields(ListIncidentsRequestSchema, { pageSize: 1, page_token: "x", status: 1 }),
    ).toEqual([]);
  });

  it("names every unknown key with its path, inside messages, lists and maps", () => {
    expect(
      unknownJsonFields(IngestRequestSchema, {
        organizationId: "o",
        orgId: "o",
        receiveTime: "2026-01-01T00:00:00Z",
        alerts: [{ title: "t", metadata: { anything: "goes" } }, { titel: "t" }],
      }),
    ).toEqual([
      { field: "orgId", description: "is not a field of runframe.incident.v1.IngestRequest" },
      {
        field: "alerts[1].titel",
        description: "is not a field of runframe.normalizer.v1.NormalizedAlert",
      },
    ]);
  });

  it("leaves values that are not objects to the JSON parser", () => {
    expect(unknownJsonFields(ListIncidentsRequestSchema, [1, 2])).toEqual([]);
    expect(unknownJsonFields(ListIncidentsRequestSchema, "x")).toEqual([]);
  });
});
