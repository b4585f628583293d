import { timestampDate } from "@bufbuild/protobuf/wkt";
import { AlertAction, IncidentStatus, Severity, type NormalizedAlert } from "@runframe/contracts";
import * as kit from "@runframe/normalizers-kit";
import * as harness from "@runframe/normalizers-kit/testing";
import { describe, expect, it } from "vitest";
import exampleFixture from "./fixtures/example.json" with { type: "json" };
import minimalFixture from "./fixtures/minimal.json" with { type: "json" };
import { normalizeCustom } from "./normalize.js";

/** The API reference's example and minimal payloads, as their fixtures hold them. */
const example = exampleFixture.body;
const minimal = minimalFixture.body;

const RECEIVED = new Date("2024-05-01T12:34:56.789Z");

/** A default service that differs from every payload's, to show it is not used. */
const { input, accept, refuse } = harness.normalizerHarness(normalizeCustom, {
  defaultServiceId: "SER-09999",
  receiveTime: RECEIVED,
});

/** The minimal payload with some fields added or replaced. */
const withFields = (fields: Record<string, unknown>): Record<string, unknown> => ({
  ...minimal,
  ...fields,
});

/** A string of exactly `chars` code points: `prefix`, then `filler` repeated. */
function ofLength(chars: number, filler: string, prefix = ""): string {
  const result = prefix + filler.repeat(chars - kit.charLength(prefix));
  expect(kit.charLength(result)).toBe(chars);
  return result;
}

const ASTRAL = "😀"; // one character, two UTF-16 units

describe("normalizeCustom: the payloads in the API reference", () => {
  it("normalizes the published example payload", () => {
    const alert = accept(example);
    expect(alert.$typeName).toBe("runframe.normalizer.v1.NormalizedAlert");
    expect(alert).toMatchObject({
      action: AlertAction.TRIGGER,
      title: "Database connection pool exhaustion",
      description: "Database connections exhausted. API returning 500 errors.",
      severity: Severity.SEV1,
      status: IncidentStatus.NEW,
      serviceId: "SER-00002",
      sourceUrl: "",
      dedupKey: "db-pool-prod-001",
      metadata: { environment: "production", region: "us-east-1" },
      truncatedAlerts: 0,
    });
    expect(timestampDate(alert.occurTime!)).toEqual(RECEIVED);
  });

  it("normalizes the minimal payload with the documented defaults", () => {
    const alert = accept(minimal);
    expect(alert).toMatchObject({
      action: AlertAction.TRIGGER,
      title: "Server is down",
      description: "",
      severity: Severity.UNSPECIFIED,
      status: IncidentStatus.NEW,
      serviceId: "SER-00001",
      sourceUrl: "",
      dedupKey: "",
      metadata: {},
      truncatedAlerts: 0,
    });
    expect(timestampDate(alert.occurTime!)).toEqual(RECEIVED);
  });

  it.each([
    [
      "the bash signing example",
      '{"title":"Deploy failed","service_id":"SER-00002","severity":"SEV2"}',
    ],
    [
      "the Python signing example (json.dumps spacing)",
      '{"title": "High memory usage", "service_id": "SER-00001", "severity": "SEV2"}',
    ],
    [
      "the curl test",
      '{\n    "title": "Test webhook",\n    "service_id": "SER-00001",\n    "description": "Testing webhook integration"\n  }',
    ],
  ])("accepts %s", (_name, body) => {
    const parsed = JSON.parse(body) as Record<string, string>;
    expect(accept(body)).toMatchObject({
      title: parsed.title,
      serviceId: parsed.service_id,
      description: parsed.description ?? "",
    });
  });

  it("produces an alert that survives protobuf serialization unchanged", () => {
    const alert = accept(withFields({ ...example, source_url: "https://grafana.example/d/1" }));
    expect(harness.roundTrip(alert)).toEqual(alert);
  });
});

