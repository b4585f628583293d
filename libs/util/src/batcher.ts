/**
 * Group commit: items submitted while a batch is being processed wait and
 * are processed together as the next batch, so under load many callers
 * share one round of work (one transaction, one fsync) and when idle each
 * item is processed at once, with no timer adding latency. Each caller gets
 * its own item's outcome; if the batch fails, every caller in it gets the
 * error.
 */
export class Batcher<In, Out> {
  #queue: { item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  #running = false;

  constructor(
    private readonly process: (items: readonly In[]) => Promise<readonly Out[]>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) {
        void this.#drain();
      }
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
      try {
        const outs = await this.process(batch.map((entry) => entry.item));
        batch.forEach((entry, i) => entry.resolve(outs[i]!));
      } catch (error) {
        for (const entry of batch) {
          entry.reject(error);
        }
      }
    }
    this.#running = false;
  }
}
