import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  IncidentEventType,
  IncidentStatus,
  IngestAction,
  type IngestRequest,
  type NormalizedAlert,
} from "@runframe/contracts";
import {
  FailedPreconditionError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  type Violation,
} from "@runframe/util";
import { randomBytes } from "node:crypto";
import type {
  AlertSnapshot,
  EventRecord,
  IncidentActivity,
  IncidentFilter,
  IncidentRecord,
  IncidentStore,
  StoredResult,
} from "./model.js";

/** An incident with what its timeline adds, ready to be shown. */
export interface IncidentView {
  readonly record: IncidentRecord;
  readonly activity: IncidentActivity;
}

/** Who is calling a team RPC. */
export interface Caller {
  readonly organizationId: string;
  readonly keyId: string;
}

export interface IngestOutcome {
  readonly results: readonly StoredResult[];
  readonly replayed: boolean;
}

/** How long a redelivery waits for the first attempt to finish. */
const REPLAY_WAIT_MS = 5_000;
/** After this, a claim whose processing never finished may be taken over. */
const CLAIM_LEASE_MS = 60_000;
const MAX_NOTE_CHARS = 2000;

/**
 * Deduplication and the incident lifecycle (DESIGN §4). Scope is
 * (organization, integration, dedup key). At most one incident per key is
 * open at a time, guaranteed by the store's unique index, not by locks: of N
 * concurrent first triggers one creates the incident and the others find it
 * and count as occurrences.
 */
