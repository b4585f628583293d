/**
 * Two incident replicas on one MongoDB database (FerretDB in CI), in the
 * situations the multi-replica end-to-end test met under load: a lookup
 * entry left behind by a refused creation, an incident number handed out
 * twice, alerts another replica overtook, and a batch of repeated deliveries.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentStatus,
  IngestAction,
  IngestRequestSchema,
  NormalizedAlertSchema,
} from "@runframe/contracts";
import { Incidents, openKeyOf, toIncident, type Caller } from "@runframe/incident-domain";
import { backendUrl, uniqueDbName } from "@runframe/platform/testing";
import { MongoClient, type Collection, type Db } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MongoIncidentStorage } from "./mongo-incident-store.js";

const org = "org-a";
const caller: Caller = { organizationId: org, keyId: "key-a" };
type AlertInit = Omit<MessageInitShape<typeof NormalizedAlertSchema>, "$typeName">;

const request = (alerts: AlertInit[], deliveryKey = "") =>
  create(IngestRequestSchema, {
    organizationId: org,
    integrationId: "int-1",
    deliveryKey,
    alerts: alerts.map((a) =>
      create(NormalizedAlertSchema, {
        action: AlertAction.TRIGGER,
        title: "Disk full",
        serviceId: "SER-00001",
        status: IncidentStatus.NEW,
        ...a,
      }),
    ),
    receiveTime: timestampFromDate(new Date()),
  });

/** Calls of each collection method, and the most of each in flight at once. */
class Counted {
  readonly calls = new Map<string, number>();
  readonly mostAtOnce = new Map<string, number>();
  readonly #inFlight = new Map<string, number>();

  reset(): void {
    this.calls.clear();
    this.mostAtOnce.clear();
  }

  /** `db`, with every promise-returning collection method counted. */
  wrap(db: Db): Db {
    return new Proxy(db, {
      get: (target, prop) =>
        prop === "collection"
          ? (name: string) => this.#collection(target.collection(name), name)
          : (Reflect.get(target, prop, target) as unknown),
    });
  }

  #collection(collection: Collection, name: string): Collection {
    return new Proxy(collection, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function" || typeof prop !== "string") {
          return value;
        }
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) {
            return result;
          }
          const key = `${name}.${prop}`;
          const now = (this.#inFlight.get(key) ?? 0) + 1;
          this.#inFlight.set(key, now);
          this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
          this.mostAtOnce.set(key, Math.max(now, this.mostAtOnce.get(key) ?? 0));
          return result.finally(() => this.#inFlight.set(key, this.#inFlight.get(key)! - 1));
        };
      },
    });
  }
}

