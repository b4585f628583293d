import { backendUrl, uniqueDbName } from "@runframe/platform/testing";
import { IngestAction } from "@runframe/contracts";
import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { describeInboxContract } from "./inbox.contract.js";
import { describeIncidentStorageContract } from "./incident-storage.contract.js";
import { describeSchedulesContract } from "./schedules.contract.js";
import { expectV1Migrated } from "./migrate-v1.contract.js";
import { MongoIncidentStorage } from "./mongo-incident-store.js";

const openMongoDB = async () => {
  const client = await MongoClient.connect(backendUrl("MONGO_URL"));
  const db = client.db(uniqueDbName("incidents"));
  const storage = new MongoIncidentStorage(db);
  await storage.init();
  return {
    storage,
    replica: async (options?: { readonly claimLeaseMs?: number }) =>
      new MongoIncidentStorage(db, options),
    exclusiveUnits: false,
    async dispose() {
      await db.dropDatabase();
      await client.close();
    },
  };
};

describeIncidentStorageContract("MongoDB", openMongoDB);
describeInboxContract("MongoDB", openMongoDB);
describeSchedulesContract("MongoDB", openMongoDB);

/** A document as the first release wrote it. */
type Raw = { _id: string; [field: string]: unknown };

describe("upgrading MongoDB data written by the first release", () => {
  it("keeps every incident with its counts, acknowledgement, timeline and delivery log", async () => {
    const client = await MongoClient.connect(backendUrl("MONGO_URL"));
    const db = client.db(uniqueDbName("v1"));
    try {
      const alert = (title: string, metadata: Record<string, string> = {}) => ({
        title,
        description: "",
        severity: "SEV2",
        sourceUrl: "",
        metadata,
        truncatedAlerts: 0,
      });
      const incident = (number: number, dedupKey: string, status: string, openKey: string) => ({
        _id: `org-a/INC-0000${number}`,
        organizationId: "org-a",
        number,
        integrationId: "int-1",
        dedupKey,
        serviceId: "SER-00001",
        status,
        first: alert(number === 1 ? "Disk full" : "CPU hot"),
        openKey,
        createdAt: new Date(number === 1 ? 1000 : 4000),
      });
      await db
        .collection<Raw>("incidents")
        .insertMany([
          incident(1, "disk", "NEW", "open-key-1"),
          { ...incident(2, "cpu", "RESOLVED", "org-a/INC-00002"), resolvedAt: new Date(5000) },
        ]);
      const event = (
        id: string,
        inc: string,
        type: string,
        actor: string,
        at: number,
        a?: object,
      ) => ({
        _id: id,
        organizationId: "org-a",
        incidentId: inc,
        type,
        actor,
        summary: type.toLowerCase(),
        createdAt: new Date(at),
        ...(a && { alert: a }),
      });
      await db
        .collection<Raw>("incident_events")
        .insertMany([
          event("a1", "INC-00001", "CREATED", "integration:int-1", 1000, alert("Disk full")),
          event("a2", "INC-00001", "TRIGGERED", "integration:int-1", 2000, alert("Disk fuller")),
          event("a3", "INC-00001", "ACKNOWLEDGED", "api-key:key-a", 2500),
          event("a4", "INC-00001", "TRIGGERED", "integration:int-1", 3000, alert("Disk fullest")),
          event("b1", "INC-00002", "CREATED", "integration:int-1", 4000, alert("CPU hot")),
          event("b2", "INC-00002", "RESOLVED", "integration:int-1", 5000, alert("CPU ok")),
        ]);
      await db.collection<Raw>("deliveries").insertOne({
        _id: "old-key",
        organizationId: "org-a",
        integrationId: "int-1",
        state: "done",
        results: [{ incidentId: "INC-00001", action: IngestAction.UPDATED, dedupKey: "disk" }],
        claimedAt: new Date(),
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      await db.collection<Raw>("incident_counters").insertOne({ _id: "org-a", last: 2 });
      const storage = new MongoIncidentStorage(db);
      await storage.init();
      await storage.services.put("org-a", { id: "SER-00001", name: "S" });
      expect(await storage.migrate()).toBe(2);
      expect(await storage.migrate()).toBe(0);
      await expectV1Migrated(storage);
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });
});
