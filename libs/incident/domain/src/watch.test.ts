import { IncidentStatus, Severity } from "@runframe/contracts";
import { describe, expect, it } from "vitest";
import { incidentId, type IncidentRecord } from "./model.js";
import type { ChangedIncident, ChangeFeed } from "./ports.js";
import { decodeCursor, IncidentWatcher, type WatchItem } from "./watch.js";

/** Rows as a store would hold them: one per incident, at its latest state. */
function memoryFeed() {
  const rows = new Map<number, IncidentRecord>();
  const feed: ChangeFeed = {
    lagMs: 0,
    async after(_org, after, limit) {
      return [...rows.values()]
        .map((incident): ChangedIncident => ({
          position: { updatedAt: incident.updatedAt, number: incident.number },
          incident,
          latestEvent: undefined,
        }))
        .filter(
          ({ position: p }) =>
            p.updatedAt > after.updatedAt ||
            (p.updatedAt.getTime() === after.updatedAt.getTime() && p.number > after.number),
        )
        .sort(
          (a, b) =>
            a.position.updatedAt.getTime() - b.position.updatedAt.getTime() ||
            a.position.number - b.position.number,
        )
        .slice(0, limit);
    },
  };
  const put = (number: number, seq: number, updatedAt: number) =>
    rows.set(number, {
      id: incidentId(number),
      number,
      organizationId: "org",
      integrationId: "int",
      dedupKey: "",
      serviceId: "SER-1",
      createdAt: new Date(0),
      status: IncidentStatus.NEW,
      occurrences: seq,
      lastSeenAt: new Date(updatedAt),
      latest: {
        title: "t",
        description: "",
        severity: Severity.SEV3,
        sourceUrl: "",
        metadata: {},
        truncatedAlerts: 0,
      },
      sourceUrl: "",
      truncatedAlerts: 0,
      updatedAt: new Date(updatedAt),
      seq,
    });
  return { feed, put };
}

describe("IncidentWatcher", () => {
  const settings = { pollMs: 1, settleMs: 5_000, checkpointMs: 60_000, batch: 2 };

  it("delivers a change that became visible after later ones, and never resumes past it", async () => {
    const { feed, put } = memoryFeed();
    let now = 100_000;
    const watcher = new IncidentWatcher(feed, settings, () => new Date(now));
    const stop = new AbortController();
    const stream = watcher.watch(
      "org",
      watcher.origin({ startTime: new Date(90_000) }),
      stop.signal,
    );
    const take = async (count: number) => {
      const items: WatchItem[] = [];
      while (items.filter((i) => i.kind === "change").length < count) {
        items.push((await stream.next()).value as WatchItem);
      }
      return items.filter((i) => i.kind === "change");
    };
    put(1, 1, 95_000);
    put(2, 1, 99_000);
    put(3, 1, 99_500);
    expect((await take(3)).map((i) => i.kind === "change" && i.incident.number)).toEqual([1, 2, 3]);
    // Incident 4 was decided at 98 s but commits only now, after 2 and 3 were sent.
    now = 101_000;
    put(4, 1, 98_000);
    put(2, 2, 100_500);
    const late = await take(2);
    expect(late.map((i) => i.kind === "change" && [i.incident.number, i.incident.seq])).toEqual([
      [4, 1],
      [2, 2],
    ]);
    // The cursor stays at the start of the settle window: a resume repeats, never skips.
    const cursor = decodeCursor(late[1]!.cursor);
    expect(cursor.updatedAt.getTime()).toBe(now - settings.settleMs);
    stop.abort();
    await stream.return(undefined);

    const resumed = watcher.watch(
      "org",
      decodeCursor(late[1]!.cursor),
      new AbortController().signal,
    );
    const again: number[] = [];
    while (again.length < 3) {
      const item = (await resumed.next()).value as WatchItem;
      if (item.kind === "change") {
        again.push(item.incident.number);
      }
    }
    await resumed.return(undefined);
    expect(again).toEqual([4, 3, 2]);
  });
});
