import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { AlertAction, IncidentStatus, IntegrationSchema, Severity } from "@runframe/contracts";
import { ValidationError } from "@runframe/util";
import { describe, expect, it } from "vitest";
import {
  DEDUP_KEY_MAX_CHARS,
  METADATA_MAX_KEYS,
  SEVERITY_BY_NAME,
  SOURCE_URL_MAX_CHARS,
  Violations,
  arrayField,
  buildMetadata,
  dedupKey,
  field,
  isHttpUrl,
  nativeAlert,
  objectField,
  severityOverride,
  severityTable,
  stringField,
  textField,
  type NativeAlertDraft,
} from "./index.js";
import { expectTruncated, occurredAt } from "./testing.js";

const ASTRAL = "😀"; // one character, two UTF-16 units

describe("field readers", () => {
  const payload = JSON.parse(
    '{"__proto__":{"x":"p"},"nothing":null,"empty":"","blank":" \\n","text":" t ","n":1,"list":[1],"obj":{"a":"b"}}',
  ) as Record<string, unknown>;

  it("read own properties only, and JSON null as absent", () => {
    expect(field(payload, "__proto__")).toEqual({ x: "p" });
    expect(field(payload, "toString")).toBeUndefined();
    expect(field(payload, "nothing")).toBeUndefined();
    expect(field(undefined, "text")).toBeUndefined();
  });

  it("each give one type, and nothing for another", () => {
    expect(stringField(payload, "empty")).toBe("");
    expect(stringField(payload, "n")).toBeUndefined();
    expect(textField(payload, "blank")).toBeUndefined();
    expect(textField(payload, "text")).toBe(" t ");
    expect(objectField(payload, "obj")).toEqual({ a: "b" });
    expect(objectField(payload, "list")).toBeUndefined();
    expect(arrayField(payload, "list")).toEqual([1]);
    expect(arrayField(payload, "obj")).toBeUndefined();
  });

  it("chain through absent objects", () => {
    expect(textField(objectField(payload, "missing"), "a")).toBeUndefined();
    expect(textField(objectField(payload, "obj"), "a")).toBe("b");
  });
});

describe("isHttpUrl", () => {
  const ofLength = (chars: number, filler: string): string => {
    const prefix = "https://example.com/";
    return prefix + filler.repeat(chars - prefix.length);
  };

  it.each(["x", ASTRAL])(
    `accepts exactly ${SOURCE_URL_MAX_CHARS} characters and refuses one more (%s)`,
    (filler) => {
      expect(isHttpUrl(ofLength(SOURCE_URL_MAX_CHARS, filler))).toBe(true);
      expect(isHttpUrl(ofLength(SOURCE_URL_MAX_CHARS + 1, filler))).toBe(false);
    },
  );

  it.each(["https://example.com", "HTTP://Example.COM/x?q=1#f", "https://[::1]:3000/x"])(
    "accepts %s",
    (url) => {
      expect(isHttpUrl(url)).toBe(true);
    },
  );

  it.each([
    "",
    "example.com",
    "//example.com/x",
    "ftp://example.com/",
    "javascript:alert(1)",
    "http:example.com",
    "https://",
    " https://example.com",
    "https://example.com/a\tb",
    42,
    null,
  ])("refuses %j", (url) => {
    expect(isHttpUrl(url)).toBe(false);
  });
});

describe("dedupKey", () => {
  const sha256 = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

  it("is empty when nothing identifies the alert", () => {
    expect(dedupKey("ns", undefined)).toBe("");
    expect(dedupKey("ns", "")).toBe("");
  });

  it("namespaces the natural key, and hashes the whole key when it is too long", () => {
    const room = DEDUP_KEY_MAX_CHARS - "ns:".length;
    expect(dedupKey("ns", ASTRAL.repeat(room))).toBe(`ns:${ASTRAL.repeat(room)}`);
    const long = ASTRAL.repeat(room + 1);
    expect(dedupKey("ns", long)).toBe(`ns:sha256:${sha256(`ns:${long}`)}`);
  });
});

describe("buildMetadata", () => {
  it("keeps usable pairs in order, the first of each key", () => {
    const metadata = buildMetadata([
      ["a", "1"],
      ["skipped", undefined],
      ["empty", ""],
      ["blank", " "],
      ["a", "again"],
      ["", "no key"],
      ["__proto__", "reserved"],
      ["k".repeat(101), "too long a key"],
      ["k".repeat(100), "ok"],
    ]);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.entries(metadata)).toEqual([
      ["a", "1"],
      ["blank", " "],
      ["k".repeat(100), "ok"],
    ]);
  });

  it(`keeps at most ${METADATA_MAX_KEYS} pairs and cuts long values with the marker`, () => {
    const pairs = Array.from({ length: 12 }, (_, i) => [`k${i}`, "v".repeat(1001)] as const);
    const metadata = buildMetadata(pairs);
    expect(Object.keys(metadata)).toEqual(pairs.slice(0, METADATA_MAX_KEYS).map(([key]) => key));
    expectTruncated(metadata["k0"]!, 1000);
  });
});

