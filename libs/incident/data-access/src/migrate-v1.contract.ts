import { IncidentEventType, IncidentStatus, IngestAction, Severity } from "@runframe/contracts";
import { Incidents, toIncident, type IncidentStorage } from "@runframe/incident-domain";
import { expect } from "vitest";

/**
 * What every store must show after upgrading the first release's data (see
 * the tests that write it): incident INC-00001 (key "disk") created, twice
 * triggered and acknowledged; INC-00002 created and resolved; delivery
 * "old-key" answered with an update of INC-00001.
 */
export async function expectV1Migrated(storage: IncidentStorage): Promise<void> {
  const incidents = new Incidents(storage);
  const caller = { organizationId: "org-a", keyId: "key-a" };
  expect(toIncident(await incidents.get(caller, "INC-00001"))).toMatchObject({
    occurrenceCount: 3,
    title: "Disk fullest",
    severity: Severity.SEV2,
    status: IncidentStatus.NEW,
    acknowledgedBy: "api-key:key-a",
  });
  expect(toIncident(await incidents.get(caller, "INC-00002"))).toMatchObject({
    status: IncidentStatus.RESOLVED,
    occurrenceCount: 1,
  });
  const timeline = await incidents.events(caller, "INC-00001", 10, "");
  expect(timeline.events.map((e) => e.type)).toEqual([
    IncidentEventType.CREATED,
    IncidentEventType.TRIGGERED,
    IncidentEventType.ACKNOWLEDGED,
    IncidentEventType.TRIGGERED,
  ]);
  const ingest = (deliveryKey: string, dedupKey: string) =>
    incidents.ingest({
      $typeName: "runframe.incident.v1.IngestRequest",
      organizationId: "org-a",
      integrationId: "int-1",
      deliveryKey,
      deliveryAlias: "",
      alerts: [
        {
          $typeName: "runframe.normalizer.v1.NormalizedAlert",
          action: 1,
          title: "again",
          description: "",
          severity: Severity.SEV2,
          status: IncidentStatus.NEW,
          serviceId: "SER-00001",
          sourceUrl: "",
          dedupKey,
          metadata: {},
          truncatedAlerts: 0,
        },
      ],
    });
  expect(await ingest("old-key", "disk")).toEqual({
    results: [{ incidentId: "INC-00001", action: IngestAction.UPDATED, dedupKey: "disk" }],
    replayed: true,
  });
  expect((await ingest("", "disk")).results[0]).toMatchObject({
    incidentId: "INC-00001",
    action: IngestAction.UPDATED,
  });
  expect((await ingest("", "new")).results[0]!.incidentId).toBe("INC-00003");
}
