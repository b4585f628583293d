import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  DeliveryOutcome,
  IncidentStatus,
  type IngestRequest,
} from "@runframe/contracts";
import { DEFAULT_INBOX_LIMITS, inboxRecordOf } from "./deliveries.js";
import {
  Batcher,
  FailedPreconditionError,
  NotFoundError,
  TtlCache,
  UnavailableError,
  ValidationError,
  type Violation,
} from "@runframe/util";
import { explainDelivery, type DeliveryExplanation } from "./explain.js";
import { Ingestor, type DeliveryInput, type DeliveryResult, type FollowUps } from "./ingest.js";
import { Heartbeats, rulesOf } from "./scheduler.js";
import { acknowledge, resolve } from "./lifecycle.js";
import type { Change, EventRecord, IncidentFilter, IncidentRecord, StoredResult } from "./model.js";
import type { IncidentStorage, Service } from "./ports.js";

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
const REPLAY_POLL_MS = 50;
const MAX_NOTE_CHARS = 2000;
/** How long a service lookup is cached: a new or deleted service is seen within this. */
const SERVICE_CACHE_MS = 10_000;
/** Attempts at a team change another writer keeps overtaking. */
const MAX_CHANGE_ATTEMPTS = 10;
const INGESTED_ACTIONS: ReadonlySet<AlertAction> = new Set([
  AlertAction.TRIGGER,
  AlertAction.RESOLVE,
  AlertAction.ACKNOWLEDGE,
]);

/**
 * The incident service's operations: ingestion (grouped into shared
 * commits) and the team API. Everything is scoped to an organization; the
 * lifecycle rules live in ./lifecycle.ts and deduplication in ./ingest.ts.
 */
export class Incidents {
  readonly #batcher: Batcher<DeliveryInput, DeliveryResult>;
  readonly #services = new TtlCache<string, boolean>(SERVICE_CACHE_MS, 100_000);
  readonly #heartbeats: Heartbeats;

  constructor(
    private readonly storage: IncidentStorage,
    private readonly now: () => Date = () => new Date(),
    private readonly inboxRetentionMs = DEFAULT_INBOX_LIMITS.retentionMs,
    /** How long the options' minutes are (shorter only in tests). */
    private readonly minuteMs = 60_000,
  ) {
    const ingestor = new Ingestor(storage.writer, now, minuteMs);
    this.#batcher = new Batcher((batch) => ingestor.ingest(batch));
    this.#heartbeats = new Heartbeats(storage, now);
  }

  /**
   * Applies one delivery's alerts, durably, sharing the commit with
   * whatever else arrives meanwhile. With a delivery key it is idempotent: a
   * repeat gets the first answer and changes nothing; while the first
   * attempt is still running, the repeat waits for it.
   *
   * A delivery from the edge (not a `replay` of a stored one) is a beat of
   * its integration's heartbeat, stored before it is answered. Its
   * integration's auto_resolve and flapping options apply to its alerts.
   */
  async ingest(req: IngestRequest, { replay = false } = {}): Promise<IngestOutcome> {
    const { input, integration, rules } = await this.#prepare(req);
    if (integration !== undefined && !replay) {
      await this.#heartbeats.beat(integration);
    }
    const deadline = Date.now() + REPLAY_WAIT_MS;
    for (;;) {
      const outcome = await this.#batcher.submit(input);
      if (outcome.state === "applied") {
        await this.#followUp(outcome.followUps, rules?.flapping?.threshold);
      }
      if (outcome.state !== "pending") {
        return { results: outcome.results, replayed: outcome.state === "replayed" };
      }
      if (Date.now() > deadline) {
        throw new UnavailableError("the same delivery is still being processed; retry later", {
          reason: "DELIVERY_IN_PROGRESS",
        });
      }
      await new Promise((resolve) => setTimeout(resolve, REPLAY_POLL_MS));
    }
  }

  /** A delivery validated, with what its integration's options ask of its incidents. */
  async #prepare(req: IngestRequest) {
    const delivery = await this.#validate(req);
    const integration = req.integration ?? req.envelope?.integration;
    const rules = rulesOf(integration, this.minuteMs);
    const openings = rules?.flapping && (await this.#openings(delivery));
    const input: DeliveryInput = {
      ...delivery,
      ...(rules && { rules }),
      ...(openings && { openings }),
    };
    return { input, integration, rules };
  }

