import { MongoServerError, type Collection } from "mongodb";

/**
 * One hold on something: the `generation`-th of `name`, with `_id`
 * `name#generation`, so that each generation can be inserted once.
 */
export interface LeaseDoc {
  _id: string;
  name: string;
  generation: number;
  until: Date;
  /** Who holds it, when a holder may renew its own hold. */
  holder?: string;
}

/**
 * Leases on MongoDB, for servers whose updates and filtered deletes are not
 * atomic (FerretDB reads, then writes): a lease is never changed or taken
 * back, only followed. Taking one is inserting the next generation of its
 * name, allowed when the latest has run out (or is the taker's own, to
 * renew); the unique `_id` of that generation makes one of several takers
 * win. The delivery inbox claims deliveries to redrive with it; the
 * scheduled work takes its lease with it.
 */
export class MongoLeases {
  constructor(private readonly leases: Collection<LeaseDoc>) {}

  async init(): Promise<void> {
    await this.leases.createIndex({ name: 1, generation: -1 }, { name: "latest" });
  }

  /**
   * Takes `name` until `now + ms`: true when free, run out, or held by
   * `holder` (renewed). Without a holder a hold is never renewed, only
   * taken once it has run out.
   */
  async take(name: string, now: Date, ms: number, holder?: string): Promise<boolean> {
    const latest = await this.leases.findOne({ name }, { sort: { generation: -1 } });
    const mine = holder !== undefined && latest?.holder === holder;
    if (latest !== null && latest.until > now && !mine) {
      return false;
    }
    const generation = (latest?.generation ?? 0) + 1;
    try {
      await this.leases.insertOne({
        _id: `${name}#${generation}`,
        name,
        generation,
        until: new Date(now.getTime() + ms),
        ...(holder !== undefined && { holder }),
      });
    } catch (error) {
      if (error instanceof MongoServerError && error.code === 11000) {
        return false;
      }
      throw error;
    }
    if (latest !== null) {
      // Earlier generations decide nothing any more.
      await this.leases.deleteMany({ name, generation: { $lt: latest.generation } });
    }
    return true;
  }

  /** Deletes holds that ran out before `before`. */
  async purge(before: Date): Promise<void> {
    await this.leases.deleteMany({ until: { $lt: before } });
  }
}
