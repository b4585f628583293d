/**
 * The delivery inbox end to end (issue 12): what the edge records of each
 * delivery, throttled deliveries redriven or replayed, refusals kept and
 * not replayable, a crash of incident recorded and replayed once — on
 * MongoDB (FerretDB) with Redis, and on the embedded store.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import {
  DeliveryOutcome,
  DeliveryService,
  IncidentService,
  IngestAction,
  type Delivery,
} from "@runframe/contracts";
import {
  customSignatureHeaders,
  startStack,
  teamClient,
  type Stack,
} from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const apiKey = "inbox-e2e-admin-key-00000000000000000000000";
const key = (name: string) => `${name}-${randomBytes(24).toString("base64url")}`;
const signingSecret = "inbox-e2e-signing-secret-0123456789";
/** The stacks' body limit: small enough that an oversized body is all sent before the 413. */
const MAX_BODY = 256 * 1024;

/** One Alertmanager notification of one firing alert, distinct per `i`. */
function alertmanager(run: string, i: number): string {
  return JSON.stringify({
    version: "4",
    groupKey: `{}:{alertname="DiskFull",instance="db-${i}"}`,
    truncatedAlerts: 0,
    status: "firing",
    receiver: "runframe",
    groupLabels: { alertname: "DiskFull" },
    commonLabels: { alertname: "DiskFull" },
    commonAnnotations: {},
    externalURL: "http://alertmanager.example.com:9093",
    alerts: [
      {
        status: "firing",
        labels: { alertname: "DiskFull", instance: `db-${i}`, severity: "critical" },
        annotations: { summary: `Disk full on db-${i} — ${run}` },
        startsAt: "2026-11-30T10:00:00Z",
        endsAt: "0001-01-01T00:00:00Z",
        fingerprint: `${run}-${i}`,
      },
    ],
  });
}