export class Incidents {
  constructor(
    private readonly store: IncidentStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async ingest(req: IngestRequest): Promise<IngestOutcome> {
    await this.#validate(req);
    const receivedAt = req.receiveTime ? timestampDate(req.receiveTime) : this.now();
    if (req.deliveryKey === "") {
      const results = await this.#apply(req);
      await this.store.logDelivery(req.organizationId, req.integrationId, receivedAt, results);
      return { results, replayed: false };
    }
    const previous = await this.#claim(req.deliveryKey, req);
    if (previous !== undefined) {
      return { results: previous, replayed: true };
    }
    const keys = [req.deliveryKey];
    if (req.deliveryAlias !== "") {
      // The same delivery under its second identity (a re-signed retry with
      // the same Idempotency-Key): this request then answers as that one.
      const viaAlias = await this.#claim(req.deliveryAlias, req).catch(async (error: unknown) => {
        await this.store.releaseDelivery(req.deliveryKey);
        throw error;
      });
      if (viaAlias !== undefined) {
        await this.store.completeDelivery(req.deliveryKey, viaAlias);
        return { results: viaAlias, replayed: true };
      }
      keys.push(req.deliveryAlias);
    }
    let results: StoredResult[];
    try {
      results = await this.#apply(req);
    } catch (error) {
      for (const key of keys) {
        await this.store.releaseDelivery(key);
      }
      throw error;
    }
    for (const key of keys) {
      await this.store.completeDelivery(key, results);
    }
    return { results, replayed: false };
  }

  async get(caller: Caller, id: string): Promise<IncidentView> {
    const record = await this.#load(caller, id);
    return { record, activity: await this.store.activity(caller.organizationId, record.id) };
  }

  async list(
    caller: Caller,
    filter: IncidentFilter,
    pageSize: number,
    pageToken: string,
  ): Promise<{ views: IncidentView[]; next: string }> {
    const page = await this.store.list(
      caller.organizationId,
      filter,
      pageSize,
      pageToken || undefined,
    );
    const views = await Promise.all(
      page.items.map(async (record) => ({
        record,
        activity: await this.store.activity(caller.organizationId, record.id),
      })),
    );
    return { views, next: page.next ?? "" };
  }

  async acknowledge(caller: Caller, id: string): Promise<IncidentView> {
    const view = await this.get(caller, id);
    if (view.record.status === IncidentStatus.RESOLVED) {
      throw new FailedPreconditionError(`incident ${id} is resolved`);
    }
    if (view.activity.acknowledged === undefined) {
      await this.store.appendEvent(
        this.#event(
          view.record,
          IncidentEventType.ACKNOWLEDGED,
          `api-key:${caller.keyId}`,
          "acknowledged",
        ),
      );
    }
    return this.get(caller, id);
  }

  async resolve(caller: Caller, id: string, note: string): Promise<IncidentView> {
    if ([...note].length > MAX_NOTE_CHARS) {
      throw new ValidationError([
        { field: "note", description: `must be at most ${MAX_NOTE_CHARS} characters` },
      ]);
    }
    const record = await this.#load(caller, id);
    const actor = `api-key:${caller.keyId}`;
    const resolved = await this.store.resolve(caller.organizationId, record.id, this.now(), actor);
    if (resolved !== undefined) {
      await this.store.appendEvent(
        this.#event(resolved, IncidentEventType.RESOLVED, actor, note || "resolved"),
      );
    }
    return this.get(caller, id);
  }

  async events(
    caller: Caller,
    id: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ events: readonly EventRecord[]; next: string }> {
    const record = await this.#load(caller, id);
    const page = await this.store.events(
      caller.organizationId,
      record.id,
      pageSize,
      pageToken || undefined,
    );
    return { events: page.items, next: page.next ?? "" };
  }

  /** Refuses the whole request before any write when an alert cannot be stored. */
  async #validate(req: IngestRequest): Promise<void> {
    const violations: Violation[] = [];
    if (req.organizationId === "") {
      violations.push({ field: "organization_id", description: "is required" });
    }
    if (req.integrationId === "") {
      violations.push({ field: "integration_id", description: "is required" });
    }
    if (req.deliveryAlias !== "" && req.deliveryAlias === req.deliveryKey) {
      violations.push({ field: "delivery_alias", description: "must differ from delivery_key" });
    }
    if (req.deliveryAlias !== "" && req.deliveryKey === "") {
      violations.push({ field: "delivery_alias", description: "requires delivery_key" });
    }
    const name = (i: number, field: string) =>
      req.alerts.length === 1 ? field : `alerts[${i}].${field}`;
    const services = new Map<string, number[]>();
    req.alerts.forEach((alert, i) => {
      if (alert.action !== AlertAction.TRIGGER && alert.action !== AlertAction.RESOLVE) {
        violations.push({ field: name(i, "action"), description: "must be trigger or resolve" });
      }
      if (alert.serviceId === "") {
        violations.push({
          field: name(i, "service_id"),
          description:
            "is required (the payload names none and the integration has no default service)",
        });
      } else {
        services.set(alert.serviceId, [...(services.get(alert.serviceId) ?? []), i]);
      }
    });
    if (req.organizationId !== "") {
      for (const [serviceId, indexes] of services) {
        if (!(await this.store.serviceExists(req.organizationId, serviceId))) {
          for (const i of indexes) {
            violations.push({
              field: name(i, "service_id"),
              description: `no service ${serviceId} in this organization`,
            });
          }
        }
      }
    }
    if (violations.length > 0) {
      throw new ValidationError(violations);
    }
  }

  /** Claims a delivery key, or returns the results of an earlier delivery with it. */
  async #claim(key: string, req: IngestRequest): Promise<readonly StoredResult[] | undefined> {
    const deadline = Date.now() + REPLAY_WAIT_MS;
    for (;;) {
      const claim = await this.store.claimDelivery(
        key,
        req.organizationId,
        req.integrationId,
        this.now(),
      );
      if (claim.state === "claimed") {
        return undefined;
      }
      if (claim.state === "done") {
        return claim.results;
      }
      if (this.now().getTime() - claim.claimedAt.getTime() > CLAIM_LEASE_MS) {
        // The first attempt died mid-way; let this one redo it.
        await this.store.releaseDelivery(key);
        continue;
      }
      if (Date.now() > deadline) {
        throw new UnavailableError("the same delivery is still being processed; retry later");
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #apply(req: IngestRequest): Promise<StoredResult[]> {
    const actor = `integration:${req.integrationId}`;
    const results: StoredResult[] = [];
    for (const [index, alert] of req.alerts.entries()) {
      // With a delivery key, alerts an earlier, failed attempt already
      // applied are skipped: a retry must not count them twice.
      const earlier = req.deliveryKey
        ? await this.store.alertResult(req.deliveryKey, index)
        : undefined;
      if (earlier !== undefined) {
        results.push(earlier);
        continue;
      }
      const result =
        alert.action === AlertAction.RESOLVE && alert.dedupKey !== ""
          ? await this.#resolveByKey(req, alert, actor)
          : await this.#trigger(req, alert, actor);
      if (req.deliveryKey) {
        await this.store.saveAlertResult(req.deliveryKey, index, result, this.now());
      }
      results.push(result);
    }
    return results;
  }

  async #trigger(
    req: IngestRequest,
    alert: NormalizedAlert,
    actor: string,
    retried = false,
  ): Promise<StoredResult> {
    const snapshot = toSnapshot(alert);
    const status = openingStatus(alert);
    const dedupKey = alert.dedupKey;
    if (dedupKey !== "" && status !== IncidentStatus.RESOLVED) {
      const open = await this.store.findOpen(req.organizationId, req.integrationId, dedupKey);
      if (open !== undefined) {
        const result = await this.#retrigger(open, actor, snapshot, dedupKey);
        // A resolve may have closed the incident between finding it and
        // recording this occurrence. The alert then belongs to a new
        // incident: a trigger after a resolve opens one (once; a second
        // race in a row is answered as it stands).
        if (
          !retried &&
          (await this.store.get(open.organizationId, open.id))?.status === IncidentStatus.RESOLVED
        ) {
          return this.#trigger(req, alert, actor, true);
        }
        return result;
      }
    }
    const now = this.now();
    const outcome = await this.store.create({
      organizationId: req.organizationId,
      integrationId: req.integrationId,
      dedupKey,
      serviceId: alert.serviceId,
      status,
      first: snapshot,
      createdAt: now,
      ...(status === IncidentStatus.RESOLVED && { resolvedAt: now, resolvedBy: actor }),
    });
    if ("existing" in outcome) {
      // A concurrent request opened it first: this one is an occurrence.
      return this.#retrigger(outcome.existing, actor, snapshot, dedupKey);
    }
    await this.store.appendEvent(
      this.#event(outcome.created, IncidentEventType.CREATED, actor, snapshot.title, snapshot),
    );
    return { incidentId: outcome.created.id, action: IngestAction.CREATED, dedupKey };
  }

  async #retrigger(
    open: IncidentRecord,
    actor: string,
    snapshot: AlertSnapshot,
    dedupKey: string,
  ): Promise<StoredResult> {
    await this.store.appendEvent(
      this.#event(open, IncidentEventType.TRIGGERED, actor, snapshot.title, snapshot),
    );
    return { incidentId: open.id, action: IngestAction.UPDATED, dedupKey };
  }

  async #resolveByKey(
    req: IngestRequest,
    alert: NormalizedAlert,
    actor: string,
  ): Promise<StoredResult> {
    const open = await this.store.findOpen(req.organizationId, req.integrationId, alert.dedupKey);
    if (open === undefined) {
      return { incidentId: "", action: IngestAction.IGNORED, dedupKey: alert.dedupKey };
    }
    const resolved = await this.store.resolve(req.organizationId, open.id, this.now(), actor);
    if (resolved === undefined) {
      return { incidentId: open.id, action: IngestAction.IGNORED, dedupKey: alert.dedupKey };
    }
    await this.store.appendEvent(
      this.#event(
        resolved,
        IncidentEventType.RESOLVED,
        actor,
        alert.title || "resolved",
        toSnapshot(alert),
      ),
    );
    return { incidentId: resolved.id, action: IngestAction.RESOLVED, dedupKey: alert.dedupKey };
  }

  async #load(caller: Caller, id: string): Promise<IncidentRecord> {
    if (id === "") {
      throw new ValidationError([{ field: "incident_id", description: "is required" }]);
    }
    const record = await this.store.get(caller.organizationId, id);
    if (record === undefined) {
      throw new NotFoundError(`incident ${id} not found`);
    }
    return record;
  }

  #lastEventMs = 0;
  #eventSequence = 0;

  /**
   * Timeline ids sort in the order this process wrote them (a millisecond
   * clock plus a sequence within the millisecond), then by a random suffix
   * across processes, so "latest" is well defined even within one millisecond.
   */
  #nextEventId(at: Date): string {
    const ms = Math.max(at.getTime(), this.#lastEventMs);
    this.#eventSequence = ms === this.#lastEventMs ? this.#eventSequence + 1 : 0;
    this.#lastEventMs = ms;
    return (
      ms.toString(36).padStart(9, "0") +
      this.#eventSequence.toString(36).padStart(4, "0") +
      randomBytes(6).toString("hex")
    );
  }

  #event(
    incident: IncidentRecord,
    type: IncidentEventType,
    actor: string,
    summary: string,
    alert?: AlertSnapshot,
  ): EventRecord {
    const at = this.now();
    return {
      id: this.#nextEventId(at),
      organizationId: incident.organizationId,
      incidentId: incident.id,
      type,
      actor,
      summary,
      createdAt: at,
      ...(alert && { alert }),
    };
  }
}

function openingStatus(alert: NormalizedAlert): IncidentStatus {
  if (alert.action === AlertAction.RESOLVE || alert.status === IncidentStatus.RESOLVED) {
    return IncidentStatus.RESOLVED;
  }
  return alert.status === IncidentStatus.INVESTIGATING
    ? IncidentStatus.INVESTIGATING
    : IncidentStatus.NEW;
}

function toSnapshot(alert: NormalizedAlert): AlertSnapshot {
  return {
    title: alert.title,
    description: alert.description,
    severity: alert.severity,
    sourceUrl: alert.sourceUrl,
    metadata: { ...alert.metadata },
    truncatedAlerts: alert.truncatedAlerts,
  };
}
