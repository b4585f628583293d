import { describe, expect, it } from "vitest";
import { Batcher } from "./batcher.js";

describe("Batcher", () => {
  it("puts what is submitted in one tick into one batch, and later items into the next", async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) {
        await gate;
      }
      return items.map((i) => i * 2);
    });
    const first = [1, 2, 3].map((i) => batcher.submit(i));
    await Promise.resolve();
    const later = [4, 5].map((i) => batcher.submit(i));
    release();
    expect(await Promise.all([...first, ...later])).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it("runs up to `concurrency` batches at once and caps their size", async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        running++;
        most = Math.max(most, running);
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return items;
      },
      { concurrency: 2, maxBatch: 3 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    expect(most).toBe(2);
    expect(Math.max(...sizes)).toBe(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it("asks a concurrency function each time a batch could start (one per replica, as they come and go)", async () => {
    let replicas = 1;
    let running = 0;
    const seen: number[] = [];
    const gates: (() => void)[] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        running++;
        seen.push(running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return items;
      },
      { concurrency: () => replicas, maxBatch: 1 },
    );
    const settle = () => new Promise((r) => setTimeout(r, 0));
    const first = batcher.submit(1);
    await settle();
    const second = batcher.submit(2);
    await settle();
    expect(gates).toHaveLength(1); // one replica: the second waits
    replicas = 3;
    const third = batcher.submit(3);
    await settle();
    expect(gates).toHaveLength(3); // two more replicas: both waiting batches start
    gates.forEach((release) => release());
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 3]);
    expect(Math.max(...seen)).toBe(3);
  });
  it("cuts batches by weight, sending an item heavier than the limit alone", async () => {
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (items) => {
        batches.push([...items]);
        return items;
      },
      { weigh: (n) => n, maxWeight: 10 },
    );
    await Promise.all([4, 5, 3, 20, 1, 9].map((n) => batcher.submit(n)));
    expect(batches).toEqual([[4, 5], [3], [20], [1, 9]]);
  });

  it("fails only the item whose outcome is an error, and every item of a failed batch", async () => {
    const batcher = new Batcher<number, number>(async (items) =>
      items.map((i) => (i === 2 ? new Error("two") : i)),
    );
    const results = await Promise.allSettled([1, 2, 3].map((i) => batcher.submit(i)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const broken = new Batcher<number, number>(async () => {
      throw new Error("down");
    });
    const failed = await Promise.allSettled([1, 2].map((i) => broken.submit(i)));
    expect(failed.every((r) => r.status === "rejected")).toBe(true);
  });
});
