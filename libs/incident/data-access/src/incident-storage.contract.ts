import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentEventType,
  IncidentStatus,
  IngestAction,
  IngestRequestSchema,
  NormalizedAlertSchema,
  Severity,
} from "@runframe/contracts";
import {
  DELIVERY_RETENTION_MS,
  Incidents,
  IncidentWatcher,
  ServiceAdmin,
  toIncident,
  type Caller,
  type IncidentStorage,
  type IngestOutcome,
  type WatchItem,
  type WriteUnit,
} from "@runframe/incident-domain";
import {
  AlreadyExistsError,
  encodePageToken,
  FailedPreconditionError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from "@runframe/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type AlertInit = Omit<MessageInitShape<typeof NormalizedAlertSchema>, "$typeName">;

/** Storage on fresh, empty backing, a second handle on it (another replica), and how to throw it away. */
export interface StorageFixture {
  readonly storage: IncidentStorage;
  /**
   * Another, independent instance on the same data: what a second incident
   * replica sees. `claimLeaseMs` shortens how long a delivery's claim holds
   * off other attempts, on stores whose claims have a lease.
   */
  replica(options?: { readonly claimLeaseMs?: number }): Promise<IncidentStorage>;
  /**
   * Units of every replica run one after another (SQLite: one writer, one
   * transaction per unit), so no attempt can take over a delivery another
   * attempt is in the middle of applying.
   */
  readonly exclusiveUnits: boolean;
  dispose(): Promise<void>;
}

/** Metadata keys the published schema allows and MongoDB refuses as field names. */
export const POISON_METADATA: Readonly<Record<string, string>> = {
  "k8s.pod.name": "api-7d9f",
  $ref: "dollar",
  "with\u0000nul": "nul key",
  "ключ.名前": "non-ASCII",
  plain: "value with \u0000 inside",
};

/**
 * The behaviour every IncidentStorage must have, asserted through the domain
 * that uses it. Run against MongoDB (FerretDB in CI) and SQLite with the
 * same assertions, so no behaviour exists in one store and not the other.
 */
export function describeIncidentStorageContract(
  name: string,
  open: () => Promise<StorageFixture>,
): void {
  describe(`incident storage contract: ${name}`, () => {
    let fixture: StorageFixture;
    let incidents: Incidents;
    let other: Incidents;
    const org = "org-a";
    const caller: Caller = { organizationId: org, keyId: "key-a" };

    beforeAll(async () => {
      fixture = await open();
      await fixture.storage.services.put(org, { id: "SER-00001", name: "Checkout" });
      await fixture.storage.services.put("org-b", { id: "SER-00001", name: "Other org" });
      incidents = new Incidents(fixture.storage);
      other = new Incidents(await fixture.replica());
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
    const request = (
      alerts: AlertInit[],
      extra: {
        deliveryKey?: string;
        deliveryAlias?: string;
        integrationId?: string;
        organizationId?: string;
        receivedAt?: Date;
      } = {},
    ) =>
      create(IngestRequestSchema, {
        organizationId: extra.organizationId ?? org,
        integrationId: extra.integrationId ?? "int-1",
        deliveryKey: extra.deliveryKey ?? "",
        deliveryAlias: extra.deliveryAlias ?? "",
        alerts: alerts.map(alert),
        ...(extra.receivedAt && { receiveTime: timestampFromDate(extra.receivedAt) }),
      });
    const ingest = (alerts: AlertInit[], extra: Parameters<typeof request>[1] = {}) =>
      incidents.ingest(request(alerts, extra));
    const view = async (id: string) => toIncident(await incidents.get(caller, id));

    it("turns 200 concurrent first triggers of one key into one incident with 200 occurrences", async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () => ingest([{ dedupKey: "burst" }])),
      );
      const results = outcomes.map((o) => o.results[0]!);
      expect(results.filter((r) => r.action === IngestAction.CREATED)).toHaveLength(1);
      expect(results.filter((r) => r.action === IngestAction.UPDATED)).toHaveLength(199);
      expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
      expect((await view(results[0]!.incidentId)).occurrenceCount).toBe(200);
    });

    it("counts 200 concurrent triggers split across two replicas exactly once each", async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 === 0 ? incidents : other).ingest(request([{ dedupKey: "two-replicas" }])),
        ),
      );
      const results = outcomes.map((o) => o.results[0]!);
      expect(results.filter((r) => r.action === IngestAction.CREATED)).toHaveLength(1);
      expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
      expect((await view(results[0]!.incidentId)).occurrenceCount).toBe(200);
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
      expect(await view(first!.incidentId)).toMatchObject({
        status: IncidentStatus.RESOLVED,
        occurrenceCount: 2,
        title: "Still down",
        severity: Severity.SEV1,
      });
    });

    it("sees another replica's resolution: the next trigger opens a new incident", async () => {
      const [first] = (await ingest([{ dedupKey: "stale-cache" }])).results;
      await other.resolve(caller, first!.incidentId, "fixed elsewhere");
      const [next] = (await ingest([{ dedupKey: "stale-cache" }])).results;
      expect(next!.action).toBe(IngestAction.CREATED);
      expect(next!.incidentId).not.toBe(first!.incidentId);
      expect((await view(first!.incidentId)).occurrenceCount).toBe(1);
    });

    it("counts each trigger once, on the incident it was answered with, when triggers race a resolve", async () => {
      await ingest([{ dedupKey: "race" }]);
      const [triggers, resolve] = await Promise.all([
        Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            (i % 2 === 0 ? incidents : other).ingest(request([{ dedupKey: "race" }])),
          ),
        ),
        other.ingest(request([{ dedupKey: "race", action: AlertAction.RESOLVE }])),
      ]);
      expect(resolve.results[0]!.action).toBe(IngestAction.RESOLVED);
      const answered = new Map<string, number>();
      for (const outcome of triggers) {
        const { incidentId } = outcome.results[0]!;
        answered.set(incidentId, (answered.get(incidentId) ?? 0) + 1);
      }
      const resolvedId = resolve.results[0]!.incidentId;
      answered.set(resolvedId, (answered.get(resolvedId) ?? 0) + 1);
      for (const [id, count] of answered) {
        expect((await view(id)).occurrenceCount, id).toBe(count);
      }
    });

    it("ignores a resolve that matches no open incident and creates nothing", async () => {
      const before = (await incidents.list(caller, {}, 100, "")).incidents.length;
      const [result] = (await ingest([{ dedupKey: "never-opened", action: AlertAction.RESOLVE }]))
        .results;
      expect(result).toMatchObject({ action: IngestAction.IGNORED, incidentId: "" });
      expect((await incidents.list(caller, {}, 100, "")).incidents.length).toBe(before);
    });

    it("replays a delivery key's first answer and changes nothing, on either replica", async () => {
      const first = await ingest([{ dedupKey: "replayed" }], { deliveryKey: "d-1" });
      const second = await ingest([{ dedupKey: "replayed" }], { deliveryKey: "d-1" });
      const third = await other.ingest(request([{ dedupKey: "replayed" }], { deliveryKey: "d-1" }));
      expect(second).toEqual({ results: first.results, replayed: true });
      expect(third).toEqual({ results: first.results, replayed: true });
      expect((await view(first.results[0]!.incidentId)).occurrenceCount).toBe(1);
    });

    it("applies concurrent repeats of one delivery once", async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? incidents : other).ingest(
            request([{ dedupKey: "repeats" }], { deliveryKey: "d-repeat" }),
          ),
        ),
      );
      expect(outcomes.filter((o) => !o.replayed)).toHaveLength(1);
      expect((await view(outcomes[0]!.results[0]!.incidentId)).occurrenceCount).toBe(1);
    });

    it("answers a delivery matching an earlier one's alias as that delivery", async () => {
      const first = await ingest([{ dedupKey: "aliased" }], {
        deliveryKey: "sig-1",
        deliveryAlias: "idem-1",
      });
      const resigned = await ingest([{ dedupKey: "aliased" }], {
        deliveryKey: "sig-2",
        deliveryAlias: "idem-1",
      });
      const replayedWithNewAlias = await ingest([{ dedupKey: "aliased" }], {
        deliveryKey: "sig-1",
        deliveryAlias: "idem-2",
      });
      expect(resigned).toEqual({ results: first.results, replayed: true });
      expect(replayedWithNewAlias).toEqual({ results: first.results, replayed: true });
      expect((await view(first.results[0]!.incidentId)).occurrenceCount).toBe(1);
    });

    it("applies a delivery sent twice in one batch once, and answers both with its results", async () => {
      const delivery = request([{ dedupKey: "doubled" }], { deliveryKey: "d-doubled" });
      // Submitted in the same tick, so the same unit claims it twice.
      const [a, b] = await Promise.all([incidents.ingest(delivery), incidents.ingest(delivery)]);
      expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
      expect(b.results).toEqual(a.results);
      expect((await view(a.results[0]!.incidentId)).occurrenceCount).toBe(1);
      expect(await incidents.ingest(delivery)).toEqual({ results: a.results, replayed: true });
    });

    it("does not apply an alert twice when a retry follows a failure part-way through", async () => {
      const failing: IncidentStorage = {
        ...fixture.storage,
        writer: {
          unit: (work) =>
            fixture.storage.writer.unit((unit) =>
              work({
                ...bind(unit),
                complete() {
                  throw new Error("storage hiccup");
                },
              }),
            ),
        },
      };
      const delivery = request([{ dedupKey: "partial-1" }, { dedupKey: "partial-2" }], {
        deliveryKey: "partial-delivery",
      });
      await expect(new Incidents(failing).ingest(delivery)).rejects.toThrow("storage hiccup");
      const retry = await incidents.ingest(delivery);
      expect(retry.results.map((r) => r.action)).toEqual([
        IngestAction.CREATED,
        IngestAction.CREATED,
      ]);
      for (const result of retry.results) {
        expect((await view(result.incidentId)).occurrenceCount).toBe(1);
      }
      expect((await incidents.ingest(delivery)).replayed).toBe(true);
    });

    it("applies a delivery once when a retry takes over from an attempt that outlived its claim's lease", async () => {
      // A replica stalls after claiming a delivery (a long pause, an
      // overloaded server); its sender gives up and sends again after the
      // claim's lease, to another replica, which takes the delivery over.
      // Then a third copy arrives while the second is still being applied,
      // after the first gave up.
      const leaseMs = 600;
      const slow = stalling(await fixture.replica({ claimLeaseMs: leaseMs }));
      const retry = stalling(await fixture.replica({ claimLeaseMs: leaseMs }));
      const late = stalling(await fixture.replica({ claimLeaseMs: leaseMs }));
      late.release();
      const send = (storage: IncidentStorage) =>
        new Incidents(storage)
          .ingest(request([{ dedupKey: "leased" }], { deliveryKey: "d-leased" }))
          .then(
            (outcome) => outcome,
            (error: unknown) => error,
          );

      const first = send(slow.storage);
      await slow.claimed;
      await new Promise((resolve) => setTimeout(resolve, leaseMs + 200));
      const second = send(retry.storage);
      if (!fixture.exclusiveUnits) {
        // Both at work on the delivery at once: the stalled one wakes up
        // after the retry took it over, before the retry writes anything.
        await retry.claimed;
      }
      slow.release();
      const firstOutcome = await first;
      const third = send(late.storage);
      if (!fixture.exclusiveUnits) {
        // The third copy finds the retry's claim while the retry applies it.
        await late.claimed;
      }
      retry.release();
      const outcomes = [firstOutcome, await second, await third];

      // An attempt either answers or refuses retryably; none writes twice.
      const answered = outcomes.filter((o): o is IngestOutcome => !(o instanceof Error));
      for (const refused of outcomes.filter((o) => o instanceof Error)) {
        expect(refused).toBeInstanceOf(UnavailableError);
      }
      expect(answered.length).toBeGreaterThan(0);
      const ids = new Set(answered.map((o) => o.results[0]!.incidentId));
      expect(ids.size).toBe(1);
      const [id] = ids;
      expect((await view(id!)).occurrenceCount).toBe(1);
      const again = await ingest([{ dedupKey: "leased" }], { deliveryKey: "d-leased" });
      expect(again).toMatchObject({ replayed: true, results: [{ incidentId: id }] });
    });

    it("stores metadata keys with dots, dollars, NUL and non-ASCII exactly (red-team finding 1)", async () => {
      const [result] = (
        await ingest([{ dedupKey: "poison", metadata: POISON_METADATA }], { deliveryKey: "p-1" })
      ).results;
      expect((await view(result!.incidentId)).metadata).toEqual(POISON_METADATA);
      const group = await ingest(
        [
          { dedupKey: "group-good" },
          { dedupKey: "group-poison", metadata: POISON_METADATA },
          { dedupKey: "group-good-2" },
        ],
        { deliveryKey: "p-group" },
      );
      expect(group.results.map((r) => r.action)).toEqual([
        IngestAction.CREATED,
        IngestAction.CREATED,
        IngestAction.CREATED,
      ]);
      for (const r of group.results) {
        expect((await view(r.incidentId)).occurrenceCount).toBe(1);
      }
      const events = await incidents.events(caller, group.results[1]!.incidentId, 10, "");
      expect(events.events.map((e) => e.type)).toEqual([IncidentEventType.CREATED]);
    });

    it("refuses an unknown service before writing anything", async () => {
      const before = (await incidents.list(caller, {}, 100, "")).incidents.length;
      await expect(ingest([{ dedupKey: "x" }, { serviceId: "SER-99999" }])).rejects.toThrow(
        ValidationError,
      );
      expect((await incidents.list(caller, {}, 100, "")).incidents.length).toBe(before);
    });

    it("keeps acknowledgement and counts on the incident, and the timeline in order", async () => {
      const [created] = (await ingest([{ dedupKey: "ack" }])).results;
      const id = created!.incidentId;
      await ingest([{ dedupKey: "ack", title: "Again" }]);
      const acked = toIncident(await incidents.acknowledge(caller, id));
      expect(acked.acknowledgedBy).toBe("api-key:key-a");
      const again = toIncident(await other.acknowledge(caller, id));
      expect(again.acknowledgeTime).toEqual(acked.acknowledgeTime);
      await ingest([{ dedupKey: "ack", title: "Third" }]);
      const listed = (await incidents.list(caller, {}, 100, "")).incidents.find((i) => i.id === id);
      expect(toIncident(listed!)).toMatchObject({
        occurrenceCount: 3,
        title: "Third",
        acknowledgedBy: "api-key:key-a",
      });
      const resolved = await incidents.resolve(caller, id, "done");
      expect(resolved.status).toBe(IncidentStatus.RESOLVED);
      expect((await incidents.resolve(caller, id, "again")).resolvedAt).toEqual(
        resolved.resolvedAt,
      );
      const types: IncidentEventType[] = [];
      let token = "";
      do {
        const page = await incidents.events(caller, id, 2, token);
        types.push(...page.events.map((e) => e.type));
        token = page.next;
      } while (token !== "");
      expect(types).toEqual([
        IncidentEventType.CREATED,
        IncidentEventType.TRIGGERED,
        IncidentEventType.ACKNOWLEDGED,
        IncidentEventType.TRIGGERED,
        IncidentEventType.RESOLVED,
      ]);
      const open = await incidents.list(caller, { status: IncidentStatus.RESOLVED }, 100, "");
      expect(open.incidents.map((i) => i.id)).toContain(id);
    });

    it("lets an alert acknowledge the open incident of its key, once, and ignores one with nothing open", async () => {
      const acknowledgement = { dedupKey: "source-ack", action: AlertAction.ACKNOWLEDGE };
      const [unmatched] = (await ingest([acknowledgement])).results;
      expect(unmatched).toMatchObject({ action: IngestAction.IGNORED, incidentId: "" });
      const [keyless] = (await ingest([{ action: AlertAction.ACKNOWLEDGE }])).results;
      expect(keyless).toMatchObject({ action: IngestAction.IGNORED, incidentId: "" });

      const [created] = (await ingest([{ dedupKey: "source-ack" }])).results;
      const id = created!.incidentId;
      const [acked] = (await ingest([acknowledgement], { deliveryKey: "ack-delivery" })).results;
      expect(acked).toMatchObject({ action: IngestAction.ACKNOWLEDGED, incidentId: id });
      const first = await view(id);
      expect(first).toMatchObject({
        acknowledgedBy: "integration:int-1",
        status: IncidentStatus.NEW,
        occurrenceCount: 1,
      });
      expect(first.acknowledgeTime).toBeDefined();

      const [again] = (await other.ingest(request([acknowledgement]))).results;
      expect(again).toMatchObject({ action: IngestAction.ACKNOWLEDGED, incidentId: id });
      expect((await view(id)).acknowledgeTime).toEqual(first.acknowledgeTime);
      expect(await ingest([acknowledgement], { deliveryKey: "ack-delivery" })).toMatchObject({
        replayed: true,
      });

      await ingest([{ dedupKey: "source-ack", action: AlertAction.RESOLVE }]);
      const [afterResolve] = (await ingest([acknowledgement])).results;
      expect(afterResolve!.action).toBe(IngestAction.IGNORED);
      const types = (await incidents.events(caller, id, 10, "")).events.map((e) => e.type);
      expect(types).toEqual([
        IncidentEventType.CREATED,
        IncidentEventType.ACKNOWLEDGED,
        IncidentEventType.RESOLVED,
      ]);
    });

    it("refuses to acknowledge a resolved incident", async () => {
      const [created] = (await ingest([{ dedupKey: "ack-resolved" }])).results;
      await incidents.resolve(caller, created!.incidentId, "");
      await expect(incidents.acknowledge(caller, created!.incidentId)).rejects.toThrow(
        FailedPreconditionError,
      );
    });

    it("numbers incidents per organization and keeps organizations apart", async () => {
      const [b] = (await ingest([{ title: "B's incident" }], { organizationId: "org-b" })).results;
      expect(b!.incidentId).toBe("INC-00001");
      const otherOrg: Caller = { organizationId: "org-b", keyId: "key-b" };
      expect(toIncident(await incidents.get(otherOrg, "INC-00001")).title).toBe("B's incident");
      expect(toIncident(await incidents.get(caller, "INC-00001")).title).toBe("Database down");
    });

    it("pages through incidents newest first", async () => {
      const seen: string[] = [];
      let token = "";
      do {
        const page = await incidents.list(caller, {}, 2, token);
        seen.push(...page.incidents.map((i) => i.id));
        token = page.next;
      } while (token !== "");
      expect(seen.length).toBeGreaterThan(3);
      expect([...seen].sort().reverse()).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
    });

    it("refuses a page token that is not one of its listing's, as a bad page_token", async () => {
      const { incidents: reader, timeline, services } = fixture.storage;
      const refused = { violations: [{ field: "page_token" }] };
      const aString = encodePageToken("SER-00001");
      const aNumber = encodePageToken(2);
      await expect(reader.list(org, {}, 2, aString)).rejects.toMatchObject(refused);
      await expect(timeline.events(org, "INC-00001", 2, aString)).rejects.toMatchObject(refused);
      await expect(services.list(org, 2, aNumber)).rejects.toMatchObject(refused);
      await expect(reader.list(org, {}, 2, "not base64 json")).rejects.toThrow(ValidationError);
    });

    it("keeps a catalog: create, rename, delete, each organization apart", async () => {
      const { services } = fixture.storage;
      await services.create(org, { id: "SER-CAT", name: "Catalog" });
      await expect(services.create(org, { id: "SER-CAT", name: "Again" })).rejects.toThrow(
        AlreadyExistsError,
      );
      await services.create("org-b", { id: "SER-CAT", name: "B's" });
      expect(await services.update(org, { id: "SER-CAT", name: "Renamed" })).toBe(true);
      expect(await services.update(org, { id: "SER-NONE", name: "x" })).toBe(false);
      expect(await services.get(org, "SER-CAT")).toEqual({ id: "SER-CAT", name: "Renamed" });
      expect(await services.get("org-b", "SER-CAT")).toEqual({ id: "SER-CAT", name: "B's" });
      expect(await services.delete(org, "SER-CAT")).toBe(true);
      expect(await services.delete(org, "SER-CAT")).toBe(false);
      expect(await services.get(org, "SER-CAT")).toBeUndefined();
      expect(await services.get("org-b", "SER-CAT")).toBeDefined();
    });

    it("deletes a service only once no open incident or enabled integration uses it", async () => {
      const usedBy = new Map<string, string[]>([["SER-INT", ["int-x"]]]);
      const admin = new ServiceAdmin(fixture.storage, incidents, {
        integrationsUsing: async (_org, id) => usedBy.get(id) ?? [],
      });
      await admin.create(caller, { id: "SER-DEL", name: "Doomed" });
      await admin.create(caller, { id: "SER-INT", name: "Integrated" });
      await expect(admin.create(caller, { id: "bad id!", name: "" })).rejects.toThrow(
        ValidationError,
      );
      // This replica sees a new service at once, though it cached its absence.
      expect(await incidents.serviceExists(org, "SER-NEW")).toBe(false);
      await admin.create(caller, { id: "SER-NEW", name: "New" });
      expect(await incidents.serviceExists(org, "SER-NEW")).toBe(true);

      const [opened] = (await ingest([{ dedupKey: "on-doomed", serviceId: "SER-DEL" }])).results;
      await expect(admin.delete(caller, "SER-DEL")).rejects.toThrow(
        new RegExp(`in use \\(open incidents ${opened!.incidentId}\\)`),
      );
      await expect(admin.delete(caller, "SER-INT")).rejects.toThrow(/int-x/);
      await incidents.resolve(caller, opened!.incidentId, "");
      expect(await incidents.serviceExists(org, "SER-DEL")).toBe(true);
      await admin.delete(caller, "SER-DEL");
      await expect(admin.delete(caller, "SER-DEL")).rejects.toThrow(NotFoundError);
      // Refused by this replica at once; the resolved incident keeps its service.
      await expect(ingest([{ serviceId: "SER-DEL" }])).rejects.toThrow(ValidationError);
      expect((await view(opened!.incidentId)).serviceId).toBe("SER-DEL");
      await expect(admin.update(caller, { id: "SER-DEL", name: "x" })).rejects.toThrow(
        NotFoundError,
      );
    });

    it("feeds every change of an organization to a watcher, in order, resumable from a cursor", async () => {
      const watchOrg = "org-watch";
      const watcher = new IncidentWatcher(fixture.storage.changes, {
        pollMs: 20,
        settleMs: 1_000,
        checkpointMs: 60_000,
        batch: 2,
      });
      const watchCaller: Caller = { organizationId: watchOrg, keyId: "key-w" };
      await fixture.storage.services.put(watchOrg, { id: "SER-00001", name: "Watched" });
      const stop = new AbortController();
      const stream = watcher.watch(watchOrg, watcher.origin({}), stop.signal);
      const seen: WatchItem[] = [];
      const next = async (until: (item: WatchItem) => boolean) => {
        for (;;) {
          const { value } = await stream.next();
          seen.push(value as WatchItem);
          if (until(value as WatchItem)) {
            return value as Extract<WatchItem, { kind: "change" }>;
          }
        }
      };
      expect((await stream.next()).value).toMatchObject({ kind: "checkpoint" });
      const inOrg = (fields: AlertInit[]) => ingest(fields, { organizationId: watchOrg });
      const [a] = (await inOrg([{ dedupKey: "w-a" }])).results;
      const [b] = (await inOrg([{ dedupKey: "w-b" }, { dedupKey: "w-c" }])).results;
      const change = (id: string, type: IncidentEventType) => (item: WatchItem) =>
        item.kind === "change" && item.incident.id === id && item.latestEvent?.type === type;
      await next(change(a!.incidentId, IncidentEventType.CREATED));
      await next(change(b!.incidentId, IncidentEventType.CREATED));
      await other.acknowledge(watchCaller, a!.incidentId);
      const acked = await next(change(a!.incidentId, IncidentEventType.ACKNOWLEDGED));
      expect(acked.incident.acknowledgedBy).toBe("api-key:key-w");

      // Disconnected: changes made meanwhile arrive on the resumed stream.
      stop.abort();
      await stream.return(undefined);
      await inOrg([{ dedupKey: "w-a", title: "Again" }]);
      await incidents.resolve(watchCaller, b!.incidentId, "fixed");
      const resumed = watcher.watch(
        watchOrg,
        watcher.origin({ cursor: acked.cursor }),
        new AbortController().signal,
      );
      const after: WatchItem[] = [];
      while (
        !after.some(change(a!.incidentId, IncidentEventType.TRIGGERED)) ||
        !after.some(change(b!.incidentId, IncidentEventType.RESOLVED))
      ) {
        after.push((await resumed.next()).value as WatchItem);
      }
      await resumed.return(undefined);
      const triggered = after.find(change(a!.incidentId, IncidentEventType.TRIGGERED));
      expect(triggered).toMatchObject({ incident: { occurrences: 2, seq: 3 } });

      // Per incident, revisions only grow within a stream.
      for (const items of [seen, after]) {
        const revisions = new Map<string, number>();
        for (const item of items) {
          if (item.kind === "change") {
            expect(item.incident.seq).toBeGreaterThan(revisions.get(item.incident.id) ?? 0);
            revisions.set(item.incident.id, item.incident.seq);
          }
        }
      }
      expect(() => watcher.origin({ cursor: "garbage" })).toThrow(ValidationError);
    });

    it("purges expired deliveries, after which a redelivery is applied anew", async () => {
      const long = new Date(Date.now() - DELIVERY_RETENTION_MS - 60_000);
      const first = await ingest([{ dedupKey: "expiring" }], {
        deliveryKey: "old-delivery",
        receivedAt: long,
      });
      await ingest([{ title: "unkeyed and old" }], { receivedAt: long });
      expect(await fixture.storage.deliveries.purgeExpired(new Date())).toBeGreaterThanOrEqual(2);
      expect(await fixture.storage.deliveries.purgeExpired(new Date())).toBe(0);
      const again = await ingest([{ dedupKey: "expiring" }], { deliveryKey: "old-delivery" });
      expect(again.replayed).toBe(false);
      expect((await view(first.results[0]!.incidentId)).occurrenceCount).toBe(2);
    });

    describe("explain (what ingest would do, storing nothing)", () => {
      /** What a delivery without an envelope can leave behind in org-a: incidents and timelines. */
      const snapshot = async () => {
        const { incidents: all } = await incidents.list(caller, {}, 100, "");
        const timelines = await Promise.all(
          all.map(async (i) => (await incidents.events(caller, i.id, 100, "")).events.length),
        );
        return { all, timelines };
      };

      it("predicts create, update, resolve and ignore exactly as ingest then does, on either replica", async () => {
        const steps: AlertInit[][] = [
          [{ dedupKey: "explained" }],
          [{ dedupKey: "explained", title: "Still down" }],
          [{ dedupKey: "explained", action: AlertAction.RESOLVE }],
          [{ dedupKey: "explained", action: AlertAction.RESOLVE }],
          [{ dedupKey: "explained" }, { dedupKey: "explained", action: AlertAction.ACKNOWLEDGE }],
          [{}],
        ];
        for (const [i, alerts] of steps.entries()) {
          const before = await snapshot();
          const predicted = await (i % 2 === 0 ? incidents : other).explain(request(alerts));
          expect(await snapshot(), `step ${i} stored something`).toEqual(before);
          const applied = await ingest(alerts);
          expect(predicted.replayed).toBe(false);
          predicted.explanations.forEach(({ result, newIncidentAlert }, a) => {
            const real = applied.results[a]!;
            expect({ ...result, incidentId: "" }, `step ${i} alert ${a}`).toEqual({
              ...real,
              incidentId: "",
            });
            // A new incident has no number until stored; an existing one is named.
            if (newIncidentAlert === undefined) {
              expect(result.incidentId).toBe(real.incidentId);
            } else {
              expect(result.incidentId).toBe("");
              expect(applied.results[newIncidentAlert]!.incidentId).toBe(real.incidentId);
            }
          });
        }
      });

      it("does not claim a delivery key, and predicts a redelivery's first answer", async () => {
        const alerts = [{ dedupKey: "explained-key" }];
        const predicted = await incidents.explain(request(alerts, { deliveryKey: "dry-1" }));
        expect(predicted).toMatchObject({
          replayed: false,
          explanations: [{ result: { action: IngestAction.CREATED }, newIncidentAlert: 0 }],
        });
        const first = await ingest(alerts, { deliveryKey: "dry-1" });
        expect(first.replayed).toBe(false);
        const again = await other.explain(
          request(alerts, { deliveryKey: "other", deliveryAlias: "dry-1" }),
        );
        expect(again).toEqual({
          replayed: true,
          explanations: first.results.map((result) => ({ result })),
        });
      });

      it("refuses what ingest refuses, naming the field", async () => {
        await expect(
          incidents.explain(request([{ dedupKey: "x", serviceId: "SER-00404" }])),
        ).rejects.toThrow(ValidationError);
      });
    });
  });
}