describe("MongoDB store: two replicas on one database", () => {
  let client: MongoClient;
  let db: Db;
  const counted = new Counted();

  beforeAll(async () => {
    client = await MongoClient.connect(backendUrl("MONGO_URL"));
  });
  afterAll(() => client?.close());
  beforeEach(async () => {
    db = client.db(uniqueDbName("replicas"));
    const storage = new MongoIncidentStorage(db);
    await storage.init();
    await storage.services.put(org, { id: "SER-00001", name: "Checkout" });
    counted.reset();
  });

  it("never counts a scope's alerts on the incident a leftover lookup entry names for another scope", async () => {
    const incidents = new Incidents(new MongoIncidentStorage(db));
    const [other] = (await incidents.ingest(request([{ dedupKey: "other" }]))).results;
    // What a creation refused for its number (another replica had reserved
    // the same ones) leaves for a moment: this scope's entry naming `other`'s incident.
    const scope = { organizationId: org, integrationId: "int-1", dedupKey: "mine" };
    await db
      .collection<{ _id: string; incident: string }>("open_dedup_keys")
      .insertOne({ _id: openKeyOf(scope), incident: `${org}/${other!.incidentId}` });

    const replica = new Incidents(new MongoIncidentStorage(db));
    // A dry run predicts what the ingest below does: nothing is open for "mine".
    const predicted = await replica.explain(
      request([{ dedupKey: "mine", action: AlertAction.RESOLVE }, { dedupKey: "mine" }]),
    );
    expect(predicted.explanations.map((e) => e.result.action)).toEqual([
      IngestAction.IGNORED,
      IngestAction.CREATED,
    ]);
    const [resolve] = (
      await replica.ingest(request([{ dedupKey: "mine", action: AlertAction.RESOLVE }]))
    ).results;
    expect(resolve).toMatchObject({ action: IngestAction.IGNORED, incidentId: "" });
    const [trigger] = (await replica.ingest(request([{ dedupKey: "mine" }]))).results;
    expect(trigger!.incidentId).not.toBe(other!.incidentId);

    const untouched = toIncident(await incidents.get(caller, other!.incidentId));
    expect(untouched).toMatchObject({ status: IncidentStatus.NEW, occurrenceCount: 1 });
    const [again] = (await replica.ingest(request([{ dedupKey: "mine" }]))).results;
    expect(again).toMatchObject({ action: IngestAction.UPDATED, incidentId: trigger!.incidentId });
  });

  it("never takes another replica's incident for one it creates under the same number", async () => {
    const incidents = new Incidents(new MongoIncidentStorage(db));
    const [first] = (await incidents.ingest(request([{ dedupKey: "theirs" }]))).results;
    // The counter loses the increment that handed out that number, as
    // FerretDB's $inc does when replicas reserve at once.
    await db
      .collection<{ _id: string; last: number }>("incident_counters")
      .updateOne({ _id: org }, { $set: { last: 0 } });

    // One delivery: acknowledge the existing incident, then open a new one.
    const replica = new Incidents(new MongoIncidentStorage(db));
    const [acked, created] = (
      await replica.ingest(
        request([{ dedupKey: "theirs", action: AlertAction.ACKNOWLEDGE }, { dedupKey: "mine" }]),
      )
    ).results;
    expect(acked).toMatchObject({
      action: IngestAction.ACKNOWLEDGED,
      incidentId: first!.incidentId,
    });
    expect(created!.action).toBe(IngestAction.CREATED);
    expect(created!.incidentId).not.toBe(first!.incidentId);

    const theirs = toIncident(await incidents.get(caller, first!.incidentId));
    expect(theirs).toMatchObject({ dedupKey: "theirs", occurrenceCount: 1 });
    expect(theirs.acknowledgedBy).toBe("integration:int-1");
    const mine = toIncident(await incidents.get(caller, created!.incidentId));
    expect(mine).toMatchObject({ dedupKey: "mine", occurrenceCount: 1 });
  });

  it("decides again what another replica overtook in a few round trips, not a few per alert", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => ({ dedupKey: `hot-${i}` }));
    const mine = new Incidents(new MongoIncidentStorage(counted.wrap(db)));
    const theirs = new Incidents(new MongoIncidentStorage(db));
    await mine.ingest(request(keys));
    // The other replica advances every incident: what this one keeps of them is stale.
    await theirs.ingest(request(keys));
    counted.reset();

    const results = (await mine.ingest(request(keys))).results;
    expect(results.every((r) => r.action === IngestAction.UPDATED)).toBe(true);
    for (const r of results) {
      expect(toIncident(await mine.get(caller, r.incidentId)).occurrenceCount).toBe(3);
    }
    // The overtaken appends fail together, and their scopes are read again together.
    expect(counted.calls.get("incident_events.insertMany")).toBeLessThanOrEqual(3);
    expect(counted.mostAtOnce.get("open_dedup_keys.findOne")).toBe(keys.length);
  });

  it("answers a batch of repeated deliveries with their first answers, looked up at once", async () => {
    const storage = new MongoIncidentStorage(counted.wrap(db));
    const incidents = new Incidents(storage);
    const deliveries = Array.from({ length: 20 }, (_, i) =>
      request([{ dedupKey: `repeat-${i}` }], `d-repeat-${i}`),
    );
    const first = await Promise.all(deliveries.map((d) => incidents.ingest(d)));
    counted.reset();
    const again = await Promise.all(deliveries.map((d) => incidents.ingest(d)));
    expect(again.map((o) => o.replayed)).toEqual(deliveries.map(() => true));
    expect(again.map((o) => o.results)).toEqual(first.map((o) => o.results));
    expect(counted.mostAtOnce.get("deliveries.findOne")).toBeGreaterThan(1);
  });
});
