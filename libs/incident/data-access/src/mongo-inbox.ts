import { DeliveryOutcome } from "@runframe/contracts";
import type {
  DeliveryInbox,
  InboxFilter,
  InboxLimits,
  InboxRecord,
  InboxStats,
  Page,
  Replay,
} from "@runframe/incident-domain";
import { pageOf } from "@runframe/util";
import {
  Binary,
  MongoServerError,
  type Collection,
  type Db,
  type Filter,
  type OptionalUnlessRequiredId,
} from "mongodb";
import {
  decodeInbox,
  encodeInbox,
  ERROR_OUTCOMES,
  newestOf,
  replayFields,
  statsOf,
  type StoredInboxRecord,
} from "./codec.js";
import { inboxAfter, inboxPosition } from "./page-positions.js";
import { MongoLeases } from "./mongo-leases.js";

/** An inbox record: `_id` is organization/id; bytes as BSON binary. */
interface InboxDoc extends StoredInboxRecord {
  _id: string;
  body: Binary;
  integration: Binary;
  /** Set (true) only while a throttled delivery waits to be redriven. */
  redrivePending?: true;
}

export function inboxDoc(r: InboxRecord): InboxDoc {
  return {
    _id: `${r.organizationId}/${r.id}`,
    ...encodeInbox(r),
    body: new Binary(r.body),
    integration: new Binary(r.integration),
    ...(r.redrive && r.replay === undefined && { redrivePending: true as const }),
  };
}

function fromDoc(doc: InboxDoc, withBody = true): InboxRecord {
  return decodeInbox(
    doc._id.slice(doc._id.indexOf("/") + 1),
    doc,
    withBody ? new Uint8Array(doc.body.buffer) : new Uint8Array(),
    new Uint8Array(doc.integration.buffer),
  );
}

/**
 * The delivery inbox on MongoDB. Listings use the indexes MongoDB has
 * (FerretDB scans them); claims on deliveries to redrive are MongoLeases
 * in `inbox_claims`, since FerretDB's updates are not atomic.
 */
export class MongoInbox implements DeliveryInbox {
  readonly #inbox: Collection<InboxDoc>;
  /** A replica's hold on a delivery it redrives: `_id` is the inbox record's. */
  readonly #claims: MongoLeases;

  constructor(db: Db) {
    this.#inbox = db.collection("inbox");
    this.#claims = new MongoLeases(db.collection("inbox_claims"));
  }

