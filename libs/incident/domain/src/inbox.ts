import type { DeliveryOutcome, IntegrationType } from "@runframe/contracts";
import type { Page, Violation } from "@runframe/util";
import type { StoredResult } from "./model.js";

/**
 * The delivery inbox: every delivery a known routing key received, with what
 * became of it (DESIGN §12). Accepted deliveries are recorded by ingestion,
 * in the same commit as their incidents; the others by the edge, right
 * after it answers (a throttled one before). Bodies are kept byte-exact and
 * bounded; secrets in headers are redacted before a record is made.
 */
export interface InboxRecord {
  readonly id: string;
  readonly organizationId: string;
  readonly integrationId: string;
  readonly integrationType: IntegrationType;
  readonly outcome: DeliveryOutcome;
  /** HTTP status answered. */
  readonly status: number;
  /** The answer's error code; empty when accepted. */
  readonly reason: string;
  /** The JSON body answered. */
  readonly answer: string;
  readonly requestId: string;
  readonly sourceAddress: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly body: Uint8Array;
  readonly bodySize: number;
  readonly fieldErrors: readonly Violation[];
  readonly results: readonly StoredResult[];
  readonly receivedAt: Date;
  readonly expiresAt: Date;
  /** The integration as auth answered it (binary protobuf), for replays. */
  readonly integration: Uint8Array;
  /** Auth accepted its routing key and signature: only such a delivery may be replayed. */
  readonly verified: boolean;
  /** Its idempotency key, or empty. */
  readonly deliveryKey: string;
  /** Throttled, and its integration wants throttled deliveries redriven. */
  readonly redrive: boolean;
  readonly replay?: Replay;
}

/**
 * A replay of a delivery: when, by whom, and what it did — its results, or
 * why its provider's normalizer or ingestion refused it (then it has no
 * results, and is not tried again: as sent, it can never be applied).
 */
export interface Replay {
  readonly at: Date;
  readonly by: string;
  readonly results: readonly StoredResult[];
  readonly error?: string;
}

export interface InboxFilter {
  readonly integrationId?: string;
  readonly outcome?: DeliveryOutcome;
  /** Received at or after. */
  readonly from?: Date;
  /** Received before. */
  readonly to?: Date;
}

/** Counts of an organization's (or an integration's) deliveries over the retention period. */
export interface InboxStats {
  readonly byOutcome: ReadonlyMap<DeliveryOutcome, number>;
  /** Refusals by reason (the answer's error code). */
  readonly refused: ReadonlyMap<string, number>;
  /** Accepted alerts by what ingestion did: created, updated, resolved, ignored. */
  readonly actions: ReadonlyMap<string, number>;
  readonly last?: InboxRecord;
  readonly lastError?: InboxRecord;
}

/** Limits on what the inbox keeps, per integration; oldest first out. */
export interface InboxLimits {
  readonly retentionMs: number;
  readonly maxDeliveries: number;
  readonly maxBytes: number;
}

/** Persistence of the inbox. One contract suite runs it on SQLite and MongoDB. */
export interface DeliveryInbox {
  /** Records deliveries that were not ingested (throttled, refused, failed). */
  record(records: readonly InboxRecord[]): Promise<void>;
  /** Newest first; records come without their bodies. */
  list(
    organizationId: string,
    filter: InboxFilter,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<InboxRecord>>;
  get(organizationId: string, id: string): Promise<InboxRecord | undefined>;
  stats(organizationId: string, integrationId: string | undefined): Promise<InboxStats>;
  /** Notes a replay's results on the record. */
  replayed(organizationId: string, id: string, replay: Replay): Promise<void>;
  /**
   * Throttled deliveries waiting to be redriven, oldest first, claimed for
   * `leaseMs` by this caller: of several replicas asking at once, each
   * integration's deliveries go to one, so they are applied oldest first.
   */
  claimRedrives(limit: number, now: Date, leaseMs: number): Promise<InboxRecord[]>;
  /** Deletes what is past retention or over an integration's limits; how many. */
  trim(now: Date, limits: InboxLimits): Promise<number>;
}
