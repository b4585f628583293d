import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  DeliveryEnvelopeSchema,
  DeliveryOutcome,
  DeliveryReportSchema,
  IncidentStatus,
  IngestAction,
  IngestRequestSchema,
  IntegrationSchema,
  IntegrationType,
  NormalizedAlertSchema,
} from "@runframe/contracts";
import {
  Deliveries,
  Incidents,
  inboxRecordOf,
  type Caller,
  type InboxRecord,
  type Normalizers,
} from "@runframe/incident-domain";
import { encodePageToken, FailedPreconditionError, ValidationError } from "@runframe/util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StorageFixture } from "./incident-storage.contract.js";

const org = "org-inbox";
const caller: Caller = { organizationId: org, keyId: "key-inbox" };
const integration = (id: string, type = IntegrationType.PROMETHEUS) =>
  create(IntegrationSchema, {
    id,
    organizationId: org,
    type,
    defaultServiceId: "SER-00001",
  });

/** A body every byte of which matters: non-ASCII, NUL, and trailing whitespace. */
const body = (title: string, dedupKey = "") =>
  new TextEncoder().encode(`{"title":"${title} — é\\u0000","dedup_key":"${dedupKey}"}  \n`);

/** Normalization of the test bodies above: one trigger each. */
const normalizers: Normalizers = {
  async normalize(_integration, _headers, raw) {
    const payload = JSON.parse(new TextDecoder().decode(raw)) as {
      title: string;
      dedup_key: string;
    };
    if (payload.title.startsWith("Refuse")) {
      throw new ValidationError([{ field: "title", description: "is refused by this test" }]);
    }
    return [
      create(NormalizedAlertSchema, {
        action: AlertAction.TRIGGER,
        title: payload.title,
        serviceId: "SER-00001",
        status: IncidentStatus.NEW,
        dedupKey: payload.dedup_key,
      }),
    ];
  },
};

function report(
  outcome: DeliveryOutcome,
  options: {
    integrationId?: string;
    at?: Date;
    title?: string;
    verified?: boolean;
    requestId?: string;
  } = {},
) {
  const at = options.at ?? new Date();
  return create(DeliveryReportSchema, {
    envelope: create(DeliveryEnvelopeSchema, {
      requestId: options.requestId ?? `req-${Math.random()}`,
      sourceAddress: "198.51.100.7",
      headers: [
        { name: "content-type", value: "application/json" },
        { name: "authorization", value: "[redacted]" },
      ],
      body: body(options.title ?? "Throttled", `key-${Math.random()}`),
      receiveTime: timestampFromDate(at),
      integration: integration(options.integrationId ?? "int-am"),
      verified: options.verified ?? true,
    }),
    outcome,
    status: outcome === DeliveryOutcome.THROTTLED ? 429 : 400,
    reason: outcome === DeliveryOutcome.THROTTLED ? "rate_limited" : "invalid_request",
    answer: '{"error":{}}',
    fieldErrors:
      outcome === DeliveryOutcome.REFUSED_PAYLOAD
        ? [{ field: "title", description: "is required" }]
        : [],
  });
}

/**
 * The delivery inbox's contract, run against SQLite and MongoDB with the
 * same assertions.
 */