  async init(): Promise<void> {
    await this.#inbox.createIndex(
      { organizationId: 1, receivedAt: -1, _id: -1 },
      { name: "org_newest" },
    );
    await this.#inbox.createIndex(
      { organizationId: 1, integrationId: 1, receivedAt: -1, _id: -1 },
      { name: "org_integration_newest" },
    );
    // Every combination of ListDeliveries' filters has its index: equalities, then the order.
    await this.#inbox.createIndex(
      { organizationId: 1, outcome: 1, receivedAt: -1, _id: -1 },
      { name: "org_outcome_newest" },
    );
    await this.#inbox.createIndex(
      { organizationId: 1, integrationId: 1, outcome: 1, receivedAt: -1, _id: -1 },
      { name: "org_integration_outcome_newest" },
    );
    await this.#inbox.createIndex(
      { redrivePending: 1, receivedAt: 1 },
      { name: "redrive", sparse: true },
    );
    await this.#claims.init();
    try {
      await this.#inbox.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: "expiry" });
    } catch (error) {
      // FerretDB has no TTL indexes; trim() does the same job there.
      if (!(error instanceof MongoServerError && error.codeName === "NotImplemented")) {
        throw error;
      }
      await this.#inbox.createIndex({ expiresAt: 1 }, { name: "expiry" });
    }
  }

  async record(records: readonly InboxRecord[]): Promise<void> {
    if (records.length > 0) {
      const docs: OptionalUnlessRequiredId<InboxDoc>[] = records.map(inboxDoc);
      await this.#inbox.insertMany(docs, { ordered: false });
    }
  }

  async list(
    organizationId: string,
    filter: InboxFilter,
    pageSize: number,
    after: string | undefined,
  ): Promise<Page<InboxRecord>> {
    const query: Record<string, unknown> = { organizationId };
    if (filter.integrationId) {
      query["integrationId"] = filter.integrationId;
    }
    if (filter.outcome !== undefined) {
      query["outcome"] = DeliveryOutcome[filter.outcome];
    }
    const receivedAt: Record<string, Date> = {};
    if (filter.from) {
      receivedAt["$gte"] = filter.from;
    }
    if (filter.to) {
      receivedAt["$lt"] = filter.to;
    }
    if (Object.keys(receivedAt).length > 0) {
      query["receivedAt"] = receivedAt;
    }
    if (after !== undefined) {
      const [at, id] = inboxAfter(after);
      query["$or"] = [
        { receivedAt: { $lt: new Date(at) } },
        { receivedAt: new Date(at), _id: { $lt: `${organizationId}/${id}` } },
      ];
    }
    const docs = await this.#inbox
      .find(query as Filter<InboxDoc>, { projection: { body: 0 } })
      .sort({ receivedAt: -1, _id: -1 })
      .limit(pageSize + 1)
      .toArray();
    return pageOf(
      docs,
      pageSize,
      (doc) => fromDoc({ ...doc, body: new Binary(new Uint8Array()) }, false),
      inboxPosition,
    );
  }

  async get(organizationId: string, id: string): Promise<InboxRecord | undefined> {
    const doc = await this.#inbox.findOne({ _id: `${organizationId}/${id}` });
    return doc === null ? undefined : fromDoc(doc);
  }

  async stats(organizationId: string, integrationId: string | undefined): Promise<InboxStats> {
    const match: Filter<InboxDoc> = {
      organizationId,
      ...(integrationId !== undefined && { integrationId }),
    };
    const [counts, actions, last, lastError] = await Promise.all([
      this.#inbox
        .aggregate<{ _id: { outcome: string; reason: string }; n: number }>([
          { $match: match },
          { $group: { _id: { outcome: "$outcome", reason: "$reason" }, n: { $sum: 1 } } },
        ])
        .toArray(),
      this.#inbox
        .find(match, { projection: { actions: 1 } })
        .toArray()
        .then((docs) => {
          const totals = new Map<string, number>();
          for (const doc of docs) {
            for (const [action, n] of Object.entries(doc.actions ?? {})) {
              totals.set(action, (totals.get(action) ?? 0) + n);
            }
          }
          return [...totals].map(([action, n]) => ({ action, n }));
        }),
      this.#newest(match),
      // The newest of each kind of error: each a read of one index entry.
      Promise.all(
        ERROR_OUTCOMES.map((outcome) =>
          this.#newest({ ...match, outcome: DeliveryOutcome[outcome] }),
        ),
      ).then(newestOf),
    ]);
    return statsOf(
      counts.map((c) => ({ outcome: c._id.outcome, reason: c._id.reason, n: c.n })),
      actions,
      last,
      lastError,
    );
  }

  async #newest(filter: Filter<InboxDoc>): Promise<InboxRecord | undefined> {
    const [doc] = await this.#inbox
      .find(filter, { projection: { body: 0 } })
      .sort({ receivedAt: -1, _id: -1 })
      .limit(1)
      .toArray();
    return doc && fromDoc({ ...doc, body: new Binary(new Uint8Array()) }, false);
  }

  async replayed(organizationId: string, id: string, replay: Replay): Promise<void> {
    // One writer per delivery at a time (the replay is idempotent under its
    // delivery key, and redrives are claimed), so this update cannot race.
    const _id = `${organizationId}/${id}`;
    const stored = await this.#inbox.findOne({ _id }, { projection: { results: 1 } });
    if (stored !== null) {
      await this.#inbox.updateOne(
        { _id },
        { $set: replayFields(stored, replay), $unset: { redrivePending: "" } },
      );
    }
  }

  async claimRedrives(limit: number, now: Date, leaseMs: number): Promise<InboxRecord[]> {
    const waiting = await this.#inbox
      .find({ redrivePending: true })
      .sort({ receivedAt: 1 })
      .limit(limit * 4)
      .toArray();
    // By integration: its deliveries go to one redriver at a time, which
    // applies them oldest first as its key's quota allows. Claimed one by
    // one, two redrivers could split a key's deliveries and the quota
    // could let a newer one through before an older one.
    const claimed: InboxRecord[] = [];
    const mine = new Map<string, boolean>();
    for (const doc of waiting) {
      if (claimed.length === limit) {
        break;
      }
      const scope = `redrive:${doc.organizationId}/${doc.integrationId}`;
      if (!mine.has(scope)) {
        mine.set(scope, await this.#claims.take(scope, now, leaseMs));
      }
      if (mine.get(scope)) {
        claimed.push(fromDoc(doc));
      }
    }
    return claimed;
  }

  async trim(now: Date, limits: InboxLimits): Promise<number> {
    let deleted = (
      await this.#inbox.deleteMany({
        $or: [
          { expiresAt: { $lt: now } },
          { receivedAt: { $lt: new Date(now.getTime() - limits.retentionMs) } },
        ],
      })
    ).deletedCount;
    const scopes = await this.#inbox
      .aggregate<{ _id: { organizationId: string; integrationId: string } }>([
        { $group: { _id: { organizationId: "$organizationId", integrationId: "$integrationId" } } },
      ])
      .toArray();
    for (const { _id: scope } of scopes) {
      // Oldest first out: keep the newest within both limits.
      const newest = await this.#inbox
        .find(scope, { projection: { _id: 1, bodySize: 1 } })
        .sort({ receivedAt: -1, _id: -1 })
        .toArray();
      let kept = 0;
      let keptBytes = 0;
      const drop: string[] = [];
      for (const doc of newest) {
        kept++;
        keptBytes += doc.bodySize;
        if (kept > limits.maxDeliveries || keptBytes > limits.maxBytes) {
          drop.push(doc._id);
        }
      }
      for (const _id of drop) {
        deleted += (await this.#inbox.deleteOne({ _id })).deletedCount;
      }
    }
    await this.#claims.purge(new Date(now.getTime() - limits.retentionMs));
    return deleted;
  }
}
