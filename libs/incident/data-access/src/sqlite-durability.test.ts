import { openSqlite, type Database, type FileSync } from "@runframe/storage";
import { existsSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteIncidentStorage } from "./sqlite-incident-store.js";

/**
 * A WAL sync that waits until the test lets it finish, noting what
 * `observe` saw when the flush was asked for.
 */
function gatedSync(observe: () => unknown = () => undefined) {
  const calls: { path: string; release: () => void; seen: unknown }[] = [];
  const sync: FileSync = (path) =>
    new Promise<void>((resolve) => calls.push({ path, release: resolve, seen: observe() }));
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
  let reader: Database | undefined;
  /** The service's name as another connection reads it now. */
  const committedName = (serviceId: string) =>
    reader
      ?.prepare<[string], { name: string }>("SELECT name FROM services WHERE service_id = ?")
      .get(serviceId)?.name;
  afterEach(async () => {
    for (const step of cleanup.splice(0)) {
      await step();
    }
  });

  const open = async (sync?: FileSync) => {
    const dir = await mkdtemp(join(tmpdir(), "runframe-durable-"));
    const [write, read] = [openSqlite(dir), openSqlite(dir)];
    reader = read;
    cleanup.push(async () => {
      write.close();
      read.close();
      await rm(dir, { recursive: true, force: true });
    });
    return { storage: new SqliteIncidentStorage(write, read, sync), write };
  };

  it("answers a write only after the WAL is flushed, with the commit made before the flush", async () => {
    const { sync, calls } = gatedSync(() => committedName("payments"));
    const { storage, write } = await open(sync);
    expect(write.pragma("synchronous", { simple: true })).toBe(1); // NORMAL: no fsync inside COMMIT
    expect(write.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);

    const put = storage.services.put("org-1", { id: "payments", name: "Payments" });
    expect(await settled(put)).toBe(false);
    // The WAL SQLite writes, by its absolute path; committed before its flush was asked for.
    expect(calls).toEqual([
      { path: `${realpathSync(write.name)}-wal`, release: expect.any(Function), seen: "Payments" },
    ]);
    expect(isAbsolute(calls[0]!.path) && existsSync(calls[0]!.path)).toBe(true);
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

  it("fails the writes waiting on a flush that fails, and every write after it until a restart", async () => {
    let failures = 1;
    const flaky: FileSync = async () => {
      if (failures-- > 0) {
        throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
      }
    };
    const { storage } = await open(flaky);
    expect(() => storage.checkDurable()).not.toThrow();
    const failed = storage.services.put("org-1", { id: "a", name: "A" });
    await expect(failed).rejects.toThrow(/flushing the SQLite WAL failed/);
    await expect(failed).rejects.toMatchObject({ cause: { code: "EIO" } });
    // The next flush would succeed, but it could not vouch for the lost one.
    await expect(storage.services.put("org-1", { id: "b", name: "B" })).rejects.toThrow(
      /until the process restarts/,
    );
    expect(() => storage.checkDurable()).toThrow(/flushing the SQLite WAL failed/);
  });

  it("flushes the real WAL file", async () => {
    const { storage } = await open();
    await storage.services.put("org-1", { id: "a", name: "A" });
    expect(await storage.services.get("org-1", "a")).toMatchObject({ name: "A" });
  });
});
