/**
 * FerretDB v1 (the MongoDB stand-in of local tests and CI, and a server
 * some deployments use) keeps every statement of one `update` command
 * holding a connection of its 100-connection SQLite pool until the whole
 * command ends, and each statement needs one more: an update command of
 * 100 statements or more waits for itself forever, and from then on the
 * server answers nothing. These run on a FerretDB of their own, so a
 * regression wedges only that one.
 */
import { create } from "@bufbuild/protobuf";
import {
  AlertAction,
  IncidentStatus,
  IngestRequestSchema,
  NormalizedAlertSchema,
} from "@runframe/contracts";
import { Incidents, type Caller } from "@runframe/incident-domain";
import { startPrivateFerretDb, type PrivateFerretDb } from "@runframe/platform/testing";
import { MongoClient } from "mongodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MongoIncidentStorage } from "./mongo-incident-store.js";

const org = "org-a";
const caller: Caller = { organizationId: org, keyId: "key-a" };
const KEYS = 150;

/** Resolves with `work`, or rejects when it takes longer than `ms` (a wedged server). */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe("MongoDB store on FerretDB: writes to more than 100 incidents at once", () => {
  let ferret: PrivateFerretDb;
  let client: MongoClient;
  let incidents: Incidents;

  beforeEach(async () => {
    ferret = await startPrivateFerretDb();
    client = await MongoClient.connect(`${ferret.url}/many`, { serverSelectionTimeoutMS: 5_000 });
    const storage = new MongoIncidentStorage(client.db("many"));
    await storage.init();
    await storage.services.put(org, { id: "SER-00001", name: "Checkout" });
    incidents = new Incidents(storage);
  });
  afterEach(async () => {
    await client?.close(true);
    await ferret?.remove();
  });

  /** One delivery carrying an alert for each of the KEYS dedup keys. */
  const everyKey = (action: AlertAction) =>
    incidents.ingest(
      create(IngestRequestSchema, {
        organizationId: org,
        integrationId: "int-1",
        alerts: Array.from({ length: KEYS }, (_, i) =>
          create(NormalizedAlertSchema, {
            action,
            title: "Disk full",
            serviceId: "SER-00001",
            status: IncidentStatus.NEW,
            dedupKey: `key-${i}`,
          }),
        ),
      }),
    );

  it("moves the documents of every advanced incident to its newest state, and keeps answering", async () => {
    const opened = await within(20_000, "opening", everyKey(AlertAction.TRIGGER));
    // Advancing 150 incidents in one unit moves all their documents at once.
    await within(20_000, "triggering again", everyKey(AlertAction.TRIGGER));
    const documents = client.db("many").collection<{ _id: string; seq: number }>("incidents");
    const moved = async () =>
      (await documents.find({ organizationId: org }).toArray()).filter((d) => d.seq === 2).length;
    await expect
      .poll(() => within(5_000, "reading the documents", moved()), { timeout: 15_000 })
      .toBe(KEYS);
    const id = opened.results[0]!.incidentId;
    expect((await within(5_000, "reading", incidents.get(caller, id))).occurrences).toBe(2);
  });

  it("resolves more than 100 incidents in one unit", async () => {
    await within(20_000, "opening", everyKey(AlertAction.TRIGGER));
    const resolved = await within(20_000, "resolving", everyKey(AlertAction.RESOLVE));
    expect(resolved.results.every((r) => r.incidentId !== "")).toBe(true);
    const open = await within(
      5_000,
      "listing",
      incidents.list(caller, { status: IncidentStatus.NEW }, 100, ""),
    );
    expect(open.incidents).toEqual([]);
  });
});
