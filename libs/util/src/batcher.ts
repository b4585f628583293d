/**
 * Natural batching (group commit): items submitted while `concurrency`
 * batches are already being processed wait and go together in the next
 * batch, so under load many callers share one round of work (one
 * transaction and fsync, one RPC) while an idle system processes each item
 * at once, with no timer adding latency. Items submitted in the same tick
 * always share a batch. Each caller gets its own item's outcome: `process`
 * returns one per item, an Error for an item that failed on its own; if the
 * whole batch fails, every caller in it gets that error.
 */
export class Batcher<In, Out> {
  #queue: Waiting<In, Out>[] = [];
  #running = 0;
  #scheduled = false;
  readonly #maxBatch: number;
  readonly #concurrency: () => number;
  readonly #weigh: ((item: In) => number) | undefined;
  readonly #maxWeight: number;

  constructor(
    private readonly process: (items: readonly In[]) => Promise<readonly (Out | Error)[]>,
    options: BatcherOptions<In> = {},
  ) {
    this.#maxBatch = options.maxBatch ?? 256;
    const concurrency = options.concurrency ?? 1;
    this.#concurrency = typeof concurrency === "number" ? () => concurrency : concurrency;
    this.#weigh = options.weigh;
    this.#maxWeight = options.maxWeight ?? Infinity;
  }

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled && this.#running < this.#concurrency()) {
        this.#scheduled = true;
        queueMicrotask(() => {
          this.#scheduled = false;
          this.#next();
        });
      }
    });
  }

  #next(): void {
    while (this.#running < this.#concurrency() && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#batchLength());
      this.#running++;
      void this.#run(batch);
    }
  }

  /** How many waiting items the next batch takes: within both limits, and at least one. */
  #batchLength(): number {
    const most = Math.min(this.#maxBatch, this.#queue.length);
    if (this.#weigh === undefined) {
      return most;
    }
    let weight = 0;
    for (let n = 0; n < most; n++) {
      weight += this.#weigh(this.#queue[n]!.item);
      if (weight > this.#maxWeight) {
        return Math.max(1, n);
      }
    }
    return most;
  }

  async #run(batch: readonly Waiting<In, Out>[]): Promise<void> {
    try {
      const outs = await this.process(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => {
        const out = outs[i];
        if (out instanceof Error) {
          entry.reject(out);
        } else {
          entry.resolve(out as Out);
        }
      });
    } catch (error) {
      for (const entry of batch) {
        entry.reject(error);
      }
    } finally {
      this.#running--;
      this.#next();
    }
  }
}

export interface BatcherOptions<In> {
  /** The most items in one batch (256 by default). */
  readonly maxBatch?: number;
  /**
   * How many batches may be processed at once (1 by default); a function is
   * asked whenever a batch could start, for a limit that changes (say, one
   * per replica of the service called).
   */
  readonly concurrency?: number | (() => number);
  /** An item's weight, say its size in bytes, for `maxWeight`. */
  readonly weigh?: (item: In) => number;
  /** The most weight in one batch; an item heavier than this goes alone. */
  readonly maxWeight?: number;
}

interface Waiting<In, Out> {
  readonly item: In;
  readonly resolve: (out: Out) => void;
  readonly reject: (error: unknown) => void;
}
