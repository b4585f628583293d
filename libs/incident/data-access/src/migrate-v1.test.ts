import { IngestAction } from "@runframe/contracts";
import { openSqlite } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectV1Migrated } from "./migrate-v1.contract.js";
import { SqliteIncidentStorage } from "./sqlite-incident-store.js";

/** The first release's tables, as it created them. */
const V1_SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  organization_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  integration_id TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  service_id TEXT NOT NULL,
  status TEXT NOT NULL,
  first_alert TEXT NOT NULL,
  open_key TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  resolved_by TEXT,
  PRIMARY KEY (organization_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incident_events (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  summary TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  alert TEXT
);
CREATE INDEX IF NOT EXISTS incident_events_timeline ON incident_events (organization_id, incident_id, type, id);
CREATE TABLE IF NOT EXISTS services (
  organization_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (organization_id, service_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
  key TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  state TEXT NOT NULL,
  results TEXT NOT NULL,
  claimed_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_expiry ON deliveries (expires_at);
CREATE TABLE IF NOT EXISTS delivery_progress (
  key TEXT NOT NULL,
  idx INTEGER NOT NULL,
  result TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key, idx)
) WITHOUT ROWID;
`;

const alert = (title: string, metadata: Record<string, string> = {}) =>
  JSON.stringify({
    title,
    description: "",
    severity: "SEV2",
    sourceUrl: "",
    metadata,
    truncatedAlerts: 0,
  });

describe("upgrading an embedded store written by the first release", () => {
  let dir: string | undefined;
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it("keeps every incident with its counts, acknowledgement, timeline and delivery log", async () => {
    dir = await mkdtemp(join(tmpdir(), "runframe-v1-"));
    const db = openSqlite(dir);
    db.exec(V1_SCHEMA);
    const incident = db.prepare(
      `INSERT INTO incidents (organization_id, number, integration_id, dedup_key, service_id, status,
         first_alert, open_key, created_at, resolved_at, resolved_by) VALUES (?, ?, 'int-1', ?, 'SER-00001', ?, ?, ?, ?, ?, ?)`,
    );
    const event = db.prepare(
      `INSERT INTO incident_events (id, organization_id, incident_id, type, actor, summary, created_at, alert)
       VALUES (?, 'org-a', ?, ?, ?, ?, ?, ?)`,
    );
    incident.run(
      "org-a",
      1,
      "disk",
      "NEW",
      alert("Disk full", { "k8s.pod": "a" }),
      "open-key-1",
      1000,
      null,
      null,
    );
    event.run(
      "a1",
      "INC-00001",
      "CREATED",
      "integration:int-1",
      "Disk full",
      1000,
      alert("Disk full", { "k8s.pod": "a" }),
    );
    event.run(
      "a2",
      "INC-00001",
      "TRIGGERED",
      "integration:int-1",
      "Disk fuller",
      2000,
      alert("Disk fuller"),
    );
    event.run("a3", "INC-00001", "ACKNOWLEDGED", "api-key:key-a", "acknowledged", 2500, null);
    event.run(
      "a4",
      "INC-00001",
      "TRIGGERED",
      "integration:int-1",
      "Disk fullest",
      3000,
      alert("Disk fullest"),
    );
    incident.run(
      "org-a",
      2,
      "cpu",
      "RESOLVED",
      alert("CPU hot"),
      "org-a/INC-00002",
      4000,
      5000,
      "integration:int-1",
    );
    event.run("b1", "INC-00002", "CREATED", "integration:int-1", "CPU hot", 4000, alert("CPU hot"));
    event.run(
      "b2",
      "INC-00002",
      "RESOLVED",
      "integration:int-1",
      "resolved",
      5000,
      alert("CPU ok"),
    );
    db.prepare(
      `INSERT INTO deliveries (key, organization_id, integration_id, state, results, claimed_at, expires_at)
       VALUES ('old-key', 'org-a', 'int-1', 'done', ?, ?, ?)`,
    ).run(
      JSON.stringify([{ incidentId: "INC-00001", action: IngestAction.UPDATED, dedupKey: "disk" }]),
      Date.now(),
      Date.now() + 3_600_000,
    );
    db.prepare(
      "INSERT INTO services (organization_id, service_id, name) VALUES ('org-a', 'SER-00001', 'S')",
    ).run();

    const storage = new SqliteIncidentStorage(db, openSqlite(dir));
    expect(await storage.migrate()).toBe(2);
    expect(await storage.migrate()).toBe(0);

    await expectV1Migrated(storage);
  });
});
