import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  AlertAction,
  DeliveryOutcome,
  HeaderSchema,
  IngestRequestSchema,
  IntegrationSchema,
  type DeliveryEnvelope,
  type DeliveryReport,
  type Header,
  type Integration,
  type NormalizedAlert,
} from "@runframe/contracts";
import {
  FailedPreconditionError,
  NotFoundError,
  TOO_LARGE_KEPT_BYTES,
  redrivesThrottledByDefault,
  ValidationError,
  timeOrderedId,
  TtlCache,
} from "@runframe/util";
import type {
  DeliveryInbox,
  InboxFilter,
  InboxLimits,
  InboxRecord,
  InboxStats,
  Replay,
} from "./inbox.js";
import type { Caller, Incidents } from "./incidents.js";
import type { StoredResult } from "./model.js";

/** Normalization of a stored body, as the provider's normalizer does it. */
export interface Normalizers {
  normalize(
    integration: Integration,
    headers: readonly Header[],
    body: Uint8Array,
    receivedAt: Date,
  ): Promise<readonly NormalizedAlert[]>;
}

/** The routing key's quota, which a redrive must stay within. */
export interface Quota {
  /** Counts one delivery against the integration's quota; how long to wait when refused. */
  consume(
    organizationId: string,
    integrationId: string,
  ): Promise<{ readonly allowed: boolean; readonly retryAfterMs: number }>;
}

/** Default limits on what the inbox keeps, per integration. */
export const DEFAULT_INBOX_LIMITS: InboxLimits = {
  retentionMs: 7 * 24 * 3600 * 1000,
  maxDeliveries: 10_000,
  maxBytes: 100 * 1024 * 1024,
};

/** What a replay did: its results, and whether it applied them now. */
export interface ReplayOutcome {
  readonly record: InboxRecord;
  readonly results: readonly StoredResult[];
  readonly replayed: boolean;
}

/**
 * The delivery inbox's operations: recording what the edge did not ingest,
 * the team's view of it, and replays — by a team member (ReplayDelivery) or
 * by the redrive of throttled deliveries. A replay runs the stored body
 * through normalization and ingestion as of now, under the delivery's own
 * key (or one of the inbox's), so it is applied at most once however often
 * it is replayed and however the sender retries it.
 */
export class Deliveries {
  constructor(
    private readonly inbox: DeliveryInbox,
    private readonly incidents: Incidents,
    private readonly normalizers: Normalizers,
    private readonly limits: InboxLimits = DEFAULT_INBOX_LIMITS,
    private readonly now: () => Date = () => new Date(),
    /** Told of a redrive that failed for now (it is tried again once its claim runs out). */
    private readonly onRedriveError: (record: InboxRecord, error: unknown) => void = () =>
      undefined,
  ) {}

  /** Records what the edge answered deliveries it did not ingest. */
  async record(reports: readonly DeliveryReport[]): Promise<void> {
    const records = reports.map((report) => {
      const { envelope } = report;
      if (envelope?.integration === undefined) {
        throw new ValidationError([
          { field: "reports.envelope.integration", description: "is required" },
        ]);
      }
      return inboxRecordOf(envelope, this.limits.retentionMs, {
        outcome: report.outcome,
        status: report.status,
        reason: report.reason,
        answer: report.answer,
        fieldErrors: report.fieldErrors.map(({ field, description }) => ({ field, description })),
      });
    });
    await this.inbox.record(records);
  }

  list(caller: Caller, filter: InboxFilter, pageSize: number, pageToken: string) {
    return this.inbox.list(caller.organizationId, filter, pageSize, pageToken || undefined);
  }

  async get(caller: Caller, id: string): Promise<InboxRecord> {
    if (id === "") {
      throw new ValidationError([{ field: "delivery_id", description: "is required" }]);
    }
    const record = await this.inbox.get(caller.organizationId, id);
    if (record === undefined) {
      throw new NotFoundError(`delivery ${id} not found`);
    }
    return record;
  }

  stats(caller: Caller, integrationId: string): Promise<InboxStats> {
    return this.inbox.stats(caller.organizationId, integrationId || undefined);
  }

