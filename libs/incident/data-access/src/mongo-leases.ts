import { MongoServerError, type Collection } from "mongodb";

/** A hold on something for a while: `_id` names it. */
export interface LeaseDoc {
  _id: string;
  until: Date;
  /** Who holds it, when a holder may renew its own hold. */
  holder?: string;
}

/**
 * Leases on MongoDB, for servers whose updates are not atomic (FerretDB):
 * taking a lease is an insert under its unique `_id`, and taking over an
 * expired (or one's own) hold is a delete of exactly that hold followed by
 * an insert, so of several takers one wins. The delivery inbox claims
 * deliveries to redrive with it; the scheduled work takes its lease with it.
 */
export class MongoLeases {
  constructor(private readonly leases: Collection<LeaseDoc>) {}

  /**
   * Takes `_id` until `now + ms`: true when free, expired, or held by
   * `holder` (renewed). Without a holder a hold is never renewed, only
   * taken once expired.
   */
  async take(_id: string, now: Date, ms: number, holder?: string): Promise<boolean> {
    const until = new Date(now.getTime() + ms);
    const doc: LeaseDoc = { _id, until, ...(holder !== undefined && { holder }) };
    if (await this.#insert(doc)) {
      return true;
    }
    const held = await this.leases.findOne({ _id });
    const mine = holder !== undefined && held?.holder === holder;
    if (held === null || (held.until > now && !mine)) {
      return false;
    }
    // Of several takers, the one whose delete removed it wins.
    if ((await this.leases.deleteOne({ _id, until: held.until })).deletedCount !== 1) {
      return false;
    }
    return this.#insert(doc);
  }

  /** Deletes holds that ran out before `before`. */
  async purge(before: Date): Promise<void> {
    await this.leases.deleteMany({ until: { $lt: before } });
  }

  async #insert(doc: LeaseDoc): Promise<boolean> {
    try {
      await this.leases.insertOne(doc);
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) {
        return false;
      }
      throw error;
    }
  }
}
