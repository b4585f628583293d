import type { Collection, Db } from "mongodb";

interface CounterDoc {
  _id: string;
  last: number;
}

interface NumberedDoc {
  organizationId: string;
  number: number;
}

/** Collisions after which the true highest number is read (a scan). */
const RESYNC_EVERY = 20;

/**
 * Proposes the next incident number of an organization. It is only a
 * proposal: the unique (organizationId, number) index decides, and a taken
 * number is retried with the next one. The `incident_counters` document is a
 * hint kept by `_id` (FerretDB updates are last-writer-wins, so it may lag
 * by a few under concurrency, costing a few collisions, never a duplicate).
 */
export class IncidentNumbers {
  readonly #counters: Collection<CounterDoc>;
  readonly #incidents: Collection<NumberedDoc>;
  readonly #seen = new Map<string, number>();

  constructor(db: Db) {
    this.#counters = db.collection("incident_counters");
    this.#incidents = db.collection("incidents");
  }

  async next(organizationId: string): Promise<number> {
    const counter = await this.#counters.findOne({ _id: organizationId });
    return Math.max(counter?.last ?? 0, this.#seen.get(organizationId) ?? 0) + 1;
  }

  /** Records a number that was inserted, so the next proposal is past it. */
  async used(organizationId: string, number: number): Promise<void> {
    this.#seen.set(organizationId, Math.max(number, this.#seen.get(organizationId) ?? 0));
    const counter = await this.#counters.findOne({ _id: organizationId });
    if ((counter?.last ?? 0) < number) {
      await this.#counters
        .replaceOne({ _id: organizationId }, { last: number }, { upsert: true })
        .catch(ignoreDuplicateUpsert);
    }
  }

  /** The number to try after `number` was taken. */
  async afterCollision(organizationId: string, number: number, attempt: number): Promise<number> {
    this.#seen.set(organizationId, Math.max(number, this.#seen.get(organizationId) ?? 0));
    if (attempt % RESYNC_EVERY === 0) {
      const [last] = await this.#incidents
        .find({ organizationId }, { projection: { number: 1 } })
        .sort({ number: -1 })
        .limit(1)
        .toArray();
      return Math.max(number, last?.number ?? 0) + 1;
    }
    return Math.max(number + 1, await this.next(organizationId));
  }
}

/** Two first-ever upserts of one counter can race; either value is a fine hint. */
function ignoreDuplicateUpsert(error: unknown): void {
  if (!(
    typeof error === "object" &&
    error !== null &&
    (error as { code?: unknown }).code === 11000
  )) {
    throw error;
  }
}