describe("normalizeCustom: enumerations", () => {
  it.each([
    ["SEV0", Severity.SEV0],
    ["SEV1", Severity.SEV1],
    ["SEV2", Severity.SEV2],
    ["SEV3", Severity.SEV3],
    ["SEV4", Severity.SEV4],
  ])("maps severity %s", (severity, expected) => {
    expect(accept(withFields({ severity })).severity).toBe(expected);
  });

  it.each(["sev1", "SEV5", "SEV-1", " SEV1", "critical", ""])(
    "refuses severity %j and lists the allowed values",
    (severity) => {
      expect(refuse(withFields({ severity }))).toEqual([
        { field: "severity", description: "must be one of SEV0, SEV1, SEV2, SEV3, SEV4" },
      ]);
    },
  );

  it.each([
    ["new", IncidentStatus.NEW, AlertAction.TRIGGER],
    ["investigating", IncidentStatus.INVESTIGATING, AlertAction.TRIGGER],
    ["resolved", IncidentStatus.RESOLVED, AlertAction.RESOLVE],
  ])("maps status %s", (status, expectedStatus, expectedAction) => {
    const alert = accept(withFields({ status, dedup_key: "k" }));
    expect(alert.status).toBe(expectedStatus);
    expect(alert.action).toBe(expectedAction);
  });

  it.each(["Resolved", "open", "closed", "acknowledged", ""])("refuses status %j", (status) => {
    expect(refuse(withFields({ status }))).toEqual([
      { field: "status", description: "must be one of new, investigating, resolved" },
    ]);
  });
});

describe("normalizeCustom: limits, counted in characters", () => {
  const stringLimits = [
    { field: "title", max: kit.TITLE_MAX_CHARS, read: (a: NormalizedAlert) => a.title },
    {
      field: "service_id",
      max: kit.SERVICE_ID_MAX_CHARS,
      read: (a: NormalizedAlert) => a.serviceId,
    },
    {
      field: "description",
      max: kit.DESCRIPTION_MAX_CHARS,
      read: (a: NormalizedAlert) => a.description,
    },
    { field: "dedup_key", max: kit.DEDUP_KEY_MAX_CHARS, read: (a: NormalizedAlert) => a.dedupKey },
  ];

  it("has the published limits", () => {
    expect([
      kit.TITLE_MAX_CHARS,
      kit.SERVICE_ID_MAX_CHARS,
      kit.DESCRIPTION_MAX_CHARS,
      kit.DEDUP_KEY_MAX_CHARS,
      kit.METADATA_MAX_KEYS,
    ]).toEqual([500, 50, 5000, 255, 10]);
  });

  for (const { field, max, read } of stringLimits) {
    for (const filler of ["x", ASTRAL]) {
      it(`accepts ${field} of exactly ${max} × ${JSON.stringify(filler)}`, () => {
        const value = filler.repeat(max);
        expect(read(accept(withFields({ [field]: value })))).toBe(value);
      });

      it(`refuses ${field} of ${max + 1} × ${JSON.stringify(filler)}`, () => {
        expect(refuse(withFields({ [field]: filler.repeat(max + 1) }))).toEqual([
          { field, description: `must be at most ${max} characters, got ${max + 1}` },
        ]);
      });
    }
  }

  it("counts a 500-emoji title as 500 characters although it is 1000 UTF-16 units", () => {
    const title = ASTRAL.repeat(500);
    expect(title.length).toBe(1000);
    expect(accept(withFields({ title })).title).toBe(title);
    expect(refuse(withFields({ title: ASTRAL.repeat(501) }))[0]?.field).toBe("title");
  });

  it("counts a 2-unit character at the boundary as one", () => {
    const title = ofLength(kit.TITLE_MAX_CHARS, "a", ASTRAL);
    expect(title.length).toBe(kit.TITLE_MAX_CHARS + 1);
    expect(accept(withFields({ title })).title).toBe(title);
  });

  for (const filler of ["x", ASTRAL]) {
    it(`accepts source_url of exactly ${kit.SOURCE_URL_MAX_CHARS} characters (${filler})`, () => {
      const url = ofLength(kit.SOURCE_URL_MAX_CHARS, filler, "https://example.com/");
      expect(accept(withFields({ source_url: url })).sourceUrl).toBe(url);
    });

    it(`refuses source_url of ${kit.SOURCE_URL_MAX_CHARS + 1} characters (${filler})`, () => {
      const url = ofLength(kit.SOURCE_URL_MAX_CHARS + 1, filler, "https://example.com/");
      expect(refuse(withFields({ source_url: url }))).toEqual([
        {
          field: "source_url",
          description: `must be at most ${kit.SOURCE_URL_MAX_CHARS} characters, got ${kit.SOURCE_URL_MAX_CHARS + 1}`,
        },
      ]);
    });
  }

  const keys = (n: number): Record<string, string> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, `value${i}`]));

  it(`accepts metadata with exactly ${kit.METADATA_MAX_KEYS} keys`, () => {
    expect(accept(withFields({ metadata: keys(kit.METADATA_MAX_KEYS) })).metadata).toEqual(
      keys(kit.METADATA_MAX_KEYS),
    );
  });

  it(`refuses metadata with ${kit.METADATA_MAX_KEYS + 1} keys`, () => {
    expect(refuse(withFields({ metadata: keys(kit.METADATA_MAX_KEYS + 1) }))).toEqual([
      { field: "metadata", description: "must have at most 10 keys, got 11" },
    ]);
  });

  for (const filler of ["v", ASTRAL]) {
    it(`accepts a metadata value of exactly ${kit.METADATA_VALUE_MAX_CHARS} × ${filler}`, () => {
      const value = filler.repeat(kit.METADATA_VALUE_MAX_CHARS);
      expect(accept(withFields({ metadata: { note: value } })).metadata).toEqual({
        note: value,
      });
    });

    it(`refuses a metadata value of ${kit.METADATA_VALUE_MAX_CHARS + 1} × ${filler}`, () => {
      const value = filler.repeat(kit.METADATA_VALUE_MAX_CHARS + 1);
      expect(refuse(withFields({ metadata: { note: value, ok: "fine" } }))).toEqual([
        { field: "metadata.note", description: "must be at most 1000 characters, got 1001" },
      ]);
    });

    it(`accepts a metadata key of exactly ${kit.METADATA_KEY_MAX_CHARS} × ${filler}`, () => {
      const key = filler.repeat(kit.METADATA_KEY_MAX_CHARS);
      expect(accept(withFields({ metadata: { [key]: "v" } })).metadata).toEqual({ [key]: "v" });
    });

    it(`refuses a metadata key of ${kit.METADATA_KEY_MAX_CHARS + 1} × ${filler}`, () => {
      const key = filler.repeat(kit.METADATA_KEY_MAX_CHARS + 1);
      const violations = refuse(withFields({ metadata: { [key]: "v" } }));
      expect(violations).toEqual([
        {
          field: "metadata",
          description: expect.stringMatching(/^key ".+…" must be at most 100 characters, got 101$/),
        },
      ]);
      expect(kit.charLength(violations[0]!.description)).toBeLessThan(100);
    });
  }

  it("refuses an empty metadata key", () => {
    expect(refuse(withFields({ metadata: { "": "v" } }))).toEqual([
      { field: "metadata", description: "keys must not be empty" },
    ]);
  });
});

