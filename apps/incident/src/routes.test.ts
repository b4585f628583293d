/**
 * incident's routes in memory (connect's createRouterTransport): the real
 * domain (Incidents: deduplication, lifecycle, the team API) over the SQLite
 * store in a temporary directory, behind the interceptors that shape
 * answers in production (errors, the service credential, team API keys).
 * API keys belong to auth, so auth's VerifyApiKey is the one thing faked,
 * itself an in-memory service reached through the real cached verifier.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import {
  AlertAction,
  AuthService,
  DeliveryOutcome,
  DeliveryService,
  IntegrationType,
  IncidentService,
  IncidentStatus,
  IngestAction,
  NormalizedAlertSchema,
  Severity,
  type IngestRequestSchema,
} from "@runframe/contracts";
import { SqliteIncidentStorage } from "@runframe/incident-data";
import {
  applyProvisioning,
  Deliveries,
  Incidents,
  IncidentWatcher,
  ServiceAdmin,
  type Normalizers,
} from "@runframe/incident-domain";
import { createLogger, createMetrics, runframeError, type Metrics } from "@runframe/platform";
import { inMemoryClient, refusal, type InMemoryApp } from "@runframe/platform/testing";
import { openSqlite } from "@runframe/storage";
import { parseBootstrap } from "@runframe/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedApiKeyVerifier } from "./api-keys.js";
import { incidentMetrics, timedWriter } from "./observability.js";
import { INCIDENT_INTERNAL, incidentRoutes, incidentTeamApiKeys } from "./routes.js";

const TOKEN = "service-token-".padEnd(40, "0");
const ADMIN = "rf_admin_a_".padEnd(40, "0");
const VIEWER = "rf_viewer_a_".padEnd(40, "0");
const ADMIN_B = "rf_admin_b_".padEnd(40, "0");

/** What auth would answer VerifyApiKey with, by secret. */
const apiKeys = new Map([
  [ADMIN, { organizationId: "org-a", keyId: "key-admin", role: "admin" }],
  [VIEWER, { organizationId: "org-a", keyId: "key-viewer", role: "viewer" }],
  [ADMIN_B, { organizationId: "org-b", keyId: "key-b", role: "admin" }],
]);

/** A provider's normalizer, faked: a body `{"title": …}` is one trigger on SER-00001. */
const titleNormalizer: Normalizers = {
  async normalize(_integration, _headers, body) {
    const { title } = JSON.parse(new TextDecoder().decode(body)) as { title: string };
    return [
      create(NormalizedAlertSchema, {
        action: AlertAction.TRIGGER,
        title,
        serviceId: "SER-00001",
        status: IncidentStatus.NEW,
      }),
    ];
  },
};

let dir: string;
let closeDb: () => void;
let app: InMemoryApp;
let metrics: Metrics;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "runframe-incident-routes-"));
  const write = openSqlite(dir);
  const read = openSqlite(dir);
  closeDb = () => {
    write.close();
    read.close();
  };
  const storage = new SqliteIncidentStorage(write, read);
  await applyProvisioning(
    parseBootstrap(
      JSON.stringify({
        organizations: [
          {
            id: "org-a",
            name: "A",
            services: [
              { id: "SER-00001", name: "Checkout" },
              { id: "SER-00002", name: "Billing" },
            ],
          },
          { id: "org-b", name: "B", services: [{ id: "SER-00009", name: "Search" }] },
        ],
      }),
    ),
    storage.services,
  );
  const auth = createClient(
    AuthService,
    createRouterTransport((router) =>
      router.service(AuthService, {
        verifyApiKey(req) {
          const key = apiKeys.get(req.secret);
          if (key === undefined) {
            // As auth refuses one (libs/auth/domain/src/api-keys.ts).
            throw runframeError("unknown API key", Code.Unauthenticated, "API_KEY_INVALID");
          }
          return key;
        },
      }),
    ),
  );
  const logger = createLogger("incident-routes-test", "silent");
  metrics = createMetrics("incident-routes-test");
  // As main wires them: the writer's units are timed.
  const counters = incidentMetrics(metrics.registry);
  const incidents = new Incidents({
    ...storage,
    writer: timedWriter(storage.writer, counters),
  });
  app = {
    token: TOKEN,
    internal: INCIDENT_INTERNAL,
    interceptors: [incidentTeamApiKeys(cachedApiKeyVerifier(auth))],
    routes: incidentRoutes({
      incidents,
      storage,
      // Which integrations route to a service is auth's to say; none here.
      deliveries: new Deliveries(storage.inbox, incidents, titleNormalizer),
      services: new ServiceAdmin(storage, incidents, { integrationsUsing: async () => [] }),
      watcher: new IncidentWatcher(storage.changes),
      stopping: new AbortController().signal,
      observability: { logger, metrics, incident: counters, store: "sqlite" },
    }),
  };
});