describe("Violations", () => {
  it("gives a value of the wanted type and names the type of any other", () => {
    const violations = new Violations();
    expect(violations.string("a", "x")).toBe("x");
    expect(violations.string("b", 1)).toBeUndefined();
    expect(violations.object("c", null)).toBeUndefined();
    expect(violations.array("d", {})).toBeUndefined();
    expect(violations.list.map((v) => `${v.field} ${v.description}`)).toEqual([
      "b must be a string, got a number",
      "c must be an object, got null",
      "d must be an array, got an object",
    ]);
  });

  it("records an absent value only when told what to say", () => {
    const violations = new Violations();
    expect(violations.string("optional", undefined)).toBeUndefined();
    expect(violations.object("data", undefined, "is required for the issue resource")).toBe(
      undefined,
    );
    expect(violations.list).toEqual([
      { field: "data", description: "is required for the issue resource" },
    ]);
  });

  it("maps one of a table's names and lists them all otherwise", () => {
    const violations = new Violations();
    expect(violations.oneOf("severity", "SEV1", SEVERITY_BY_NAME)).toBe(Severity.SEV1);
    expect(violations.oneOf("severity", "SEV9", SEVERITY_BY_NAME)).toBeUndefined();
    violations.mustBe("id", "a string or an integer", []);
    expect(violations.list.map((v) => v.description)).toEqual([
      "must be one of SEV0, SEV1, SEV2, SEV3, SEV4",
      "must be a string or an integer, got an array",
    ]);
  });

  it("throws every violation at once, and nothing when there is none", () => {
    const violations = new Violations();
    expect(() => violations.throwIfAny()).not.toThrow();
    violations.add("a", "x");
    violations.add("b", "y");
    expect(() => violations.throwIfAny()).toThrow(ValidationError);
    expect(violations.error().violations).toEqual(violations.list);
    expect(violations.error().message).toBe("a: x (and 1 more)");
  });
});

describe("severity tables", () => {
  it("read the way provider documentation does", () => {
    const table = severityTable({ SEV1: ["fatal"], SEV4: ["info", "debug"] });
    expect([...table]).toEqual([
      ["fatal", Severity.SEV1],
      ["info", Severity.SEV4],
      ["debug", Severity.SEV4],
    ]);
  });

  it("give way to an integration's override, matched ignoring case, own keys only", () => {
    const integration = create(IntegrationSchema, {
      options: { severityOverrides: { critical: Severity.SEV0 } },
    });
    expect(severityOverride(integration, " CRITICAL ")).toBe(Severity.SEV0);
    expect(severityOverride(integration, "warning")).toBeUndefined();
    expect(severityOverride(integration, "constructor")).toBeUndefined();
    expect(severityOverride(integration, undefined)).toBeUndefined();
    expect(severityOverride(create(IntegrationSchema), "critical")).toBeUndefined();
  });

  it("name the public severities in order", () => {
    expect([...SEVERITY_BY_NAME.keys()]).toEqual(["SEV0", "SEV1", "SEV2", "SEV3", "SEV4"]);
  });
});

describe("nativeAlert", () => {
  const draft: NativeAlertDraft = {
    action: AlertAction.TRIGGER,
    title: "t".repeat(501),
    description: "d".repeat(5001),
    severity: Severity.SEV2,
    serviceId: "SER-00001",
    links: [undefined, "/relative", "https://example.com/a", "https://example.com/b"],
    namespace: "ns",
    naturalKey: "k",
    metadata: [["a", "1"]],
    occurTime: new Date("2026-11-27T12:00:00.000Z"),
  };

  it("applies the limits and the first usable link", () => {
    const alert = nativeAlert(draft);
    expectTruncated(alert.title, 500);
    expectTruncated(alert.description, 5000);
    expect(alert).toMatchObject({
      status: IncidentStatus.NEW,
      sourceUrl: "https://example.com/a",
      dedupKey: "ns:k",
      metadata: { a: "1" },
      truncatedAlerts: 0,
    });
    expect(occurredAt(alert)).toBe("2026-11-27T12:00:00.000Z");
  });

  it("resolves with the resolved status, and leaves an empty link when none is usable", () => {
    const alert = nativeAlert({ ...draft, action: AlertAction.RESOLVE, links: ["ftp://x"] });
    expect(alert.status).toBe(IncidentStatus.RESOLVED);
    expect(alert.sourceUrl).toBe("");
  });
});
