import { create } from "@bufbuild/protobuf";
import {
  AlertAction,
  IncidentStatus,
  IngestAction,
  IngestRequestSchema,
} from "@runframe/contracts";
import { Incidents, type IncidentStore } from "@runframe/incident-domain";
import { openSqlite } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteIncidentStore } from "./sqlite-incident-store.js";

describe("a trigger racing a resolve", () => {
  let dir: string;
  let store: SqliteIncidentStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runframe-race-"));
    store = new SqliteIncidentStore(openSqlite(dir));
    await store.putService("org", { id: "SER-00001", name: "s" });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const trigger = (incidents: Incidents) =>
    incidents.ingest(
      create(IngestRequestSchema, {
        organizationId: "org",
        integrationId: "int",
        alerts: [
          {
            action: AlertAction.TRIGGER,
            title: "t",
            serviceId: "SER-00001",
            dedupKey: "k",
            status: IncidentStatus.NEW,
          },
        ],
      }),
    );

  it("opens a new incident when the one it found was resolved before its occurrence was recorded", async () => {
    const [first] = (await trigger(new Incidents(store))).results;
    // A store whose findOpen is followed, before anything else, by a resolve
    // from another caller: the interleaving the race produces.
    const findOpen: IncidentStore["findOpen"] = async (...args) => {
      const found = await store.findOpen(...args);
      if (found) {
        await store.resolve(found.organizationId, found.id, new Date(), "api-key:other");
      }
      return found;
    };
    const racing = new Proxy(store, {
      get(target, prop) {
        if (prop === "findOpen") {
          return findOpen;
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function"
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    const [second] = (await trigger(new Incidents(racing))).results;
    expect(second!.action).toBe(IngestAction.CREATED);
    expect(second!.incidentId).not.toBe(first!.incidentId);
    expect(await store.findOpen("org", "int", "k")).toMatchObject({ id: second!.incidentId });
  });
});