  /** A team member's replay of a throttled or failed delivery. */
  async replay(caller: Caller, id: string): Promise<ReplayOutcome> {
    const record = await this.get(caller, id);
    const refusal = notReplayable(record);
    if (refusal !== undefined) {
      throw new FailedPreconditionError(`delivery ${id} cannot be replayed: ${refusal}`, {
        reason: "DELIVERY_NOT_REPLAYABLE",
      });
    }
    return this.#replay(record, `api-key:${caller.keyId}`);
  }

  /**
   * Redrives throttled deliveries of integrations that want it, oldest
   * first, each as its routing key's quota allows: one that does not fit
   * now waits for the next round. Several replicas may run this at once:
   * each delivery is claimed by one.
   */
  async redrive(quota: Quota, limit = 50, leaseMs = 30_000): Promise<RedriveRound> {
    const due = await this.inbox.claimRedrives(limit, this.now(), leaseMs);
    let applied = 0;
    let refused = 0;
    const held = new Set<string>();
    for (const record of due) {
      const scope = `${record.organizationId}/${record.integrationId}`;
      if (held.has(scope) || record.replay !== undefined) {
        continue;
      }
      try {
        const decision = await quota.consume(record.organizationId, record.integrationId);
        if (!decision.allowed) {
          // Oldest first: later deliveries of this key wait behind it.
          held.add(scope);
          continue;
        }
        const { record: after } = await this.#replay(record, "redrive");
        if (after.replay?.error === undefined) {
          applied++;
        } else {
          refused++;
        }
      } catch (error) {
        // A store, auth or normalizer outage: this delivery's claim runs
        // out and it is tried again; the ones behind it wait with it.
        held.add(scope);
        if (error instanceof NotFoundError) {
          // The integration is gone or disabled: nothing will ever fit.
          await this.inbox.replayed(record.organizationId, record.id, {
            at: this.now(),
            by: "redrive",
            results: [],
            error: error.message,
          });
          refused++;
          continue;
        }
        this.onRedriveError(record, error);
      }
    }
    return { claimed: due.length, applied, refused };
  }

  /** Deletes what is past retention or over an integration's limits. */
  trim(): Promise<number> {
    return this.inbox.trim(this.now(), this.limits);
  }

  async #replay(record: InboxRecord, by: string): Promise<ReplayOutcome> {
    if (record.replay !== undefined) {
      return { record, results: record.replay.results, replayed: false };
    }
    const earlier = await this.#acceptedBefore(record);
    if (earlier !== undefined) {
      return { record, results: earlier.results, replayed: false };
    }
    let replay: Replay;
    let applied = true;
    try {
      const integration = fromBinary(IntegrationSchema, record.integration);
      const alerts = await this.normalizers.normalize(
        integration,
        record.headers.map((h) => create(HeaderSchema, h)),
        record.body,
        record.receivedAt,
      );
      const at = this.now();
      const { results, replayed } = await this.incidents.ingest(
        create(IngestRequestSchema, {
          organizationId: record.organizationId,
          integrationId: record.integrationId,
          // Its own key, so a sender's retry and the replay apply it once.
          deliveryKey: record.deliveryKey || `inbox:${record.id}`,
          alerts: alerts.filter((a) => a.action !== AlertAction.UNSPECIFIED),
          // Its options apply as they were; a replay is no sign of life (no beat).
          integration,
        }),
        { replay: true },
      );
      replay = { at, by, results };
      applied = !replayed;
    } catch (error) {
      if (!(error instanceof ValidationError)) {
        throw error;
      }
      // As sent, it can never be applied (a payload its normalizer refuses,
      // a service deleted since): say so, and do not try again.
      replay = { at: this.now(), by, results: [], error: error.message };
    }
    await this.inbox.replayed(record.organizationId, record.id, replay);
    return { record: { ...record, replay }, results: replay.results, replayed: applied };
  }

  /**
   * The accepted record of a failed delivery that was applied after all: the
   * edge gave up (a deadline, a lost connection) while the incident write
   * committed. The edge sends both records with the same request id and
   * receive time. A delivery with its own key needs no search: ingestion
   * answers a repeat of the key.
   */
  async #acceptedBefore(record: InboxRecord): Promise<InboxRecord | undefined> {
    if (record.outcome !== DeliveryOutcome.FAILED || record.deliveryKey !== "") {
      return undefined;
    }
    const filter = {
      integrationId: record.integrationId,
      outcome: DeliveryOutcome.ACCEPTED,
      from: record.receivedAt,
      to: new Date(record.receivedAt.getTime() + 1),
    };
    let after: string | undefined;
    do {
      const page = await this.inbox.list(record.organizationId, filter, 100, after);
      const found = page.items.find((r) => r.requestId === record.requestId);
      if (found !== undefined) {
        return found;
      }
      after = page.next;
    } while (after !== undefined);
    return undefined;
  }
}

