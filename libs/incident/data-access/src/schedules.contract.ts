import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  AlertAction,
  IncidentEventType,
  IncidentStatus,
  IngestAction,
  IngestRequestSchema,
  IntegrationSchema,
  Severity,
  type IntegrationOptionsSchema,
} from "@runframe/contracts";
import {
  AUTO_RESOLVE_ACTOR,
  FLAPPING_ACTOR,
  HEARTBEAT_ACTOR,
  HEARTBEAT_DEDUP_KEY,
  Incidents,
  ScheduledWork,
  type Caller,
  type HeartbeatMonitor,
  type IncidentStorage,
} from "@runframe/incident-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageFixture } from "./incident-storage.contract.js";

type Options = Omit<MessageInitShape<typeof IntegrationOptionsSchema>, "$typeName">;

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * Scheduled work (heartbeats, auto-resolve, flapping) on a store: the
 * Schedules records themselves, and the domain that decides on them, on a
 * clock the test moves. Run against SQLite and MongoDB with the same
 * assertions.
 */
export function describeSchedulesContract(name: string, open: () => Promise<StorageFixture>) {
  describe(`scheduled work contract: ${name}`, () => {
    let fixture: StorageFixture;
    let storage: IncidentStorage;
    let replica: IncidentStorage;
    let clock = new Date("2026-12-01T10:00:00Z");
    const now = () => clock;
    const advance = (ms: number) => {
      clock = new Date(clock.getTime() + ms);
    };
    let organization = 0;

    beforeAll(async () => {
      fixture = await open();
      storage = fixture.storage;
      replica = await fixture.replica();
    });
    afterAll(() => fixture.dispose());

    /** A fresh organization with one service, and an integration of it with `options`. */
    const setUp = async (options: Options, store: () => IncidentStorage = () => storage) => {
      const org = `org-sched-${++organization}`;
      await storage.services.put(org, { id: "SER-00001", name: "Checkout" });
      const integration = create(IntegrationSchema, {
        id: "int-cron",
        organizationId: org,
        name: "Nightly backup",
        defaultServiceId: "SER-00001",
        options,
      });
      const caller: Caller = { organizationId: org, keyId: "key-1" };
      const incidents = new Incidents(store(), now);
      const request = (alerts: { dedupKey: string; action?: AlertAction }[] = []) =>
        create(IngestRequestSchema, {
          organizationId: org,
          integrationId: integration.id,
          integration,
          alerts: alerts.map((a) => ({
            action: a.action ?? AlertAction.TRIGGER,
            title: "Disk full",
            serviceId: "SER-00001",
            status: IncidentStatus.NEW,
            dedupKey: a.dedupKey,
          })),
        });
      const send = (alerts: { dedupKey: string; action?: AlertAction }[] = []) =>
        incidents.ingest(request(alerts));
      /** What a dry run of `send(alerts)` predicts. */
      const explain = async (alerts: { dedupKey: string; action?: AlertAction }[] = []) =>
        (await incidents.explain(request(alerts))).explanations.map((e) => e.result);
      const list = async () =>
        (await incidents.list(caller, {}, 100, "")).incidents.filter(
          (i) => i.integrationId === integration.id,
        );
      const timeline = async (id: string) => (await incidents.events(caller, id, 100, "")).events;
      return { org, integration, incidents, caller, send, explain, list, timeline };
    };

    const work = (store: IncidentStorage, holder: string) =>
      new ScheduledWork(store, { holder, leaseMs: 10 * SECOND, now });

    describe("records", () => {
      const monitor = (org: string, at: Date): HeartbeatMonitor => ({
        organizationId: org,
        integrationId: "int-1",
        integrationName: "Cron",
        serviceId: "SER-00001",
        intervalMs: 10 * SECOND,
        graceMs: 5 * SECOND,
        severity: Severity.SEV2,
        lastBeatAt: at,
        dueAt: new Date(at.getTime() + 15 * SECOND),
      });

      it("keeps the latest beat of a monitor, answers the one before, and never moves back", async () => {
        const at = new Date("2026-12-01T09:00:00Z");
        expect(await storage.schedules.beat(monitor("org-rec-1", at))).toBeUndefined();
        const later = new Date(at.getTime() + 3 * SECOND);
        expect(await storage.schedules.beat(monitor("org-rec-1", later))).toMatchObject({
          lastBeatAt: at,
          severity: Severity.SEV2,
        });
        // A late beat (an earlier delivery answered last) changes nothing.
        await replica.schedules.beat(monitor("org-rec-1", at));
        expect(await replica.schedules.monitor("org-rec-1", "int-1")).toEqual(
          monitor("org-rec-1", later),
        );
        const silent = await storage.schedules.silent(
          new Date(later.getTime() + 15 * SECOND),
          1000,
        );
        expect(silent.filter((m) => m.organizationId === "org-rec-1")).toHaveLength(1);
        const notYet = await storage.schedules.silent(
          new Date(later.getTime() + 14 * SECOND),
          1000,
        );
        expect(notYet.filter((m) => m.organizationId === "org-rec-1")).toHaveLength(0);

        expect(await storage.schedules.silenceHandled("org-rec-1", "int-1")).toBeUndefined();
        await storage.schedules.markSilence("org-rec-1", "int-1", later);
        expect(await replica.schedules.silenceHandled("org-rec-1", "int-1")).toEqual(later);
        await storage.schedules.unwatch("org-rec-1", "int-1");
        expect(await replica.schedules.monitor("org-rec-1", "int-1")).toBeUndefined();
        expect(await replica.schedules.silenceHandled("org-rec-1", "int-1")).toBeUndefined();
      });

      it("sets, finds due and clears timers, one per incident and kind", async () => {
        const at = new Date("2030-01-01T00:00:00Z");
        const timer = (incidentId: string, kind: "auto-resolve" | "flap-settle", dueAt: Date) => ({
          organizationId: "org-rec-2",
          incidentId,
          kind,
          dueAt,
          periodMs: MINUTE,
        });
        await storage.schedules.setTimers([
          timer("INC-00001", "auto-resolve", new Date(at.getTime() + 1)),
          timer("INC-00001", "flap-settle", at),
          timer("INC-00002", "auto-resolve", new Date(at.getTime() + MINUTE)),
        ]);
        // Replacing moves it.
        await replica.schedules.setTimers([timer("INC-00001", "auto-resolve", at)]);
        const mine = async (when: Date) =>
          (await storage.schedules.dueTimers(when, 1000)).filter(
            (t) => t.organizationId === "org-rec-2",
          );
        expect((await mine(at)).map((t) => [t.incidentId, t.kind]).sort()).toEqual([
          ["INC-00001", "auto-resolve"],
          ["INC-00001", "flap-settle"],
        ]);
        await storage.schedules.clearTimer("org-rec-2", "INC-00001", "flap-settle");
        expect(await mine(new Date(at.getTime() + MINUTE))).toEqual([
          timer("INC-00001", "auto-resolve", at),
          timer("INC-00002", "auto-resolve", new Date(at.getTime() + MINUTE)),
        ]);
      });

      it("keeps the newest openings of a dedup key, oldest first", async () => {
        const scope = { organizationId: "org-rec-3", integrationId: "int-1", dedupKey: "k" };
        expect(await storage.schedules.openings(scope)).toEqual([]);
        const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s));
        for (const s of [1, 3, 2, 4]) {
          await storage.schedules.recordOpening(scope, t(s), 3);
        }
        expect(await replica.schedules.openings(scope)).toEqual([t(2), t(3), t(4)]);
        expect(await storage.schedules.openings({ ...scope, dedupKey: "other" })).toEqual([]);
      });

      it("gives a lease to one holder at a time, renews it for its holder, and hands it over once it runs out", async () => {
        const at = new Date("2026-12-01T08:00:00Z");
        const lease = (store: IncidentStorage, holder: string, when: Date) =>
          store.schedules.lease("contract-lease", holder, when, 10 * SECOND);
        const first = await Promise.all([
          lease(storage, "a", at),
          lease(replica, "b", at),
          lease(storage, "c", at),
        ]);
        expect(first.filter(Boolean)).toHaveLength(1);
        const winner = ["a", "b", "c"][first.indexOf(true)]!;
        const loser = winner === "a" ? "b" : "a";
        const later = new Date(at.getTime() + 5 * SECOND);
        expect(await lease(replica, winner, later)).toBe(true);
        expect(await lease(storage, loser, new Date(at.getTime() + 14 * SECOND))).toBe(false);
        // Renewed at +5 s: it runs until +15 s.
        const expired = new Date(at.getTime() + 15 * SECOND);
        const takers = await Promise.all([
          lease(storage, "d", expired),
          lease(replica, "e", expired),
        ]);
        expect(takers.filter(Boolean)).toHaveLength(1);
        expect(await lease(storage, winner, expired)).toBe(false);
      });
    });

    describe("heartbeats", () => {
      it("opens one incident when a source is silent past interval and grace, and resolves it on the next beat", async () => {
        const { send, list, timeline, integration } = await setUp({
          heartbeat: { intervalSeconds: 10, graceSeconds: 5, severity: Severity.SEV2 },
        });
        const scheduled = work(storage, "replica-1");
        await send();
        const beatAt = clock;
        advance(14 * SECOND);
        await scheduled.round();
        expect(await list()).toEqual([]);
        advance(2 * SECOND);
        expect(await scheduled.round()).toMatchObject({ silences: 1 });
        await scheduled.round();
        const [silence] = await list();
        expect(await list()).toHaveLength(1);
        expect(silence).toMatchObject({
          status: IncidentStatus.NEW,
          dedupKey: HEARTBEAT_DEDUP_KEY,
          serviceId: "SER-00001",
          latest: {
            title: `No heartbeat from Nightly backup since ${beatAt.toISOString()}`,
            severity: Severity.SEV2,
          },
        });
        expect((await timeline(silence!.id))[0]).toMatchObject({
          type: IncidentEventType.CREATED,
          actor: HEARTBEAT_ACTOR,
        });

        // Any delivery is a beat, alerts or none.
        advance(SECOND);
        await send([{ dedupKey: "disk" }]);
        const [after] = (await list()).filter((i) => i.id === silence!.id);
        expect(after).toMatchObject({ status: IncidentStatus.RESOLVED });
        expect((await timeline(silence!.id)).at(-1)).toMatchObject({
          type: IncidentEventType.RESOLVED,
          actor: `integration:${integration.id}`,
          summary: expect.stringContaining(`silence since ${beatAt.toISOString()}`),
        });

        // Silent again: a new incident.
        advance(16 * SECOND);
        await scheduled.round();
        const open = (await list()).filter(
          (i) => i.dedupKey === HEARTBEAT_DEDUP_KEY && i.status !== IncidentStatus.RESOLVED,
        );
        expect(open).toHaveLength(1);
        expect(open[0]!.id).not.toBe(silence!.id);
      });

      it("counts no dry run as a beat", async () => {
        const { send, explain, list } = await setUp({
          heartbeat: { intervalSeconds: 10, graceSeconds: 0 },
        });
        const scheduled = work(storage, "replica-1");
        await send();
        advance(9 * SECOND);
        expect(await explain([{ dedupKey: "disk" }])).toHaveLength(1);
        advance(2 * SECOND);
        expect(await scheduled.round()).toMatchObject({ silences: 1 });
        expect(await list()).toEqual([
          expect.objectContaining({ dedupKey: HEARTBEAT_DEDUP_KEY, status: IncidentStatus.NEW }),
        ]);
      });

      it("opens the next silence on a replica that saw the last one resolved by another's beat", async () => {
        const { send, list } = await setUp(
          { heartbeat: { intervalSeconds: 10, graceSeconds: 0 } },
          () => replica,
        );
        const scheduled = work(storage, "replica-1");
        for (let silence = 0; silence < 2; silence++) {
          await send();
          advance(11 * SECOND);
          await scheduled.round();
          const open = (await list()).filter((i) => i.status !== IncidentStatus.RESOLVED);
          expect(open).toHaveLength(1);
          await send();
          expect((await list()).filter((i) => i.status !== IncidentStatus.RESOLVED)).toEqual([]);
        }
        expect(await list()).toHaveLength(2);
      });

      it("opens an incident once per silence, even after a person resolved it", async () => {
        const { send, list, incidents, caller } = await setUp({
          heartbeat: { intervalSeconds: 10, graceSeconds: 0 },
        });
        const scheduled = work(storage, "replica-1");
        await send();
        advance(11 * SECOND);
        await scheduled.round();
        const [silence] = await list();
        expect(silence?.latest.severity).toBe(Severity.SEV3);
        await incidents.resolve(caller, silence!.id, "known: backups paused");
        advance(30 * SECOND);
        await scheduled.round();
        expect(await list()).toHaveLength(1);
      });

      it("acts on one replica at a time, and another takes over from the store when it stops", async () => {
        const { send, list } = await setUp({ heartbeat: { intervalSeconds: 10, graceSeconds: 0 } });
        const first = work(storage, "replica-1");
        const second = work(replica, "replica-2");
        // The lease is whoever had it last; start from a free one.
        advance(60 * SECOND);
        expect(await first.round()).toBeDefined();
        expect(await second.round()).toBeUndefined();
        await send();
        advance(5 * SECOND);
        expect(await first.round()).toBeDefined();
        expect(await second.round()).toBeUndefined();
        // replica-1 stops: nothing is lost, the silence is in the store.
        advance(11 * SECOND);
        expect(await second.round()).toMatchObject({ silences: 1 });
        expect(await list()).toHaveLength(1);
      });

      it("stops watching an integration whose option was removed, at its next delivery", async () => {
        const { send, list, org, integration } = await setUp({
          heartbeat: { intervalSeconds: 10, graceSeconds: 0 },
        });
        await send();
        expect(await storage.schedules.monitor(org, integration.id)).toBeDefined();
        integration.options = undefined;
        await send();
        expect(await storage.schedules.monitor(org, integration.id)).toBeUndefined();
        advance(60 * SECOND);
        await work(storage, "replica-1").round();
        expect(await list()).toEqual([]);
      });
    });

    describe("auto-resolve", () => {
      it("resolves an open incident once no trigger came for the option's minutes, recording why", async () => {
        const { send, list, timeline } = await setUp({ autoResolve: { afterMinutes: 2 } });
        const scheduled = work(storage, "replica-1");
        const [created] = (await send([{ dedupKey: "disk" }])).results;
        advance(MINUTE);
        await send([{ dedupKey: "disk" }]);
        const lastAt = clock;
        advance(MINUTE + 30 * SECOND);
        await scheduled.round();
        expect((await list())[0]?.status).toBe(IncidentStatus.NEW);
        advance(30 * SECOND);
        expect(await scheduled.round()).toMatchObject({ resolved: 1 });
        expect((await list())[0]?.status).toBe(IncidentStatus.RESOLVED);
        expect((await timeline(created!.incidentId)).at(-1)).toMatchObject({
          type: IncidentEventType.RESOLVED,
          actor: AUTO_RESOLVE_ACTOR,
          summary: `auto-resolved: no trigger for 2 minutes (the last at ${lastAt.toISOString()})`,
        });
      });

      it("leaves incidents of integrations without the option, and resolved ones, alone", async () => {
        const { send, list } = await setUp({});
        await send([{ dedupKey: "disk" }]);
        advance(60 * MINUTE);
        await work(storage, "replica-1").round();
        expect((await list())[0]?.status).toBe(IncidentStatus.NEW);
      });
    });

    describe("flapping", () => {
      it("opens a flapping incident after more than K cycles within M minutes, holds its resolves, and settles it once quiet", async () => {
        const { send, list, timeline } = await setUp({
          flapping: { threshold: 2, windowMinutes: 10 },
        });
        const scheduled = work(storage, "replica-1");
        const cycle = async () => {
          const [opened] = (await send([{ dedupKey: "cpu" }])).results;
          advance(SECOND);
          const [resolved] = (await send([{ dedupKey: "cpu", action: AlertAction.RESOLVE }]))
            .results;
          advance(SECOND);
          return [opened!, resolved!] as const;
        };
        // The first incident and two cycles: three incidents, each resolved.
        for (let i = 0; i < 3; i++) {
          const [opened, resolved] = await cycle();
          expect(opened.action).toBe(IngestAction.CREATED);
          expect(resolved.action).toBe(IngestAction.RESOLVED);
        }
        // The third cycle is more than K=2: one incident, kept open.
        const [flapping] = (await send([{ dedupKey: "cpu" }])).results;
        expect(flapping!.action).toBe(IngestAction.CREATED);
        const [held] = (await send([{ dedupKey: "cpu", action: AlertAction.RESOLVE }])).results;
        expect(held).toMatchObject({
          action: IngestAction.UPDATED,
          incidentId: flapping!.incidentId,
        });
        advance(MINUTE);
        const [again] = (await send([{ dedupKey: "cpu" }])).results;
        expect(again).toMatchObject({
          action: IngestAction.UPDATED,
          incidentId: flapping!.incidentId,
        });
        await send([{ dedupKey: "cpu", action: AlertAction.RESOLVE }]);
        const heldAt = clock;
        const incident = (await list()).find((i) => i.id === flapping!.incidentId)!;
        expect(incident).toMatchObject({ flapping: true, status: IncidentStatus.NEW });
        expect(await list()).toHaveLength(4);
        const events = await timeline(flapping!.incidentId);
        expect(events.map((e) => e.type)).toEqual([
          IncidentEventType.CREATED,
          IncidentEventType.FLAPPING,
          IncidentEventType.FLAPPING,
          IncidentEventType.TRIGGERED,
          IncidentEventType.FLAPPING,
        ]);
        expect(events[1]).toMatchObject({
          actor: FLAPPING_ACTOR,
          summary: expect.stringContaining(
            "3 resolve-and-trigger cycles within 10 minutes (more than 2)",
          ),
        });
        expect(events[2]).toMatchObject({
          actor: "integration:int-cron",
          summary: expect.stringContaining("resolve held: flapping"),
        });

        advance(9 * MINUTE);
        await scheduled.round();
        expect((await list()).find((i) => i.id === flapping!.incidentId)?.status).toBe(
          IncidentStatus.NEW,
        );
        advance(MINUTE);
        expect(await scheduled.round()).toMatchObject({ resolved: 1 });
        expect((await timeline(flapping!.incidentId)).at(-1)).toMatchObject({
          type: IncidentEventType.RESOLVED,
          actor: FLAPPING_ACTOR,
          summary: `resolved after flapping: no trigger for 10 minutes after the resolve held at ${heldAt.toISOString()}`,
        });
      });

      it("is predicted by a dry run exactly: the held resolve, and the flapping incident kept", async () => {
        const { send, explain, list } = await setUp({
          flapping: { threshold: 1, windowMinutes: 10 },
        });
        for (let i = 0; i < 2; i++) {
          await send([{ dedupKey: "cpu" }]);
          advance(SECOND);
          await send([{ dedupKey: "cpu", action: AlertAction.RESOLVE }]);
          advance(SECOND);
        }
        const [flapping] = (await send([{ dedupKey: "cpu" }])).results;
        advance(SECOND);
        const resolve = [{ dedupKey: "cpu", action: AlertAction.RESOLVE }];
        const predicted = await explain(resolve);
        expect(predicted).toEqual([
          expect.objectContaining({
            action: IngestAction.UPDATED,
            incidentId: flapping!.incidentId,
          }),
        ]);
        const before = await list();
        expect((await send(resolve)).results).toEqual(predicted);
        expect((await list()).length).toBe(before.length);
      });

      it("does not count cycles older than the window", async () => {
        const { send } = await setUp({ flapping: { threshold: 2, windowMinutes: 10 } });
        for (let i = 0; i < 4; i++) {
          await send([{ dedupKey: "slow" }]);
          await send([{ dedupKey: "slow", action: AlertAction.RESOLVE }]);
          advance(6 * MINUTE);
        }
        const [opened] = (await send([{ dedupKey: "slow" }])).results;
        const [resolved] = (await send([{ dedupKey: "slow", action: AlertAction.RESOLVE }]))
          .results;
        expect(opened!.action).toBe(IngestAction.CREATED);
        expect(resolved!.action).toBe(IngestAction.RESOLVED);
      });
    });
  });
}
