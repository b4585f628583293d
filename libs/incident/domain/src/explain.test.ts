import { AlertAction, IncidentStatus, IngestAction, Severity } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { explainDelivery, type ExplainReads } from "./explain.js";
import type { AlertInput, DeliveryInput } from "./ingest.js";
import { openKeyOf, type IncidentRecord, type StoredResult } from "./model.js";

const at = new Date("2026-12-01T10:00:00Z");
const scope = { organizationId: "org-1", integrationId: "int-1" };

function alert(fields: Partial<AlertInput>): AlertInput {
  return {
    action: AlertAction.TRIGGER,
    title: "Disk full",
    description: "",
    severity: Severity.SEV2,
    sourceUrl: "",
    metadata: {},
    truncatedAlerts: 0,
    serviceId: "SER-00001",
    dedupKey: "",
    status: IncidentStatus.NEW,
    ...fields,
  };
}

function delivery(alerts: AlertInput[], keys: string[] = []): DeliveryInput {
  return { ...scope, keys, alerts, receivedAt: at };
}

function openIncident(dedupKey: string, id: string): IncidentRecord {
  return {
    ...scope,
    id,
    number: Number(id.slice(4)),
    dedupKey,
    serviceId: "SER-00001",
    createdAt: at,
    status: IncidentStatus.NEW,
    occurrences: 3,
    lastSeenAt: at,
    latest: {
      title: "t",
      description: "",
      severity: Severity.SEV2,
      sourceUrl: "",
      metadata: {},
      truncatedAlerts: 0,
    },
    sourceUrl: "",
    truncatedAlerts: 0,
    updatedAt: at,
    seq: 3,
  };
}

/** Reads over a fixed store; counts lookups, and has no way to write. */
function reads(open: IncidentRecord[], answered = new Map<string, StoredResult[]>()) {
  const byKey = new Map(open.map((i) => [openKeyOf(i), i]));
  const lookups: string[] = [];
  const store: ExplainReads = {
    incidents: {
      findOpen: async (s) => {
        lookups.push(s.dedupKey);
        return byKey.get(openKeyOf(s));
      },
    },
    deliveries: {
      answered: async (keys) => keys.map((k) => answered.get(k)).find((r) => r !== undefined),
    },
  };
  return { store, lookups };
}

const result = (action: IngestAction, dedupKey: string, incidentId = "") => ({
  incidentId,
  action,
  dedupKey,
});

describe("explainDelivery", () => {
  it("names the open incident a trigger, a resolve or an acknowledgement would apply to", async () => {
    const { store } = reads([openIncident("disk", "INC-00007")]);
    const explained = await explainDelivery(
      store,
      delivery([
        alert({ dedupKey: "disk" }),
        alert({ dedupKey: "disk", action: AlertAction.ACKNOWLEDGE }),
        alert({ dedupKey: "disk", action: AlertAction.RESOLVE }),
        alert({ dedupKey: "disk", action: AlertAction.RESOLVE }),
      ]),
      at,
    );
    expect(explained).toEqual({
      replayed: false,
      explanations: [
        { result: result(IngestAction.UPDATED, "disk", "INC-00007") },
        { result: result(IngestAction.ACKNOWLEDGED, "disk", "INC-00007") },
        { result: result(IngestAction.RESOLVED, "disk", "INC-00007") },
        // The first resolve freed the key: nothing left to resolve.
        { result: result(IngestAction.IGNORED, "disk") },
      ],
    });
  });

  it("creates without a key every time, and ignores what matches no open incident", async () => {
    const { store } = reads([]);
    const explained = await explainDelivery(
      store,
      delivery([
        alert({}),
        alert({}),
        alert({ dedupKey: "gone", action: AlertAction.RESOLVE }),
        alert({ dedupKey: "gone", action: AlertAction.ACKNOWLEDGE }),
      ]),
      at,
    );
    expect(explained.explanations).toEqual([
      { result: result(IngestAction.CREATED, ""), newIncidentAlert: 0 },
      { result: result(IngestAction.CREATED, ""), newIncidentAlert: 1 },
      { result: result(IngestAction.IGNORED, "gone") },
      { result: result(IngestAction.IGNORED, "gone") },
    ]);
  });

  it("applies later alerts to an incident an earlier alert of the delivery would create", async () => {
    const { store, lookups } = reads([]);
    const explained = await explainDelivery(
      store,
      delivery([
        alert({ dedupKey: "new" }),
        alert({ dedupKey: "new" }),
        alert({ dedupKey: "new", action: AlertAction.RESOLVE }),
        alert({ dedupKey: "new" }),
      ]),
      at,
    );
    expect(explained.explanations).toEqual([
      { result: result(IngestAction.CREATED, "new"), newIncidentAlert: 0 },
      { result: result(IngestAction.UPDATED, "new"), newIncidentAlert: 0 },
      { result: result(IngestAction.RESOLVED, "new"), newIncidentAlert: 0 },
      { result: result(IngestAction.CREATED, "new"), newIncidentAlert: 3 },
    ]);
    // The store is asked once; the rest is what the delivery itself would do.
    expect(lookups).toEqual(["new"]);
  });

  it("keeps an incident open when the delivery opens another, already resolved, under its key", async () => {
    const { store } = reads([openIncident("db", "INC-00002")]);
    const explained = await explainDelivery(
      store,
      delivery([
        alert({ dedupKey: "db", status: IncidentStatus.RESOLVED }),
        alert({ dedupKey: "db" }),
      ]),
      at,
    );
    expect(explained.explanations).toEqual([
      { result: result(IngestAction.CREATED, "db"), newIncidentAlert: 0 },
      { result: result(IngestAction.UPDATED, "db", "INC-00002") },
    ]);
  });

  it("answers a redelivery with the first answer, by key or alias, without deciding anything", async () => {
    const first = [result(IngestAction.CREATED, "k", "INC-00009")];
    const { store, lookups } = reads([], new Map([["alias-1", first]]));
    const explained = await explainDelivery(
      store,
      delivery([alert({ dedupKey: "k" })], ["key-1", "alias-1"]),
      at,
    );
    expect(explained).toEqual({ replayed: true, explanations: [{ result: first[0] }] });
    expect(lookups).toEqual([]);
  });
});
