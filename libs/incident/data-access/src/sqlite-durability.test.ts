import { openSqlite, type FileSync } from "@runframe/storage";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteIncidentStorage } from "./sqlite-incident-store.js";

/** A WAL sync that waits until the test lets it finish. */
function gatedSync() {
  const calls: { path: string; release: () => void }[] = [];
  const sync: FileSync = (path) =>
    new Promise<void>((resolve) => calls.push({ path, release: resolve }));
  return { sync, calls };
}

const settled = async <T>(promise: Promise<T>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  return done;
};

describe("SQLite incident storage durability", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0)) {
      await step();
    }
  });

  const open = async (sync?: FileSync) => {
    const dir = await mkdtemp(join(tmpdir(), "runframe-durable-"));
    const [write, read] = [openSqlite(dir), openSqlite(dir)];
    cleanup.push(async () => {
      write.close();
      read.close();
      await rm(dir, { recursive: true, force: true });
    });
    return { storage: new SqliteIncidentStorage(write, read, sync), write };
  };

  it("answers a write only after the WAL is flushed, with the commit made before the flush", async () => {
    const { sync, calls } = gatedSync();
    const { storage, write } = await open(sync);
    expect(write.pragma("synchronous", { simple: true })).toBe(1); // NORMAL: no fsync inside COMMIT
    expect(write.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);

    const put = storage.services.put("org-1", { id: "payments", name: "Payments" });
    expect(await settled(put)).toBe(false);
    expect(calls.map((c) => c.path)).toEqual([`${write.name}-wal`]);
    // Committed (another connection reads it) before the flush was asked for.
    expect(await storage.services.get("org-1", "payments")).toMatchObject({ name: "Payments" });
    calls[0]!.release();
    expect(await settled(put)).toBe(true);

    const unit = storage.writer.unit(async () => "done");
    expect(await settled(unit)).toBe(false);
    calls[1]!.release();
    expect(await unit).toBe("done");
  });

  it("lets the next unit commit while a flush is in flight, and flushes again for it", async () => {
    const { sync, calls } = gatedSync();
    const { storage } = await open(sync);
    const first = storage.services.put("org-1", { id: "a", name: "A" });
    await settled(first);
    const second = storage.services.put("org-1", { id: "b", name: "B" });
    const third = storage.services.put("org-1", { id: "c", name: "C" });
    await settled(second);
    // Both committed while the first flush runs; they share the one queued behind it.
    expect(await storage.services.get("org-1", "c")).toMatchObject({ name: "C" });
    expect(calls).toHaveLength(1);
    calls[0]!.release();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false);
    expect(calls).toHaveLength(2);
    calls[1]!.release();
    await Promise.all([second, third]);
    expect(calls).toHaveLength(2);
  });

  it("fails the writes waiting on a flush that fails", async () => {
    const failing: FileSync = async () => {
      throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    };
    const { storage } = await open(failing);
    await expect(storage.services.put("org-1", { id: "a", name: "A" })).rejects.toThrow(/EIO/);
  });

  it("flushes the real WAL file", async () => {
    const { storage } = await open();
    await storage.services.put("org-1", { id: "a", name: "A" });
    expect(await storage.services.get("org-1", "a")).toMatchObject({ name: "A" });
  });
});
