import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { timeOrderedId } from "./ids.js";

describe("timeOrderedId", () => {
  it("is a UUID (version 7) and unique", () => {
    const ids = Array.from({ length: 10_000 }, timeOrderedId);
    for (const id of ids.slice(0, 100)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("sorts an id made in a later millisecond after every earlier one", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(timeOrderedId());
      await sleep(2);
    }
    expect([...made].sort()).toEqual(made);
  });
});