/** What one round of redrives did. */
export interface RedriveRound {
  /** Deliveries claimed for this round. */
  readonly claimed: number;
  /** Applied as incidents or occurrences. */
  readonly applied: number;
  /** Refused for good (a payload its normalizer refuses, an integration gone). */
  readonly refused: number;
}

/** Why a delivery cannot be replayed, or undefined when it can. */
export function notReplayable(record: InboxRecord): string | undefined {
  if (record.outcome !== DeliveryOutcome.THROTTLED && record.outcome !== DeliveryOutcome.FAILED) {
    return record.outcome === DeliveryOutcome.ACCEPTED
      ? "it was accepted"
      : "refused deliveries were untrusted or invalid; only throttled and failed ones can be replayed";
  }
  if (!record.verified) {
    return "it failed before its routing key and signature were verified";
  }
  return record.replay === undefined ? undefined : "it was replayed already";
}

/**
 * Integration snapshots by version. Auth moves an integration's update_time
 * forward on every change (it replaces the record only if update_time is
 * still the one it read), so id and update_time name one version's content.
 */
const snapshots = new TtlCache<string, Uint8Array>(10 * 60_000, 10_000);

/**
 * The integration as stored with an inbox record (binary protobuf), encoded
 * once per version: encoding it for every delivery was 4.4% of the incident
 * service's CPU under load (custom webhooks, 64 connections). One without
 * an update_time (a test's, or a hand-made one) is encoded every time.
 */
function snapshotOf(integration: Integration): Uint8Array {
  const version = integration.updateTime;
  if (version === undefined) {
    return toBinary(IntegrationSchema, integration);
  }
  const key = `${integration.organizationId}\n${integration.id}\n${version.seconds}.${version.nanos}`;
  let snapshot = snapshots.get(key);
  if (snapshot === undefined) {
    snapshot = toBinary(IntegrationSchema, integration);
    snapshots.set(key, snapshot);
  }
  return snapshot;
}

/** The inbox record of a delivery as the edge received it. */
export function inboxRecordOf(
  envelope: DeliveryEnvelope,
  retentionMs: number,
  answer: Pick<InboxRecord, "outcome" | "status" | "reason" | "answer" | "fieldErrors">,
): InboxRecord {
  const integration = envelope.integration ?? create(IntegrationSchema);
  const receivedAt = envelope.receiveTime ? timestampDate(envelope.receiveTime) : new Date();
  const tooLarge = answer.outcome === DeliveryOutcome.TOO_LARGE;
  return {
    id: timeOrderedId(),
    organizationId: integration.organizationId,
    integrationId: integration.id,
    integrationType: integration.type,
    ...answer,
    requestId: envelope.requestId,
    sourceAddress: envelope.sourceAddress,
    headers: envelope.headers.map(({ name, value }) => ({ name, value })),
    body: tooLarge ? envelope.body.subarray(0, TOO_LARGE_KEPT_BYTES) : envelope.body,
    bodySize: Number(envelope.bodySize) || envelope.body.length,
    results: [],
    receivedAt,
    expiresAt: new Date(receivedAt.getTime() + retentionMs),
    integration: snapshotOf(integration),
    verified: envelope.verified,
    deliveryKey: envelope.deliveryKey,
    redrive:
      answer.outcome === DeliveryOutcome.THROTTLED &&
      envelope.verified &&
      wantsRedrive(integration),
  };
}

/**
 * The integration's `redrive_throttled` option; an integration that carries
 * none (one sent by an auth older than options) gets its provider's default:
 * on for Alertmanager and Datadog, which never retry a 429.
 */
function wantsRedrive(integration: Integration): boolean {
  return integration.options?.redriveThrottled ?? redrivesThrottledByDefault(integration.type);
}