/** A unit's methods bound to it, so a test can replace one. */
/**
 * `storage` whose units stall after claiming deliveries until released,
 * and say when they have claimed.
 */
function stalling(storage: IncidentStorage): {
  storage: IncidentStorage;
  claimed: Promise<void>;
  release: () => void;
} {
  let claimed!: () => void;
  let release!: () => void;
  const hasClaimed = new Promise<void>((resolve) => (claimed = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    storage: {
      ...storage,
      writer: {
        unit: (work) =>
          storage.writer.unit((unit) =>
            work({
              ...bind(unit),
              async claim(requests) {
                const claims = await unit.claim(requests);
                claimed();
                return claims;
              },
              async flush() {
                await released;
                return unit.flush();
              },
            }),
          ),
      },
    },
    claimed: hasClaimed,
    release,
  };
}

function bind(unit: WriteUnit): WriteUnit {
  return {
    claim: (r) => unit.claim(r),
    complete: (r) => unit.complete(r),
    prefetch: (s) => unit.prefetch(s),
    findOpen: (s, i) => unit.findOpen(s, i),
    get: (o, i) => unit.get(o, i),
    create: (d, e, t) => unit.create(d, e, t),
    update: (c, t) => unit.update(c, t),
    flush: () => unit.flush(),
  };
}