afterAll(() => {
  closeDb();
  rmSync(dir, { recursive: true, force: true });
});

/** A client of the routes in memory, presenting `bearer` (if any) as its credential. */
function client<S extends DescService>(service: S, bearer?: string): Client<S> {
  return inMemoryClient(service, app, bearer);
}

type Ingest = MessageInitShape<typeof IngestRequestSchema>;

function delivery(
  alerts: { action?: AlertAction; title?: string; dedupKey?: string; serviceId?: string }[],
  extra: { deliveryKey?: string } = {},
): Ingest {
  return {
    organizationId: "org-a",
    integrationId: "int-a",
    alerts: alerts.map((a) =>
      create(NormalizedAlertSchema, {
        action: a.action ?? AlertAction.TRIGGER,
        title: a.title ?? "Disk full",
        serviceId: a.serviceId ?? "SER-00001",
        dedupKey: a.dedupKey ?? "",
        severity: Severity.SEV2,
        status: a.action === AlertAction.RESOLVE ? IncidentStatus.RESOLVED : IncidentStatus.NEW,
      }),
    ),
    ...extra,
  };
}

/** The value of `metric`'s sample with `labels` (in any order among its labels). */
async function sample(metric: string, labels: string): Promise<number> {
  const line = (await metrics.registry.metrics())
    .split("\n")
    .find((l) => l.startsWith(`${metric}{`) && labels.split(",").every((x) => l.includes(x)));
  return Number(line?.split(" ")[1] ?? 0);
}