  /** When each trigger key of a delivery opened its recent incidents, for flap detection. */
  async #openings(delivery: DeliveryInput): Promise<Map<string, readonly Date[]>> {
    const keys = new Set(
      delivery.alerts
        .filter((a) => a.action === AlertAction.TRIGGER && a.dedupKey !== "")
        .map((a) => a.dedupKey),
    );
    const openings = new Map<string, readonly Date[]>();
    for (const dedupKey of keys) {
      openings.set(
        dedupKey,
        await this.storage.schedules.openings({
          organizationId: delivery.organizationId,
          integrationId: delivery.integrationId,
          dedupKey,
        }),
      );
    }
    return openings;
  }

  /**
   * Timers and openings, written once the delivery is applied. Should the
   * process stop in between, the incidents wait for their next trigger to
   * be timed (the timeline has every step; nothing is resolved wrongly).
   */
  async #followUp(followUps: FollowUps, threshold: number | undefined): Promise<void> {
    if (followUps.timers.length > 0) {
      await this.storage.schedules.setTimers(followUps.timers);
    }
    for (const { scope, at } of followUps.openings) {
      // The cycles that decide, and the first opening before them.
      await this.storage.schedules.recordOpening(scope, at, (threshold ?? 0) + 2);
    }
  }

  /**
   * What `ingest` would do with a delivery now, storing nothing: refused
   * exactly as `ingest` would refuse it, then decided by the same code
   * (./explain.ts). Its envelope is ignored: nothing is recorded.
   */
  async explain(req: IngestRequest): Promise<DeliveryExplanation> {
    const { input } = await this.#prepare({ ...req, envelope: undefined });
    return explainDelivery(this.storage, input, this.now());
  }

  async get(caller: Caller, id: string): Promise<IncidentRecord> {
    if (id === "") {
      throw new ValidationError([{ field: "incident_id", description: "is required" }]);
    }
    const record = await this.storage.incidents.get(caller.organizationId, id);
    if (record === undefined) {
      throw new NotFoundError(`incident ${id} not found`, { reason: "INCIDENT_NOT_FOUND" });
    }
    return record;
  }

  async list(
    caller: Caller,
    filter: IncidentFilter,
    pageSize: number,
    pageToken: string,
  ): Promise<{ incidents: readonly IncidentRecord[]; next: string }> {
    const page = await this.storage.incidents.list(
      caller.organizationId,
      filter,
      pageSize,
      pageToken || undefined,
    );
    return { incidents: page.items, next: page.next ?? "" };
  }

  acknowledge(caller: Caller, id: string): Promise<IncidentRecord> {
    return this.#change(caller, id, (incident, at, actor) => {
      if (incident.status === IncidentStatus.RESOLVED) {
        throw new FailedPreconditionError(`incident ${id} is resolved`, {
          reason: "INCIDENT_RESOLVED",
        });
      }
      return acknowledge(incident, at, actor);
    });
  }

  resolve(caller: Caller, id: string, note: string): Promise<IncidentRecord> {
    if ([...note].length > MAX_NOTE_CHARS) {
      throw new ValidationError([
        { field: "note", description: `must be at most ${MAX_NOTE_CHARS} characters` },
      ]);
    }
    return this.#change(caller, id, (incident, at, actor) =>
      resolve(incident, at, actor, note || "resolved"),
    );
  }

  async events(
    caller: Caller,
    id: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ events: readonly EventRecord[]; next: string }> {
    const incident = await this.get(caller, id);
    const page = await this.storage.timeline.events(
      caller.organizationId,
      incident.id,
      pageSize,
      pageToken || undefined,
    );
    return { events: page.items, next: page.next ?? "" };
  }

  async service(caller: Caller, serviceId: string): Promise<Service> {
    if (serviceId === "") {
      throw new ValidationError([{ field: "service_id", description: "is required" }]);
    }
    const service = await this.storage.services.get(caller.organizationId, serviceId);
    if (service === undefined) {
      throw new NotFoundError(`service ${serviceId} not found`, { reason: "SERVICE_NOT_FOUND" });
    }
    return service;
  }

  /** Whether the organization has the service; answered from a short cache. */
  async serviceExists(organizationId: string, serviceId: string): Promise<boolean> {
    const key = `${organizationId}\n${serviceId}`;
    const cached = this.#services.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const exists = (await this.storage.services.get(organizationId, serviceId)) !== undefined;
    this.#services.set(key, exists);
    return exists;
  }

  /** Forgets what this replica knew of a service, after it was created or deleted here. */
  forgetService(organizationId: string, serviceId: string): void {
    this.#services.delete(`${organizationId}\n${serviceId}`);
  }

  /**
   * Applies a team member's change to an incident's latest state. Another
   * writer (a webhook on another replica) may record an event first; the
   * change is then decided again on the fresh state.
   */
  async #change(
    caller: Caller,
    id: string,
    decide: (incident: IncidentRecord, at: Date, actor: string) => Change | undefined,
  ): Promise<IncidentRecord> {
    await this.get(caller, id);
    const actor = `api-key:${caller.keyId}`;
    for (let attempt = 0; attempt < MAX_CHANGE_ATTEMPTS; attempt++) {
      const done = await this.storage.writer.unit(async (unit) => {
        const incident = await unit.get(caller.organizationId, id);
        if (incident === undefined) {
          throw new NotFoundError(`incident ${id} not found`, { reason: "INCIDENT_NOT_FOUND" });
        }
        const change = decide(incident, this.now(), actor);
        if (change === undefined) {
          return incident;
        }
        unit.update(change, 0);
        return (await unit.flush()).has(0) ? undefined : change.next;
      });
      if (done !== undefined) {
        return done;
      }
    }
    throw new UnavailableError(`incident ${id} is changing too fast; retry`, {
      reason: "CONCURRENT_CHANGE",
    });
  }

  /** Refuses the whole delivery before any write when an alert cannot be stored. */
  async #validate(req: IngestRequest): Promise<DeliveryInput> {
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
      if (!INGESTED_ACTIONS.has(alert.action)) {
        violations.push({
          field: name(i, "action"),
          description: "must be trigger, resolve or acknowledge",
        });
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
        if (!(await this.serviceExists(req.organizationId, serviceId))) {
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
    return {
      organizationId: req.organizationId,
      integrationId: req.integrationId,
      keys: [req.deliveryKey, req.deliveryAlias].filter((key) => key !== ""),
      alerts: req.alerts,
      receivedAt: req.receiveTime ? timestampDate(req.receiveTime) : this.now(),
      ...(req.envelope && {
        inbox: inboxRecordOf(req.envelope, this.inboxRetentionMs, {
          outcome: DeliveryOutcome.ACCEPTED,
          status: 202,
          reason: "",
          answer: "",
          fieldErrors: [],
        }),
      }),
    };
  }
}
