import { ValidationError } from "@runframe/util";
import type { EventRecord, IncidentRecord } from "./model.js";
import type { ChangeFeed, ChangePosition } from "./ports.js";

/** How a stream of incident changes polls. */
export interface WatchSettings {
  /** How often the store is polled: the latency of a change on open streams. */
  readonly pollMs: number;
  /**
   * How long after its `updatedAt` a change may become visible to readers
   * (commit time, clock skew between writers). Every poll reads again the
   * changes of this trailing window, and resume cursors never point past
   * its start, so a change that commits late is still delivered.
   */
  readonly settleMs: number;
  /** A checkpoint is sent after this long without a message. */
  readonly checkpointMs: number;
  /** Rows read per query. */
  readonly batch: number;
}

export const WATCH_DEFAULTS: WatchSettings = {
  pollMs: 1_000,
  settleMs: 5_000,
  checkpointMs: 15_000,
  batch: 100,
};

/** Where a stream starts: after a cursor, from a time, or (neither) from now. */
export interface WatchStart {
  readonly cursor?: string;
  readonly startTime?: Date;
}

/** What a stream sends: an incident's latest state, or a checkpoint. Both carry a resume cursor. */
export type WatchItem =
  | {
      readonly kind: "change";
      readonly incident: IncidentRecord;
      readonly latestEvent: EventRecord | undefined;
      readonly cursor: string;
    }
  | { readonly kind: "checkpoint"; readonly cursor: string };

/**
 * Streams an organization's incident changes by polling the store's change
 * feed (there are no change streams on a MongoDB-compatible server without
 * them, such as FerretDB): at least once, in stored order, each incident
 * only ever forward, resumable from the cursor of any message.
 *
 * A stream remembers the highest position it read and, per incident, the
 * revision (timeline length) it sent. Each poll reads from the start of
 * the settle window (or from where it got to, when catching up), so a
 * change that became visible late is found, and skips incidents whose
 * revision it already sent. A cursor is the lower of the position read and
 * the start of the settle window: resuming from it repeats some messages
 * and loses none.
 */
export class IncidentWatcher {
  constructor(
    private readonly feed: ChangeFeed,
    private readonly settings: WatchSettings = WATCH_DEFAULTS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Throws INVALID_ARGUMENT for a bad start before the stream begins. */
  origin(start: WatchStart): ChangePosition {
    if (start.cursor && start.startTime) {
      throw new ValidationError([
        { field: "start_time", description: "must not be set together with cursor" },
      ]);
    }
    if (start.cursor) {
      return decodeCursor(start.cursor);
    }
    return { updatedAt: start.startTime ?? this.now(), number: 0 };
  }

  async *watch(
    organizationId: string,
    origin: ChangePosition,
    signal: AbortSignal,
  ): AsyncGenerator<WatchItem> {
    const { pollMs, checkpointMs, batch } = this.settings;
    const settleMs = this.settings.settleMs + this.feed.lagMs;
    let scanned = origin;
    const sent = new Map<number, { seq: number; position: ChangePosition }>();
    const cursorAt = (t: number) => {
      const window = { updatedAt: new Date(t - settleMs), number: 0 };
      return encodeCursor(later(origin, earlier(scanned, window)));
    };
    yield { kind: "checkpoint", cursor: cursorAt(this.now().getTime()) };
    let lastMessage = Date.now();
    while (!signal.aborted) {
      const t = this.now().getTime();
      const from = later(
        origin,
        earlier(scanned, { updatedAt: new Date(t - settleMs), number: 0 }),
      );
      for (const [number, entry] of sent) {
        if (compare(entry.position, from) <= 0) {
          sent.delete(number);
        }
      }
      let position = from;
      for (;;) {
        const rows = await this.feed.after(organizationId, position, batch);
        for (const row of rows) {
          scanned = later(scanned, row.position);
          const previous = sent.get(row.incident.number);
          if (previous !== undefined && previous.seq >= row.incident.seq) {
            continue;
          }
          sent.set(row.incident.number, { seq: row.incident.seq, position: row.position });
          lastMessage = Date.now();
          yield {
            kind: "change",
            incident: row.incident,
            latestEvent: row.latestEvent,
            cursor: cursorAt(t),
          };
          if (signal.aborted) {
            return;
          }
        }
        const last = rows.at(-1);
        if (rows.length < batch || last === undefined) {
          break;
        }
        position = last.position;
      }
      if (Date.now() - lastMessage >= checkpointMs) {
        lastMessage = Date.now();
        yield { kind: "checkpoint", cursor: cursorAt(t) };
      }
      await sleep(pollMs, signal);
    }
  }
}

function compare(a: ChangePosition, b: ChangePosition): number {
  return a.updatedAt.getTime() - b.updatedAt.getTime() || a.number - b.number;
}

function earlier(a: ChangePosition, b: ChangePosition): ChangePosition {
  return compare(a, b) <= 0 ? a : b;
}

function later(a: ChangePosition, b: ChangePosition): ChangePosition {
  return compare(a, b) >= 0 ? a : b;
}

/** A cursor is opaque to clients: version, time in ms, incident number. */
export function encodeCursor(position: ChangePosition): string {
  return Buffer.from(
    JSON.stringify([1, position.updatedAt.getTime(), position.number]),
    "utf8",
  ).toString("base64url");
}

export function decodeCursor(cursor: string): ChangePosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    value[0] !== 1 ||
    !Number.isSafeInteger(value[1]) ||
    !Number.isSafeInteger(value[2])
  ) {
    throw new ValidationError([
      { field: "cursor", description: "is not a cursor from a WatchIncidents message" },
    ]);
  }
  return { updatedAt: new Date(value[1] as number), number: value[2] as number };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
