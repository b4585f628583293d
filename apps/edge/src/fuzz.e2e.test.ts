/**
 * Fuzzing the webhook path end to end, on both stores: generated bodies
 * (valid, nearly valid and garbage) through edge → auth → normalizer →
 * incident. Whatever arrives, the answer is never a 5xx; a 202 means every
 * incident it names is stored as sent (metadata and label keys included:
 * dots, dollars, NUL, non-ASCII); a refusal stores nothing. The inputs are
 * drawn from a fixed seed, so a failure reproduces.
 */
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IncidentService } from "@runframe/contracts";
import { startStack, type Stack } from "@runframe/platform/testing";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SEED = 20261130;
const apiKey = "fuzz-api-key-0000000000000000000000000000000";
const keys = {
  custom: `fuzz-custom-${randomBytes(16).toString("hex")}`,
  alertmanager: `fuzz-am-${randomBytes(16).toString("hex")}`,
};

/** Keys the published schema allows that MongoDB would refuse as field names. */
const poisonKey = fc.constantFrom(
  "k8s.pod.name",
  "$ref",
  "a.b.c",
  "with\u0000nul",
  "ключ",
  "名前.値",
  "emoji 🚨",
  "$",
  ".",
);
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", " ", "\u0000", "\ud83d\udea8", "x".repeat(501)),
);
const customBody = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          title: fc.oneof(text, fc.integer(), fc.constant(null)),
          service_id: fc.oneof(fc.constant("SER-00001"), text),
          description: text,
          severity: fc.constantFrom("SEV0", "SEV1", "SEV4", "sev2", "P1", ""),
          status: fc.constantFrom("new", "investigating", "resolved", "open"),
          dedup_key: fc.oneof(text, fc.constantFrom("hot-1", "hot-2")),
          source_url: fc.constantFrom("https://example.com/a", "ftp://x", "not a url"),
          metadata: fc.oneof(
            fc.dictionary(fc.oneof(poisonKey, fc.string({ maxLength: 12 })), text, {
              maxKeys: 12,
            }),
            fc.constant("not an object"),
          ),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue() },
  )
  .map((value) => JSON.stringify(value));
const garbage = fc
  .uint8Array({ minLength: 0, maxLength: 200 })
  .map((bytes) => Buffer.from(bytes).toString("latin1"));
const alertmanagerGroup = fc
  .array(
    fc.record({
      status: fc.constantFrom("firing", "resolved"),
      labels: fc.dictionary(poisonKey, fc.string({ minLength: 1, maxLength: 20 }), {
        minKeys: 1,
        maxKeys: 3,
      }),
      fingerprint: fc.string({ minLength: 1, maxLength: 16 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((alerts) =>
    JSON.stringify({
      version: "4",
      status: "firing",
      receiver: "runframe",
      groupKey: "{}:{}",
      alerts: alerts.map((a) => ({
        ...a,
        labels: { alertname: "Fuzzed", service_id: "SER-00001", ...a.labels },
        annotations: {},
        startsAt: "2026-11-30T10:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
      })),
    }),
  );

interface Answer {
  incidents?: { id: string | null; action: string }[];
}

describe.each([
  { storage: "MongoDB and Redis", embedded: false },
  { storage: "the embedded store", embedded: true },
])("fuzzed webhooks on $storage", ({ embedded }) => {
  let stack: Stack;
  let team: Client<typeof IncidentService>;

  beforeAll(async () => {
    stack = await startStack({
      embedded,
      normalizers: ["custom", "prometheus"],
      bootstrap: {
        organizations: [
          {
            id: "org-fuzz",
            name: "Fuzz",
            apiKeys: [{ id: "key-fuzz", secret: apiKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "Checkout" }],
            integrations: [
              {
                id: "int-custom",
                type: "custom",
                name: "Custom",
                routingKey: keys.custom,
                rateLimitPerMinute: 100_000,
              },
              {
                id: "int-am",
                type: "prometheus",
                name: "Alertmanager",
                routingKey: keys.alertmanager,
                rateLimitPerMinute: 100_000,
              },
            ],
          },
        ],
      },
    });
    team = createClient(
      IncidentService,
      createConnectTransport({
        baseUrl: stack.incident.url,
        httpVersion: "2",
        interceptors: [
          (next) => (req) => (req.header.set("authorization", `Bearer ${apiKey}`), next(req)),
        ],
      }),
    );
  });
  afterAll(() => stack?.stop());

  /** Posts every body; the statuses, and the incidents the 202s named. */
  async function post(routingKey: string, bodies: readonly string[]) {
    const statuses = new Map<number, number>();
    const named = new Set<string>();
    for (const body of bodies) {
      const res = await stack.webhook(routingKey, body);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const answer = (await res.json().catch(() => ({}))) as Answer;
      expect(res.status, body.slice(0, 200)).toBeLessThan(500);
      if (res.status === 202) {
        for (const incident of answer.incidents ?? []) {
          if (incident.id) {
            named.add(incident.id);
          }
        }
      }
    }
    return { statuses, named };
  }

  async function storedIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    let pageToken = "";
    do {
      const page = await team.listIncidents({ pageSize: 100, pageToken });
      page.incidents.forEach((i) => ids.add(i.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return ids;
  }

  it("never answers 5xx to custom webhooks, and stores exactly what was accepted", async () => {
    const bodies = [
      ...fc.sample(customBody, { seed: SEED, numRuns: 150 }),
      ...fc.sample(garbage, { seed: SEED, numRuns: 30 }),
    ];
    const before = await storedIds();
    const { statuses, named } = await post(keys.custom, bodies);
    expect(statuses.get(202)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    const after = await storedIds();
    const created = [...after].filter((id) => !before.has(id));
    expect(created.every((id) => named.has(id))).toBe(true);
    for (const id of named) {
      expect(after.has(id), id).toBe(true);
    }
  });

  it("stores metadata keys with dots, dollars, NUL and non-ASCII exactly as sent", async () => {
    const metadata = { "k8s.pod.name": "api-1", $ref: "x", "with\u0000nul": "y", "名前.値": "z" };
    const res = await stack.webhook(
      keys.custom,
      JSON.stringify({ title: "Poison", service_id: "SER-00001", metadata }),
    );
    expect(res.status).toBe(202);
    const { incidents } = (await res.json()) as Required<Answer>;
    const { incident } = await team.getIncident({ incidentId: incidents[0]!.id! });
    expect(incident?.metadata).toEqual(metadata);
  });

  it("accepts every Alertmanager group with such label keys and stores each alert", async () => {
    const groups = fc.sample(alertmanagerGroup, { seed: SEED, numRuns: 40 });
    const { statuses, named } = await post(keys.alertmanager, groups);
    expect(statuses.get(202)).toBe(groups.length);
    const stored = await storedIds();
    for (const id of named) {
      expect(stored.has(id), id).toBe(true);
    }
    const labelled = await team.getIncident({ incidentId: [...named][0]! });
    expect(Object.keys(labelled.incident?.metadata ?? {})).toContain("alertname");
  });
});