/** Every delivery matching `filter`, newest first, through the pages. */
async function allDeliveries(
  deliveries: Client<typeof DeliveryService>,
  filter: { integrationId?: string; outcome?: DeliveryOutcome; since?: Date } = {},
): Promise<Delivery[]> {
  const seen: Delivery[] = [];
  let pageToken = "";
  do {
    const { since, ...rest } = filter;
    const page = await deliveries.listDeliveries({
      ...rest,
      ...(since && { startTime: timestampFromDate(since) }),
      pageSize: 100,
      pageToken,
    });
    seen.push(...page.deliveries);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return seen;
}

interface Setup {
  readonly stack: Stack;
  readonly keys: Record<"am" | "amManual" | "custom" | "signed" | "crash", string>;
  readonly deliveries: Client<typeof DeliveryService>;
  readonly incidents: Client<typeof IncidentService>;
}

async function setUp(embedded: boolean): Promise<Setup> {
  const keys = {
    am: key("am"),
    amManual: key("amManual"),
    custom: key("custom"),
    signed: key("signed"),
    crash: key("crash"),
  };
  const stack = await startStack({
    embedded,
    normalizers: ["prometheus", "custom"],
    env: { RUNFRAME_REDRIVE_INTERVAL_MS: "500", RUNFRAME_MAX_BODY_BYTES: String(MAX_BODY) },
    bootstrap: {
      organizations: [
        {
          id: "org-inbox",
          name: "Inbox",
          apiKeys: [{ id: "key-inbox", secret: apiKey, role: "admin" }],
          services: [{ id: "SER-00001", name: "Storage" }],
          integrations: [
            {
              id: "int-am",
              type: "prometheus",
              name: "AM",
              routingKey: keys.am,
              defaultServiceId: "SER-00001",
            },
            {
              id: "int-am-manual",
              type: "prometheus",
              name: "AM without redrive",
              routingKey: keys.amManual,
              defaultServiceId: "SER-00001",
              options: { redriveThrottled: false },
            },
            {
              id: "int-custom",
              type: "custom",
              name: "Scripts",
              routingKey: keys.custom,
              defaultServiceId: "SER-00001",
            },
            {
              id: "int-signed",
              type: "custom",
              name: "Signed",
              routingKey: keys.signed,
              defaultServiceId: "SER-00001",
              signingSecret,
            },
            {
              id: "int-crash",
              type: "custom",
              name: "Crash",
              routingKey: keys.crash,
              defaultServiceId: "SER-00001",
            },
          ],
        },
      ],
    },
  });
  return {
    stack,
    keys,
    deliveries: teamClient(DeliveryService, stack.incident.url, apiKey),
    incidents: teamClient(IncidentService, stack.incident.url, apiKey),
  };
}

describe.each([
  { store: "MongoDB and Redis", embedded: false },
  { store: "the embedded store", embedded: true },
])("the delivery inbox on $store", ({ embedded }) => {
  let setup: Setup;

  beforeAll(async () => {
    setup = await setUp(embedded);
  });
  afterAll(() => setup?.stack.stop());

  it("keeps 50 of 150 Alertmanager webhooks throttled byte for byte, and redrives each once after the window", async () => {
    const { stack, keys, deliveries, incidents } = setup;
    const run = randomBytes(4).toString("hex");
    const bodies = Array.from({ length: 150 }, (_, i) => alertmanager(run, i));
    const statuses: number[] = [];
    // A burst: ten at a time, as Alertmanager's group notifications arrive.
    for (let i = 0; i < bodies.length; i += 10) {
      const answers = await Promise.all(
        bodies.slice(i, i + 10).map((body) => stack.webhook(keys.am, body)),
      );
      statuses.push(...answers.map((a) => a.status));
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);

    const throttled = await allDeliveries(deliveries, {
      integrationId: "int-am",
      outcome: DeliveryOutcome.THROTTLED,
    });
    expect(throttled).toHaveLength(50);
    const sent = new Set(bodies);
    for (const listed of throttled.slice(0, 10)) {
      const { delivery } = await deliveries.getDelivery({ deliveryId: listed.id });
      expect(sent.has(new TextDecoder().decode(delivery!.body))).toBe(true);
      expect(delivery).toMatchObject({ status: 429, reason: "rate_limited" });
    }
    const keptBodies = await Promise.all(
      throttled.map(async (d) => (await deliveries.getDelivery({ deliveryId: d.id })).delivery!),
    );
    expect(new Set(keptBodies.map((d) => new TextDecoder().decode(d.body))).size).toBe(50);

    // Once the minute has passed, the redrive applies each, within the quota.
    await vi.waitFor(
      async () => {
        const waiting = await allDeliveries(deliveries, {
          integrationId: "int-am",
          outcome: DeliveryOutcome.THROTTLED,
        });
        expect(waiting.filter((d) => d.replayedBy !== "redrive")).toEqual([]);
      },
      { timeout: 100_000, interval: 1_000 },
    );
    const open = await allIncidents(incidents, run);
    expect(open).toHaveLength(150);
    expect(open.every((i) => i.occurrenceCount === 1)).toBe(true);
    const stats = await deliveries.getDeliveryStats({ integrationId: "int-am" });
    expect(stats).toMatchObject({ accepted: 100n, throttled: 50n, created: 150n });
  }, 150_000);

  it("with redrive off, keeps throttled Alertmanager webhooks for replays by hand, each applied once", async () => {
    const { stack, keys, deliveries, incidents } = setup;
    const run = randomBytes(4).toString("hex");
    const bodies = Array.from({ length: 110 }, (_, i) => alertmanager(run, i));
    const statuses: number[] = [];
    for (const body of bodies) {
      statuses.push((await stack.webhook(keys.amManual, body)).status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    const throttled = await allDeliveries(deliveries, {
      integrationId: "int-am-manual",
      outcome: DeliveryOutcome.THROTTLED,
    });
    expect(throttled).toHaveLength(10);
    expect(throttled.every((d) => d.replayable)).toBe(true);
    // Several redrive rounds pass (every 500 ms here): none touches them.
    await sleep(1_500);
    for (const d of throttled) {
      expect((await deliveries.getDelivery({ deliveryId: d.id })).delivery?.replayedBy).toBe("");
    }
    // One by one, the first twice at once: each applies exactly once.
    const [first, second] = await Promise.allSettled([
      deliveries.replayDelivery({ deliveryId: throttled[0]!.id }),
      deliveries.replayDelivery({ deliveryId: throttled[0]!.id }),
    ]);
    const twice = [first, second].flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(twice.filter((r) => r.replayed)).toHaveLength(1);
    for (const d of throttled.slice(1)) {
      const replay = await deliveries.replayDelivery({ deliveryId: d.id });
      expect(replay.replayed).toBe(true);
      expect(replay.results.map((r) => r.action)).toEqual([IngestAction.CREATED]);
    }
    const created = await allIncidents(incidents, run);
    expect(created).toHaveLength(110);
    expect(created.every((i) => i.occurrenceCount === 1)).toBe(true);
  });

  it("keeps refusals with their reasons, never replays them, and stores nothing for unknown keys", async () => {
    const { stack, keys, deliveries } = setup;
    const since = new Date();
    const before = await deliveries.getDeliveryStats({});
    const schema = await stack.webhook(keys.signed, JSON.stringify({ severity: "SEV9" }), {
      ...customSignatureHeaders(JSON.stringify({ severity: "SEV9" }), signingSecret),
    });
    expect(schema.status).toBe(400);
    const forged = await stack.webhook(keys.signed, '{"title":"forged"}', {
      "x-runframe-signature": `sha256=${"0".repeat(64)}`,
      "x-runframe-timestamp": String(Math.floor(Date.now() / 1000)),
    });
    expect(forged.status).toBe(401);
    const stranger = await stack.webhook(key("unknown"), '{"title":"who am I"}');
    expect(stranger.status).toBe(401);
    const tooLarge = await stack.webhook(keys.custom, "x".repeat(MAX_BODY + 10));
    expect(tooLarge.status).toBe(413);

    let refused: Delivery[] = [];
    await vi.waitFor(
      async () => {
        refused = [
          ...(await allDeliveries(deliveries, { since, outcome: DeliveryOutcome.REFUSED_PAYLOAD })),
          ...(await allDeliveries(deliveries, {
            since,
            outcome: DeliveryOutcome.REFUSED_SIGNATURE,
          })),
          ...(await allDeliveries(deliveries, { since, outcome: DeliveryOutcome.TOO_LARGE })),
        ];
        expect(refused).toHaveLength(3);
      },
      { timeout: 10_000 },
    );
    const byOutcome = new Map(refused.map((d) => [d.outcome, d]));
    const payload = byOutcome.get(DeliveryOutcome.REFUSED_PAYLOAD)!;
    expect(payload.fieldErrors.map((f) => f.field)).toContain("title");
    const signature = byOutcome.get(DeliveryOutcome.REFUSED_SIGNATURE)!;
    const { delivery: kept } = await deliveries.getDelivery({ deliveryId: signature.id });
    expect(new TextDecoder().decode(kept!.body)).toBe('{"title":"forged"}');
    expect(kept!.headers).toContainEqual(
      expect.objectContaining({ name: "x-runframe-signature", value: "[redacted]" }),
    );
    const large = byOutcome.get(DeliveryOutcome.TOO_LARGE)!;
    expect(large.bodySize).toBe(BigInt(MAX_BODY + 10));
    const { delivery: largeKept } = await deliveries.getDelivery({ deliveryId: large.id });
    expect(largeKept!.body.length).toBe(64 * 1024);
    for (const d of refused) {
      expect(d.replayable).toBe(false);
      await expect(deliveries.replayDelivery({ deliveryId: d.id })).rejects.toThrow(
        /cannot be replayed/,
      );
    }
    const after = await deliveries.getDeliveryStats({});
    const count = (s: typeof before) =>
      s.accepted + s.throttled + s.failed + Object.values(s.refused).reduce((a, b) => a + b, 0n);
    // The stranger's webhook left nothing behind.
    expect(count(after) - count(before)).toBe(3n);
  });

  it("records a delivery that incident died under as failed, and replays it once", async () => {
    const { stack, keys } = setup;
    const incident = stack.incident;
    const title = `Mid-crash ${randomBytes(4).toString("hex")}`;
    // Frozen, then killed, while the edge waits on its ingest.
    incident.child.kill("SIGSTOP");
    const pending = stack.webhook(keys.crash, JSON.stringify({ title, service_id: "SER-00001" }));
    await sleep(500);
    incident.child.kill("SIGKILL");
    const answer = await pending;
    expect([503, 504]).toContain(answer.status);
    const back = await stack.restart(incident);
    const team = teamClient(DeliveryService, back.url, apiKey);
    let failed: Delivery | undefined;
    await vi.waitFor(
      async () => {
        [failed] = await allDeliveries(team, {
          integrationId: "int-crash",
          outcome: DeliveryOutcome.FAILED,
        });
        expect(failed).toBeDefined();
      },
      { timeout: 45_000, interval: 500 },
    );
    expect(failed).toMatchObject({ replayable: true, status: answer.status });
    const replay = await team.replayDelivery({ deliveryId: failed!.id });
    expect(replay.replayed).toBe(true);
    const again = await team.replayDelivery({ deliveryId: failed!.id }).catch((e: unknown) => e);
    expect(String(again)).toMatch(/replayed already/);
    const { incident: stored } = await teamClient(IncidentService, back.url, apiKey).getIncident({
      incidentId: replay.results[0]!.incidentId,
    });
    expect(stored).toMatchObject({ title, occurrenceCount: 1 });
  }, 90_000);
});

/** The incidents one run opened, found by the run id in their titles. */
async function allIncidents(incidents: Client<typeof IncidentService>, run: string) {
  const found = [];
  let pageToken = "";
  do {
    const page = await incidents.listIncidents({ pageSize: 100, pageToken });
    found.push(...page.incidents.filter((i) => i.title.includes(run)));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found;
}