describe("normalizeCustom: required fields and types", () => {
  it("reports both required fields when the object is empty", () => {
    expect(refuse({})).toEqual([
      { field: "title", description: "is required" },
      { field: "service_id", description: "is required" },
    ]);
  });

  it("treats a required field sent as null as missing", () => {
    expect(refuse({ title: null, service_id: "SER-1" })).toEqual([
      { field: "title", description: "is required" },
    ]);
  });

  it.each(["", " ", "\t\n ", "\u00a0\u2003"])("refuses a blank title %j", (title) => {
    expect(refuse(withFields({ title }))).toEqual([
      { field: "title", description: "must not be blank" },
    ]);
  });

  it("refuses a blank service_id", () => {
    expect(refuse(withFields({ service_id: "  " }))).toEqual([
      { field: "service_id", description: "must not be blank" },
    ]);
  });

  it("keeps the title exactly as sent, surrounding whitespace included", () => {
    expect(accept(withFields({ title: "  Disk full on db-1 \n" })).title).toBe(
      "  Disk full on db-1 \n",
    );
  });

  it("accepts any non-blank service id; existence is checked later", () => {
    expect(accept(withFields({ service_id: "not-a-known-service" })).serviceId).toBe(
      "not-a-known-service",
    );
  });

  it.each([
    ["a number", 42],
    ["a boolean", true],
    ["an array", ["x"]],
    ["an object", { text: "x" }],
  ])("refuses every string field given as %s", (kind, value) => {
    const violations = refuse({
      title: value,
      service_id: value,
      description: value,
      severity: value,
      status: value,
      source_url: value,
      dedup_key: value,
    });
    const description = `must be a string, got ${kind}`;
    expect(violations).toEqual(
      ["title", "service_id", "description", "severity", "status", "source_url", "dedup_key"].map(
        (field) => ({ field, description }),
      ),
    );
  });

  it("treats every optional field sent as null as absent", () => {
    const alert = accept(
      withFields({
        description: null,
        severity: null,
        status: null,
        source_url: null,
        dedup_key: null,
        metadata: null,
      }),
    );
    expect(alert).toEqual(accept(minimal));
    expect(alert.status).toBe(IncidentStatus.NEW);
    expect(alert.severity).toBe(Severity.UNSPECIFIED);
  });

  it("treats an empty dedup_key as absent but keeps any other key as sent", () => {
    expect(accept(withFields({ dedup_key: "" })).dedupKey).toBe("");
    expect(accept(withFields({ dedup_key: " k " })).dedupKey).toBe(" k ");
  });

  it("ignores unknown fields, for forward compatibility", () => {
    const alert = accept(
      withFields({
        priority: "P1",
        tags: ["a", "b"],
        nested: { deep: { deeper: [1, 2, 3] } },
        severity_v2: 7,
      }),
    );
    expect(alert).toEqual(accept(minimal));
  });

  it("refuses strings holding an unpaired surrogate (invalid Unicode)", () => {
    const body = String.raw`{"title":"broken \ud83d here","service_id":"S","metadata":{"k":"\udc00"}}`;
    expect(refuse(body)).toEqual([
      {
        field: "title",
        description: "must be valid Unicode (it contains an unpaired surrogate)",
      },
      {
        field: "metadata.k",
        description: "must be valid Unicode (it contains an unpaired surrogate)",
      },
    ]);
  });

  it("accepts a surrogate pair written as JSON escapes", () => {
    expect(accept(String.raw`{"title":"\ud83d\ude00","service_id":"S"}`).title).toBe(ASTRAL);
  });
});

