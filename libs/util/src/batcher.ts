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
  readonly #concurrency: number;

  constructor(
    private readonly process: (items: readonly In[]) => Promise<readonly (Out | Error)[]>,
    options: { readonly maxBatch?: number; readonly concurrency?: number } = {},
  ) {
    this.#maxBatch = options.maxBatch ?? 256;
    this.#concurrency = options.concurrency ?? 1;
  }

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled && this.#running < this.#concurrency) {
        this.#scheduled = true;
        queueMicrotask(() => {
          this.#scheduled = false;
          this.#next();
        });
      }
    });
  }

  #next(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#running++;
      void this.#run(batch);
    }
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

interface Waiting<In, Out> {
  readonly item: In;
  readonly resolve: (out: Out) => void;
  readonly reject: (error: unknown) => void;
}