export function describeInboxContract(name: string, open: () => Promise<StorageFixture>): void {
  describe(`delivery inbox contract: ${name}`, () => {
    let fixture: StorageFixture;
    let incidents: Incidents;
    let deliveries: Deliveries;

    beforeAll(async () => {
      fixture = await open();
      await fixture.storage.services.put(org, { id: "SER-00001", name: "Checkout" });
      incidents = new Incidents(fixture.storage);
      deliveries = new Deliveries(fixture.storage.inbox, incidents, normalizers);
    });
    afterAll(() => fixture.dispose());

    const all = async (filter = {}) => {
      const seen: InboxRecord[] = [];
      let token = "";
      do {
        const page = await deliveries.list(caller, filter, 2, token);
        seen.push(...page.items);
        token = page.next ?? "";
      } while (token !== "");
      return seen;
    };

    it("keeps a refused delivery byte-exact with its answer and field errors, newest first", async () => {
      const t0 = new Date(Date.now() - 60_000);
      await deliveries.record([
        report(DeliveryOutcome.THROTTLED, { at: t0, title: "first" }),
        report(DeliveryOutcome.REFUSED_PAYLOAD, { at: new Date(t0.getTime() + 1000) }),
      ]);
      const listed = await all();
      expect(listed.map((r) => r.outcome)).toEqual([
        DeliveryOutcome.REFUSED_PAYLOAD,
        DeliveryOutcome.THROTTLED,
      ]);
      expect(listed[0]!.body).toEqual(new Uint8Array());
      const refused = await deliveries.get(caller, listed[0]!.id);
      expect(refused.fieldErrors).toEqual([{ field: "title", description: "is required" }]);
      const throttled = await deliveries.get(caller, listed[1]!.id);
      expect(new TextDecoder().decode(throttled.body)).toMatch(/^\{"title":"first — é\\u0000",/);
      expect(throttled.body).toEqual(body("first", extractKey(throttled)));
      expect(throttled.headers).toContainEqual({ name: "authorization", value: "[redacted]" });
      expect(await all({ outcome: DeliveryOutcome.THROTTLED })).toHaveLength(1);
      expect(await all({ from: new Date(t0.getTime() + 500) })).toHaveLength(1);
      await expect(
        deliveries.get({ organizationId: "org-other", keyId: "k" }, throttled.id),
      ).rejects.toThrow();
    });

    it("refuses a page token that is not one of its listing's, as a bad page_token", async () => {
      for (const position of [7, ["7", "id"], [7], [7, "id", "extra"]]) {
        await expect(
          fixture.storage.inbox.list(org, {}, 2, encodePageToken(position)),
        ).rejects.toMatchObject({ violations: [{ field: "page_token" }] });
      }
    });

    it("records an accepted delivery in the same commit as its incidents, and a redelivery too", async () => {
      const envelope = create(DeliveryEnvelopeSchema, {
        requestId: "req-accepted",
        body: body("Accepted", "acc"),
        receiveTime: timestampFromDate(new Date()),
        integration: integration("int-accepted"),
        verified: true,
        deliveryKey: "d-accepted",
      });
      const request = create(IngestRequestSchema, {
        organizationId: org,
        integrationId: "int-accepted",
        deliveryKey: "d-accepted",
        alerts: [
          {
            action: AlertAction.TRIGGER,
            title: "Accepted",
            serviceId: "SER-00001",
            status: IncidentStatus.NEW,
            dedupKey: "acc",
          },
        ],
        envelope,
      });
      const first = await incidents.ingest(request);
      await incidents.ingest(request);
      const accepted = await all({ integrationId: "int-accepted" });
      expect(accepted).toHaveLength(2);
      for (const record of accepted) {
        expect(record.outcome).toBe(DeliveryOutcome.ACCEPTED);
        expect(record.results).toEqual(first.results);
      }
      const stats = await deliveries.stats(caller, "int-accepted");
      expect(stats.byOutcome.get(DeliveryOutcome.ACCEPTED)).toBe(2);
      expect(stats.actions.get("created")).toBe(2);
      expect(stats.last?.requestId).toBe("req-accepted");
    });

    it("replays a throttled delivery once, however often it is asked, and refuses what cannot be replayed", async () => {
      const at = (s: number) => new Date(Date.now() - 10_000 + s * 1000);
      await deliveries.record([
        report(DeliveryOutcome.THROTTLED, {
          integrationId: "int-replay",
          title: "Replay me",
          at: at(0),
        }),
        report(DeliveryOutcome.REFUSED_PAYLOAD, { integrationId: "int-replay", at: at(1) }),
        report(DeliveryOutcome.THROTTLED, {
          integrationId: "int-replay",
          verified: false,
          at: at(2),
        }),
      ]);
      const [unverified, refused, throttled] = await all({ integrationId: "int-replay" });
      const outcomes = await Promise.all([
        deliveries.replay(caller, throttled!.id),
        deliveries.replay(caller, throttled!.id),
      ]);
      expect(outcomes.map((o) => o.results)).toEqual([outcomes[0].results, outcomes[0].results]);
      expect(outcomes.filter((o) => o.replayed)).toHaveLength(1);
      expect(outcomes[0].results[0]!.action).toBe(IngestAction.CREATED);
      const again = await deliveries.replay(caller, throttled!.id).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(FailedPreconditionError);
      const incident = await incidents.get(caller, outcomes[0].results[0]!.incidentId);
      expect(incident.occurrences).toBe(1);
      expect((await deliveries.get(caller, throttled!.id)).replay?.by).toBe("api-key:key-inbox");
      await expect(deliveries.replay(caller, refused!.id)).rejects.toThrow(/untrusted or invalid/);
      await expect(deliveries.replay(caller, unverified!.id)).rejects.toThrow(/never|before/);
      // What a replay applied counts with what was accepted.
      expect((await deliveries.stats(caller, "int-replay")).actions.get("created")).toBe(1);
    });

    it("notes why a replay was refused, and does not try it again", async () => {
      await deliveries.record([
        report(DeliveryOutcome.THROTTLED, { integrationId: "int-refuse", title: "Refuse me" }),
      ]);
      const [throttled] = await all({ integrationId: "int-refuse" });
      const outcome = await deliveries.replay(caller, throttled!.id);
      expect(outcome.results).toEqual([]);
      expect(outcome.record.replay?.error).toMatch(/title: is refused by this test/);
      const stored = await deliveries.get(caller, throttled!.id);
      expect(stored.replay?.error).toBe(outcome.record.replay?.error);
      await expect(deliveries.replay(caller, throttled!.id)).rejects.toThrow(/replayed already/);
    });

    it("replays a failed delivery whose incident write committed after all as applied already", async () => {
      // The edge gave up on the write (its deadline) after incident committed it.
      const at = new Date(Date.now() - 5_000);
      const late = report(DeliveryOutcome.FAILED, {
        integrationId: "int-late",
        at,
        requestId: "req-late",
        title: "Late",
      });
      const first = await incidents.ingest(
        create(IngestRequestSchema, {
          organizationId: org,
          integrationId: "int-late",
          alerts: [
            ...(await normalizers.normalize(
              late.envelope!.integration!,
              [],
              late.envelope!.body,
              at,
            )),
          ],
          receiveTime: timestampFromDate(at),
          envelope: late.envelope!,
        }),
      );
      await deliveries.record([late]);
      const failed = (await all({ integrationId: "int-late" })).find(
        (r) => r.outcome === DeliveryOutcome.FAILED,
      );
      const outcome = await deliveries.replay(caller, failed!.id);
      expect(outcome.replayed).toBe(false);
      expect(outcome.results).toEqual(first.results);
      const incident = await incidents.get(caller, first.results[0]!.incidentId);
      expect(incident.occurrences).toBe(1);
    });

    it("hands each throttled delivery to one redriver, oldest first, within the quota", async () => {
      const other = new Deliveries((await fixture.replica()).inbox, incidents, normalizers);
      const base = Date.now() - 30_000;
      await deliveries.record(
        Array.from({ length: 6 }, (_, i) =>
          report(DeliveryOutcome.THROTTLED, {
            integrationId: "int-redrive",
            at: new Date(base + i * 1000),
            title: `Redrive ${i}`,
          }),
        ),
      );
      let allowed = 4;
      const quota = {
        // Four fit in this key's window; other tests' deliveries are not counted.
        consume: async (_org: string, integrationId: string) => ({
          allowed: integrationId !== "int-redrive" || allowed-- > 0,
          retryAfterMs: 1_000,
        }),
      };
      const rounds = await Promise.all([deliveries.redrive(quota), other.redrive(quota)]);
      // Each delivery went to one of the two redrivers.
      const everyRedrive = (await all()).filter((r) => r.replay?.by === "redrive");
      expect(rounds[0].applied + rounds[1].applied).toBe(everyRedrive.length);
      const redriven = (await all({ integrationId: "int-redrive" })).filter((r) => r.replay);
      expect(redriven.map((r) => r.replay?.by)).toEqual([
        "redrive",
        "redrive",
        "redrive",
        "redrive",
      ]);
      // The oldest went first: the two left are the newest.
      const waiting = (await all({ integrationId: "int-redrive" })).filter((r) => !r.replay);
      expect(waiting.map((r) => r.receivedAt.getTime() - base)).toEqual([5000, 4000]);
    });

    it("trims past retention and over an integration's limits, oldest first", async () => {
      const old = new Date(Date.now() - 8 * 24 * 3600 * 1000);
      const reports = [
        report(DeliveryOutcome.THROTTLED, { integrationId: "int-trim", at: old }),
        ...Array.from({ length: 5 }, (_, i) =>
          report(DeliveryOutcome.THROTTLED, {
            integrationId: "int-trim",
            at: new Date(Date.now() - (5 - i) * 1000),
            title: `Keep ${i}`,
          }),
        ),
      ];
      await fixture.storage.inbox.record(
        reports.map((r) =>
          inboxRecordOf(r.envelope!, 30 * 24 * 3600 * 1000, {
            outcome: r.outcome,
            status: r.status,
            reason: r.reason,
            answer: r.answer,
            fieldErrors: [],
          }),
        ),
      );
      const deleted = await fixture.storage.inbox.trim(new Date(), {
        retentionMs: 7 * 24 * 3600 * 1000,
        maxDeliveries: 3,
        maxBytes: 1_000_000,
      });
      expect(deleted).toBeGreaterThanOrEqual(3);
      const left = await all({ integrationId: "int-trim" });
      expect(left.map((r) => r.receivedAt.getTime())).toEqual(
        [...left.map((r) => r.receivedAt.getTime())].sort((a, b) => b - a),
      );
      expect(left).toHaveLength(3);
      expect(left.every((r) => r.receivedAt > old)).toBe(true);
      const bytes = left.reduce((n, r) => n + r.bodySize, 0);
      await fixture.storage.inbox.trim(new Date(), {
        retentionMs: 7 * 24 * 3600 * 1000,
        maxDeliveries: 10,
        maxBytes: bytes - 1,
      });
      expect(await all({ integrationId: "int-trim" })).toHaveLength(2);
    });
  });
}

/** The dedup key a test body was written with. */
function extractKey(record: InboxRecord): string {
  return (JSON.parse(new TextDecoder().decode(record.body)) as { dedup_key: string }).dedup_key;
}