describe("IncidentService.Ingest in memory", () => {
  const ingest = (req: Ingest) => client(IncidentService, TOKEN).ingest(req);

  it("requires the service credential", async () => {
    for (const bearer of [undefined, ADMIN]) {
      const error = await refusal(client(IncidentService, bearer).ingest(delivery([{}])));
      expect(error.code, String(bearer)).toBe(Code.Unauthenticated);
    }
  });

  it("deduplicates by source event id: create, update, resolve, then a new incident", async () => {
    const key = { dedupKey: "disk-full-db-1" };
    const [created] = (await ingest(delivery([key]))).results;
    expect(created).toMatchObject({ action: IngestAction.CREATED, dedupKey: "disk-full-db-1" });
    const [updated] = (await ingest(delivery([{ ...key, title: "Disk still full" }]))).results;
    expect(updated).toMatchObject({
      action: IngestAction.UPDATED,
      incidentId: created!.incidentId,
    });
    const [resolved] = (await ingest(delivery([{ ...key, action: AlertAction.RESOLVE }]))).results;
    expect(resolved).toMatchObject({
      action: IngestAction.RESOLVED,
      incidentId: created!.incidentId,
    });
    const [ignored] = (await ingest(delivery([{ ...key, action: AlertAction.RESOLVE }]))).results;
    expect(ignored?.action).toBe(IngestAction.IGNORED);
    const [reopened] = (await ingest(delivery([key]))).results;
    expect(reopened?.action).toBe(IngestAction.CREATED);
    expect(reopened?.incidentId).not.toBe(created!.incidentId);

    const { incident } = await client(IncidentService, ADMIN).getIncident({
      incidentId: created!.incidentId,
    });
    expect(incident).toMatchObject({
      title: "Disk still full",
      status: IncidentStatus.RESOLVED,
      occurrenceCount: 2,
      dedupKey: "disk-full-db-1",
    });
  });

  it("opens a new incident for every alert without a key", async () => {
    const { results } = await ingest(delivery([{}, {}]));
    expect(results.map((r) => r.action)).toEqual([IngestAction.CREATED, IngestAction.CREATED]);
    expect(results[0]!.incidentId).not.toBe(results[1]!.incidentId);
  });

  it("answers a redelivery with the first answer and changes nothing", async () => {
    const first = await ingest(delivery([{ dedupKey: "redelivered" }], { deliveryKey: "d-1" }));
    const again = await ingest(delivery([{ dedupKey: "redelivered" }], { deliveryKey: "d-1" }));
    expect(first.replayed).toBe(false);
    expect(again.replayed).toBe(true);
    expect(again.results).toEqual(first.results);
  });

  it("explains a delivery with the service credential only, storing nothing", async () => {
    const explain = (bearer?: string) =>
      client(IncidentService, bearer).explainIngest({
        ingest: delivery([{ dedupKey: "explained" }, { dedupKey: "explained" }]),
      });
    for (const bearer of [undefined, ADMIN]) {
      expect((await refusal(explain(bearer))).code, String(bearer)).toBe(Code.Unauthenticated);
    }
    const predicted = await explain(TOKEN);
    expect(predicted.replayed).toBe(false);
    expect(
      predicted.explanations.map((e) => [
        e.result?.action,
        e.result?.incidentId,
        e.newIncidentAlert,
      ]),
    ).toEqual([
      [IngestAction.CREATED, "", 0],
      [IngestAction.UPDATED, "", 0],
    ]);
    // Nothing was stored: explaining again predicts the same, and so does ingest.
    expect(await explain(TOKEN)).toEqual(predicted);
    const { results } = await ingest(
      delivery([{ dedupKey: "explained" }, { dedupKey: "explained" }]),
    );
    expect(results.map((r) => r.action)).toEqual([IngestAction.CREATED, IngestAction.UPDATED]);
    const [after] = (await explain(TOKEN)).explanations;
    expect(after?.result).toMatchObject({
      action: IngestAction.UPDATED,
      incidentId: results[0]!.incidentId,
    });
    expect(after?.newIncidentAlert).toBeUndefined();
  });

  it("refuses to explain without a delivery, or one ingest would refuse, naming the field", async () => {
    const missing = await refusal(client(IncidentService, TOKEN).explainIngest({}));
    expect(missing.code).toBe(Code.InvalidArgument);
    expect(missing.rawMessage).toContain("ingest");
    const error = await refusal(
      client(IncidentService, TOKEN).explainIngest({
        ingest: delivery([{}, { serviceId: "SER-00009" }]),
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("alerts[1].service_id");
  });

  it("refuses the whole delivery when a service is not the organization's", async () => {
    const error = await refusal(ingest(delivery([{}, { serviceId: "SER-00009" }])));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("service_id");
  });

  it("answers each item of a batch as the single call would", async () => {
    const { results } = await client(IncidentService, TOKEN).ingestBatch({
      requests: [delivery([{ dedupKey: "batched" }]), delivery([{ serviceId: "SER-09999" }])],
      requestIds: ["req-1", "req-2"],
    });
    const [ok, refused] = results.map((r) => r.outcome);
    expect(ok?.case === "response" && ok.value.results[0]?.action).toBe(IngestAction.CREATED);
    expect(refused?.case === "error" && refused.value.code).toBe(Code.InvalidArgument);
  });
});

describe("incident's metrics", () => {
  const ingest = (req: Ingest) => client(IncidentService, TOKEN).ingest(req);
  const counts = async () => ({
    created: await sample("runframe_alerts_total", 'action="created"'),
    updated: await sample("runframe_alerts_total", 'action="updated"'),
    resolved: await sample("runframe_alerts_total", 'action="resolved"'),
    ignored: await sample("runframe_alerts_total", 'action="ignored"'),
    applied: await sample("runframe_ingest_deliveries_total", 'outcome="applied"'),
    duplicate: await sample("runframe_ingest_deliveries_total", 'outcome="duplicate"'),
    refused: await sample("runframe_ingest_deliveries_total", 'outcome="refused"'),
    units: await sample("runframe_incident_store_unit_duration_seconds_count", 'outcome="ok"'),
  });

  it("count deliveries by outcome and applied alerts by action, batched or not", async () => {
    const before = await counts();
    await ingest(delivery([{ dedupKey: "m-1" }, { dedupKey: "m-1" }], { deliveryKey: "m-d1" }));
    await ingest(delivery([{ dedupKey: "m-1" }, { dedupKey: "m-1" }], { deliveryKey: "m-d1" }));
    await ingest(delivery([{ dedupKey: "m-1", action: AlertAction.RESOLVE }]));
    await client(IncidentService, TOKEN).ingestBatch({
      requests: [
        delivery([{ dedupKey: "m-1", action: AlertAction.RESOLVE }]),
        delivery([{ serviceId: "SER-09999" }]),
      ],
      requestIds: ["req-1", "req-2"],
    });
    const after = await counts();
    expect({
      created: after.created - before.created,
      updated: after.updated - before.updated,
      resolved: after.resolved - before.resolved,
      ignored: after.ignored - before.ignored,
      applied: after.applied - before.applied,
      duplicate: after.duplicate - before.duplicate,
      refused: after.refused - before.refused,
    }).toEqual({
      created: 1,
      updated: 1,
      resolved: 1,
      ignored: 1,
      applied: 3,
      duplicate: 1,
      refused: 1,
    });
    expect(after.units).toBeGreaterThan(before.units);
  });
});

describe("the team API in memory", () => {
  it("requires an organization API key", async () => {
    for (const bearer of [undefined, TOKEN, "rf_unknown_".padEnd(40, "0")]) {
      const error = await refusal(client(IncidentService, bearer).listIncidents({}));
      expect(error.code, String(bearer)).toBe(Code.Unauthenticated);
    }
  });

  it("shows an organization only its own incidents", async () => {
    const [created] = (
      await client(IncidentService, TOKEN).ingest(delivery([{ dedupKey: "mine" }]))
    ).results;
    const other = client(IncidentService, ADMIN_B);
    expect((await other.listIncidents({})).incidents).toEqual([]);
    const error = await refusal(other.getIncident({ incidentId: created!.incidentId }));
    expect(error.code).toBe(Code.NotFound);
    const mine = await client(IncidentService, VIEWER).listIncidents({});
    expect(mine.incidents.map((i) => i.id)).toContain(created!.incidentId);
    expect(mine.incidents.every((i) => i.organizationId === "org-a")).toBe(true);
  });

  it("lets an admin key acknowledge and resolve, and a viewer key only read", async () => {
    const [created] = (
      await client(IncidentService, TOKEN).ingest(delivery([{ dedupKey: "to-handle" }]))
    ).results;
    const incidentId = created!.incidentId;
    const denied = await refusal(
      client(IncidentService, VIEWER).acknowledgeIncident({ incidentId }),
    );
    expect(denied.code).toBe(Code.PermissionDenied);

    const admin = client(IncidentService, ADMIN);
    const acknowledged = (await admin.acknowledgeIncident({ incidentId })).incident;
    expect(acknowledged?.acknowledgedBy).toBe("api-key:key-admin");
    expect(acknowledged?.acknowledgeTime).toBeDefined();
    const resolved = (await admin.resolveIncident({ incidentId, note: "fixed" })).incident;
    expect(resolved?.status).toBe(IncidentStatus.RESOLVED);
    const again = await refusal(admin.acknowledgeIncident({ incidentId }));
    expect(again.code).toBe(Code.FailedPrecondition);

    const { events } = await client(IncidentService, VIEWER).listIncidentEvents({ incidentId });
    expect(events.length).toBeGreaterThanOrEqual(3);
  });

  it("pages through incidents and refuses a token it did not issue", async () => {
    const admin = client(IncidentService, ADMIN);
    const first = await admin.listIncidents({ pageSize: 2 });
    expect(first.incidents).toHaveLength(2);
    expect(first.nextPageToken).not.toBe("");
    const second = await admin.listIncidents({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.incidents.map((i) => i.id)).not.toContain(first.incidents[0]!.id);
    const error = await refusal(admin.listIncidents({ pageToken: "not-a-token" }));
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it("serves the organization's service catalog", async () => {
    const viewer = client(IncidentService, VIEWER);
    const { services } = await viewer.listServices({});
    expect(services.map((s) => s.id)).toEqual(["SER-00001", "SER-00002"]);
    expect((await viewer.getService({ serviceId: "SER-00002" })).service?.name).toBe("Billing");
    const error = await refusal(viewer.getService({ serviceId: "SER-00009" }));
    expect(error.code).toBe(Code.NotFound);
    const internal = client(IncidentService, TOKEN);
    expect(
      (await internal.checkService({ organizationId: "org-b", serviceId: "SER-00009" })).exists,
    ).toBe(true);
    expect(
      (await internal.checkService({ organizationId: "org-a", serviceId: "SER-00009" })).exists,
    ).toBe(false);
  });
});

describe("DeliveryService in memory", () => {
  const body = new TextEncoder().encode('{"title":"Throttled — kept byte for byte"}\n');
  const throttled = () => ({
    reports: [
      {
        envelope: {
          requestId: "req-throttled",
          body,
          bodySize: BigInt(body.length),
          verified: true,
          integration: {
            id: "int-a",
            organizationId: "org-a",
            type: IntegrationType.CUSTOM,
          },
        },
        outcome: DeliveryOutcome.THROTTLED,
        status: 429,
        reason: "rate_limited",
        answer: '{"error":{"code":"rate_limited"}}',
      },
    ],
  });

  it("records deliveries only with the service credential", async () => {
    const error = await refusal(client(DeliveryService, ADMIN).recordDeliveries(throttled()));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("shows an organization its deliveries, lets a viewer read and an admin replay once", async () => {
    await client(DeliveryService, TOKEN).recordDeliveries(throttled());
    const viewer = client(DeliveryService, VIEWER);
    const { deliveries } = await viewer.listDeliveries({ outcome: DeliveryOutcome.THROTTLED });
    const listed = deliveries.find((d) => d.requestId === "req-throttled");
    expect(listed).toMatchObject({ status: 429, replayable: true, bodySize: BigInt(body.length) });
    expect(listed!.body).toEqual(new Uint8Array());
    const { delivery } = await viewer.getDelivery({ deliveryId: listed!.id });
    expect(delivery!.body).toEqual(body);
    expect((await viewer.getDeliveryStats({ integrationId: "int-a" })).throttled).toBe(1n);

    const denied = await refusal(viewer.replayDelivery({ deliveryId: listed!.id }));
    expect(denied.code).toBe(Code.PermissionDenied);
    const other = await refusal(
      client(DeliveryService, ADMIN_B).getDelivery({ deliveryId: listed!.id }),
    );
    expect(other.code).toBe(Code.NotFound);

    const admin = client(DeliveryService, ADMIN);
    const replays = (outcome: string) =>
      sample("runframe_deliveries_replayed_total", `via="api",outcome="${outcome}"`);
    const before = { applied: await replays("applied"), refused: await replays("refused") };
    const replay = await admin.replayDelivery({ deliveryId: listed!.id });
    expect(replay.replayed).toBe(true);
    expect(replay.results.map((r) => r.action)).toEqual([IngestAction.CREATED]);
    expect(replay.delivery).toMatchObject({ replayable: false, replayedBy: "api-key:key-admin" });
    const again = await refusal(admin.replayDelivery({ deliveryId: listed!.id }));
    expect(again.code).toBe(Code.FailedPrecondition);
    expect(await replays("applied")).toBe(before.applied + 1);
    expect(await replays("refused")).toBe(before.refused + 1);
    expect(await replays("applied")).toBe(before.applied + 1);
    expect(await replays("refused")).toBe(before.refused + 1);
    const { incident } = await client(IncidentService, VIEWER).getIncident({
      incidentId: replay.results[0]!.incidentId,
    });
    expect(incident?.title).toBe("Throttled — kept byte for byte");
  });

  it("refuses a time range that ends before it starts, naming the field", async () => {
    const now = Date.now();
    const error = await refusal(
      client(DeliveryService, VIEWER).listDeliveries({
        startTime: timestampFromDate(new Date(now)),
        endTime: timestampFromDate(new Date(now - 1000)),
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("end_time");
  });
});
