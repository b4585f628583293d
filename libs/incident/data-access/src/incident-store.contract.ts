import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  AlertAction,
  IncidentStatus,
  IngestAction,
  IngestRequestSchema,
  NormalizedAlertSchema,
  Severity,
} from "@runframe/contracts";
import { toIncident, Incidents, type Caller } from "@runframe/incident-domain";
import { ValidationError } from "@runframe/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IncidentStore } from "@runframe/incident-domain";

type AlertInit = Omit<MessageInitShape<typeof NormalizedAlertSchema>, "$typeName">;

/** A store on fresh, empty storage, and how to throw it away. */
export interface StoreFixture {
  readonly store: IncidentStore;
  dispose(): Promise<void>;
}

/**
 * The behaviour every IncidentStore must have, asserted through the domain
 * that uses it. Run against MongoDB (FerretDB in CI) and SQLite with the
 * same assertions, so no behaviour exists in one store and not the other.
 */
export function describeIncidentStoreContract(
  name: string,
  open: () => Promise<StoreFixture>,
): void {
  describe(`incident store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let incidents: Incidents;
    const org = "org-a";
    const caller: Caller = { organizationId: org, keyId: "key-a" };

    beforeAll(async () => {
      fixture = await open();
      const store = fixture.store;
      await store.putService(org, { id: "SER-00001", name: "Checkout" });
      await store.putService("org-b", { id: "SER-00001", name: "Other org" });
      incidents = new Incidents(store);
    });
    afterAll(() => fixture.dispose());

    const alert = (fields: AlertInit) =>
      create(NormalizedAlertSchema, {
        action: AlertAction.TRIGGER,
        title: "Database down",
        serviceId: "SER-00001",
        status: IncidentStatus.NEW,
        ...fields,
      });
    const ingest = (
      alerts: AlertInit[],
      extra: { deliveryKey?: string; integrationId?: string; organizationId?: string } = {},
    ) =>
      incidents.ingest(
        create(IngestRequestSchema, {
          organizationId: extra.organizationId ?? org,
          integrationId: extra.integrationId ?? "int-1",
          deliveryKey: extra.deliveryKey ?? "",
          alerts: alerts.map(alert),
        }),
      );

    it("turns 200 concurrent first triggers of one key into one incident with 200 occurrences", async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () => ingest([{ dedupKey: "burst" }])),
      );
      const results = outcomes.map((o) => o.results[0]!);
      expect(results.filter((r) => r.action === IngestAction.CREATED)).toHaveLength(1);
      expect(results.filter((r) => r.action === IngestAction.UPDATED)).toHaveLength(199);
      expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
      const view = await incidents.get(caller, results[0]!.incidentId);
      expect(toIncident(view).occurrenceCount).toBe(200);
    });

    it("opens a new incident after the previous one with the key is resolved", async () => {
      const [first] = (await ingest([{ dedupKey: "cycle" }])).results;
      const [again] = (
        await ingest([{ dedupKey: "cycle", severity: Severity.SEV1, title: "Still down" }])
      ).results;
      expect(again).toMatchObject({ action: IngestAction.UPDATED, incidentId: first!.incidentId });
      const [resolved] = (await ingest([{ dedupKey: "cycle", action: AlertAction.RESOLVE }]))
        .results;
      expect(resolved).toMatchObject({
        action: IngestAction.RESOLVED,
        incidentId: first!.incidentId,
      });
      const [reopened] = (await ingest([{ dedupKey: "cycle" }])).results;
      expect(reopened!.action).toBe(IngestAction.CREATED);
      expect(reopened!.incidentId).not.toBe(first!.incidentId);
      const old = toIncident(await incidents.get(caller, first!.incidentId));
      expect(old).toMatchObject({
        status: IncidentStatus.RESOLVED,
        occurrenceCount: 2,
        title: "Still down",
        severity: Severity.SEV1,
      });
    });

    it("ignores a resolve that matches no open incident and creates nothing", async () => {
      const before = (await incidents.list(caller, {}, 100, "")).views.length;
      const [result] = (await ingest([{ dedupKey: "never-opened", action: AlertAction.RESOLVE }]))
        .results;
      expect(result).toMatchObject({ action: IngestAction.IGNORED, incidentId: "" });
      expect((await incidents.list(caller, {}, 100, "")).views.length).toBe(before);
    });

    it("replays a delivery key's first answer and changes nothing", async () => {
      const first = await ingest([{ dedupKey: "replayed" }], { deliveryKey: "d-1" });
      const second = await ingest([{ dedupKey: "replayed" }], { deliveryKey: "d-1" });
      expect(second).toEqual({ results: first.results, replayed: true });
      const view = await incidents.get(caller, first.results[0]!.incidentId);
      expect(toIncident(view).occurrenceCount).toBe(1);
    });

    it("does not apply an alert twice when a retry follows a failure part-way through", async () => {
      let failOnce = true;
      const flaky = new Proxy(fixture.store, {
        get(target, prop) {
          const value: unknown = Reflect.get(target, prop, target);
          if (prop === "findOpen") {
            return async (org: string, integration: string, key: string) => {
              if (key === "partial-2" && failOnce) {
                failOnce = false;
                throw new Error("storage hiccup");
              }
              return target.findOpen(org, integration, key);
            };
          }
          return typeof value === "function"
            ? (value as (...a: unknown[]) => unknown).bind(target)
            : value;
        },
      });
      const request = create(IngestRequestSchema, {
        organizationId: org,
        integrationId: "int-1",
        deliveryKey: "partial-delivery",
        alerts: [alert({ dedupKey: "partial-1" }), alert({ dedupKey: "partial-2" })],
      });
      await expect(new Incidents(flaky).ingest(request)).rejects.toThrow("storage hiccup");
      const retry = await incidents.ingest(request);
      expect(retry.results.map((r) => r.action)).toEqual([
        IngestAction.CREATED,
        IngestAction.CREATED,
      ]);
      const first = await incidents.get(caller, retry.results[0]!.incidentId);
      expect(toIncident(first).occurrenceCount).toBe(1);
    });

    it("refuses an unknown service before writing anything", async () => {
      const before = (await incidents.list(caller, {}, 100, "")).views.length;
      await expect(ingest([{ dedupKey: "x" }, { serviceId: "SER-99999" }])).rejects.toThrow(
        ValidationError,
      );
      expect((await incidents.list(caller, {}, 100, "")).views.length).toBe(before);
    });

    it("numbers incidents per organization and keeps organizations apart", async () => {
      const [b] = (await ingest([{ title: "B's incident" }], { organizationId: "org-b" })).results;
      expect(b!.incidentId).toBe("INC-00001");
      const other: Caller = { organizationId: "org-b", keyId: "key-b" };
      expect(toIncident(await incidents.get(other, "INC-00001")).title).toBe("B's incident");
      expect(toIncident(await incidents.get(caller, "INC-00001")).title).toBe("Database down");
    });

    it("pages through incidents newest first", async () => {
      const seen: string[] = [];
      let token = "";
      do {
        const page = await incidents.list(caller, {}, 2, token);
        seen.push(...page.views.map((v) => v.record.id));
        token = page.next;
      } while (token !== "");
      expect(seen.length).toBeGreaterThan(3);
      expect([...seen].sort().reverse()).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    });
  });
}
