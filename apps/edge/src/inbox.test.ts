import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { InboxRecorder, type DeliveryReportInit } from "./inbox.js";

const report = (requestId: string, bytes = 10): DeliveryReportInit => ({
  envelope: { requestId, body: new Uint8Array(bytes) },
});
const logger = pino({ level: "silent" });

describe("InboxRecorder", () => {
  it("sends a report again, in order, until incident is back", async () => {
    let up = false;
    const stored: string[] = [];
    const recorder = new InboxRecorder({
      logger,
      retryMs: 10,
      send: async (reports) => {
        if (!up) {
          throw new Error("incident is away");
        }
        stored.push(...reports.map((r) => r.envelope!.requestId!));
      },
    });
    recorder.later(report("a"));
    recorder.later(report("b"));
    await vi.waitFor(() => expect(recorder.pending).toBe(2));
    up = true;
    await vi.waitFor(() => expect(stored).toEqual(["a", "b"]), { timeout: 2_000 });
    expect(recorder.pending).toBe(0);
    recorder.close();
  });

  it("keeps at most its byte budget waiting, dropping the oldest", async () => {
    const recorder = new InboxRecorder({
      logger,
      retryMs: 60_000,
      maxPendingBytes: 25,
      send: () => Promise.reject(new Error("incident is away")),
    });
    for (const id of ["a", "b", "c"]) {
      recorder.later(report(id));
    }
    await vi.waitFor(() => expect(recorder.pending).toBe(2));
    recorder.close();
  });

  it("rejects a report it must record now when it cannot", async () => {
    const recorder = new InboxRecorder({
      logger,
      send: () => Promise.reject(new Error("incident is away")),
    });
    await expect(recorder.now(report("a"))).rejects.toThrow("away");
    expect(recorder.pending).toBe(0);
  });
});