describe("normalizeCustom: source_url", () => {
  it.each([
    "https://example.com",
    "http://example.com/path?q=1#frag",
    "HTTPS://Example.COM/Dashboards",
    "https://user@ci.example:8443/runs/42",
    "https://[::1]:3000/x",
    "https://example.com/ünïcode/😀",
  ])("accepts %s", (url) => {
    expect(accept(withFields({ source_url: url })).sourceUrl).toBe(url);
  });

  it.each([
    "",
    "example.com",
    "/relative/path",
    "//example.com/x",
    "ftp://example.com/file",
    "javascript:alert(1)",
    "mailto:ops@example.com",
    "http:example.com",
    "https:/example.com",
    "https://",
    "https://exa mple.com",
    " https://example.com",
    "https://example.com/\n",
    "https://example.com/a\tb",
  ])("refuses %j", (url) => {
    expect(refuse(withFields({ source_url: url }))).toEqual([
      { field: "source_url", description: "must be an absolute http or https URL" },
    ]);
  });
});

describe("normalizeCustom: metadata", () => {
  it.each([
    ["an array", ["a"]],
    ["a string", "env=prod"],
    ["a number", 1],
    ["a boolean", false],
  ])("refuses metadata given as %s", (kind, metadata) => {
    expect(refuse(withFields({ metadata }))).toEqual([
      { field: "metadata", description: `must be an object, got ${kind}` },
    ]);
  });

  it("names each non-string value by its key", () => {
    expect(
      refuse(
        withFields({
          metadata: { region: "us-east-1", count: 3, on: true, gone: null, list: [], obj: {} },
        }),
      ),
    ).toEqual([
      { field: "metadata.count", description: "must be a string, got a number" },
      { field: "metadata.on", description: "must be a string, got a boolean" },
      { field: "metadata.gone", description: "must be a string, got null" },
      { field: "metadata.list", description: "must be a string, got an array" },
      { field: "metadata.obj", description: "must be a string, got an object" },
    ]);
  });

  it("returns a plain string map of own properties", () => {
    const { metadata } = accept(withFields({ metadata: { a: "1", b: "" } }));
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.entries(metadata)).toEqual([
      ["a", "1"],
      ["b", ""],
    ]);
  });

  it("keeps keys that shadow Object.prototype members as own entries", () => {
    const metadata = { constructor: "c", toString: "t", hasOwnProperty: "h", valueOf: "v" };
    const alert = accept(withFields({ metadata }));
    expect(Object.entries(alert.metadata)).toEqual(Object.entries(metadata));
    expect(harness.roundTrip(alert).metadata).toEqual(metadata);
  });

  it("refuses a __proto__ key without touching any prototype", () => {
    const body = '{"title":"t","service_id":"S","metadata":{"__proto__":"x","ok":"y"}}';
    expect(refuse(body)).toEqual([
      { field: "metadata", description: 'key "__proto__" is reserved' },
    ]);
    expect(Object.prototype).not.toHaveProperty("ok");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("refuses a __proto__ key holding an object, and Object.prototype stays clean", () => {
    const body =
      '{"title":"t","service_id":"S","metadata":{"__proto__":{"polluted":"yes"},"a":"b"}}';
    expect(refuse(body)).toEqual([
      { field: "metadata", description: 'key "__proto__" is reserved' },
      { field: "metadata.__proto__", description: "must be a string, got an object" },
    ]);
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("ignores a top-level __proto__ field like any unknown field", () => {
    const body =
      '{"__proto__":{"title":"from proto","polluted":"yes"},"title":"t","service_id":"S"}';
    expect(accept(body).title).toBe("t");
    expect(refuse('{"__proto__":{"title":"x","service_id":"S"}}')).toEqual([
      { field: "title", description: "is required" },
      { field: "service_id", description: "is required" },
    ]);
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("reports too many keys together with every bad entry", () => {
    const metadata: Record<string, unknown> = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`k${i}`, "v"]),
    );
    metadata.k3 = 3;
    metadata.k7 = "v".repeat(kit.METADATA_VALUE_MAX_CHARS + 1);
    expect(refuse(withFields({ metadata }))).toEqual([
      { field: "metadata", description: "must have at most 10 keys, got 12" },
      { field: "metadata.k3", description: "must be a string, got a number" },
      { field: "metadata.k7", description: "must be at most 1000 characters, got 1001" },
    ]);
  });
});

describe("normalizeCustom: many problems at once", () => {
  it("reports every violation in one error, in field order", () => {
    const violations = refuse({
      title: "   ",
      service_id: "S".repeat(kit.SERVICE_ID_MAX_CHARS + 1),
      description: 12,
      severity: "sev1",
      status: "closed",
      source_url: "ftp://example.com",
      dedup_key: "d".repeat(kit.DEDUP_KEY_MAX_CHARS + 1),
      metadata: { "": "x", region: 1 },
    });
    expect(violations).toEqual([
      { field: "title", description: "must not be blank" },
      { field: "service_id", description: "must be at most 50 characters, got 51" },
      { field: "description", description: "must be a string, got a number" },
      { field: "severity", description: "must be one of SEV0, SEV1, SEV2, SEV3, SEV4" },
      { field: "status", description: "must be one of new, investigating, resolved" },
      { field: "source_url", description: "must be an absolute http or https URL" },
      { field: "dedup_key", description: "must be at most 255 characters, got 256" },
      { field: "metadata", description: "keys must not be empty" },
      { field: "metadata.region", description: "must be a string, got a number" },
    ]);
  });

  it("summarizes the first violation in the error message", () => {
    expect(() => normalizeCustom(input({}))).toThrow("title: is required (and 1 more)");
  });
});

describe("normalizeCustom: the body", () => {
  it("accepts a body with a UTF-8 byte order mark", () => {
    const json = new TextEncoder().encode(JSON.stringify(minimal));
    expect(accept(new Uint8Array([0xef, 0xbb, 0xbf, ...json])).title).toBe("Server is down");
  });

  it("accepts non-ASCII text encoded as UTF-8", () => {
    expect(accept(withFields({ title: "Ошибка базы данных — 数据库 😱" })).title).toBe(
      "Ошибка базы данных — 数据库 😱",
    );
  });

  it("refuses invalid UTF-8", () => {
    const body = new Uint8Array([
      ...new TextEncoder().encode('{"title":"caf'),
      0xe9, // Latin-1 é, not UTF-8
      ...new TextEncoder().encode('","service_id":"S"}'),
    ]);
    expect(refuse(body)).toEqual([{ field: "body", description: "must be valid UTF-8" }]);
  });

  it.each([
    ...harness.NON_OBJECT_BODIES,
    [
      "an array of payloads",
      JSON.stringify([minimal]),
      "must be a JSON object, got an array",
    ] as const,
  ])("refuses a body that is %s", (_kind, body, description) => {
    expect(refuse(body)).toEqual([{ field: "body", description }]);
  });

  it.each([
    ["truncated", '{"title":"Server is down","service_id":"SER-0'],
    ["with a trailing comma", '{"title":"t","service_id":"S",}'],
    ["form-encoded", "title=Server+is+down&service_id=SER-00001"],
  ])("refuses malformed JSON (%s) and says so", (_name, body) => {
    const violations = refuse(body);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toEqual({
      field: "body",
      description: expect.stringMatching(/^must be valid JSON: \S/),
    });
  });

  it("refuses 100000 nested arrays with a ValidationError, not a RangeError", () => {
    for (const body of [
      "[".repeat(100_000),
      `{"title":"t","service_id":"S","metadata":{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`,
    ]) {
      expect(refuse(body)).toEqual([
        { field: "body", description: "must not nest objects and arrays more than 32 levels deep" },
      ]);
    }
  });
});
