/**
 * The one reader of the times providers write. Parsed by hand, because
 * Date.parse accepts almost anything, reads a time without a zone as the
 * server's local time and rolls impossible dates over (February 30 becomes
 * March 2) instead of refusing them.
 *
 * Every result is an instant a protobuf Timestamp can hold and that means
 * something: after Go's zero time 0001-01-01T00:00:00Z (which Alertmanager
 * sends for "not set") and at most 9999-12-31T23:59:59.999Z. Precision is
 * milliseconds; finer fractions are cut.
 */

/**
 * Which written forms {@link parseTime} accepts:
 * - `rfc3339`: `2026-11-27T11:50:00Z`, `…T11:50:00.123456789+02:00`, as Go
 *   and AWS write them: a `T` (or `t`), seconds, and a zone, `Z` (or `z`) or
 *   an offset with or without its colon (CloudWatch writes `+0000`).
 * - `iso8601`: also a space instead of the `T`, no seconds
 *   (`2026-11-27 11:58`), no zone, which means UTC (Sentry writes its times
 *   that way), and white space around the time.
 */
export type TimeFormat = "rfc3339" | "iso8601";

/**
 * How {@link parseTime} reads a JSON number: as seconds since the Unix
 * epoch, or as seconds or milliseconds told apart by size (Datadog's
 * templates hold either).
 */
export type EpochUnit = "seconds" | "seconds-or-milliseconds";

/**
 * Epoch numbers at or above this are milliseconds: as seconds they would be
 * past the year 5000, as milliseconds they are after March 1973.
 */
const EPOCH_MS_THRESHOLD = 1e11;

const DATE_TIME =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?<separator>[Tt ])(?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.(?<fraction>\d+))?)?(?<zone>[Zz]|(?<sign>[+-])(?<offsetHour>\d{2}):?(?<offsetMinute>\d{2}))?$/;

/** Go's zero `time.Time`, the earliest instant a protobuf Timestamp holds. */
const GO_ZERO_TIME_MS = -62_135_596_800_000;
/** The last instant a protobuf Timestamp can hold: 9999-12-31T23:59:59.999Z. */
const LATEST_TIME_MS = 253_402_300_799_999;

/**
 * The instant `value` names: a string written in `format`, or, when `epoch`
 * is given, a JSON number of seconds (or milliseconds) since the epoch.
 * Undefined for anything else: another type or form, an impossible date,
 * time or offset (February 30, 24:00, a leap second, +25:00), zero or a
 * negative epoch number (what templates leave for "unset"), or an instant
 * outside the range above.
 */
export function parseTime(value: unknown, format: TimeFormat, epoch?: EpochUnit): Date | undefined {
  if (typeof value === "number") {
    return epoch === undefined ? undefined : fromEpoch(value, epoch);
  }
  const text = typeof value === "string" && format === "iso8601" ? value.trim() : value;
  const groups = typeof text === "string" ? DATE_TIME.exec(text)?.groups : undefined;
  if (groups === undefined) {
    return undefined;
  }
  const lenientOnly =
    groups["separator"] === " " || groups["second"] === undefined || groups["zone"] === undefined;
  if (format === "rfc3339" && lenientOnly) {
    return undefined;
  }
  const part = (name: string): number => Number(groups[name] ?? 0);
  const [year, month, day] = [part("year"), part("month"), part("day")];
  const [hour, minute, second] = [part("hour"), part("minute"), part("second")];
  const [offsetHour, offsetMinute] = [part("offsetHour"), part("offsetMinute")];
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) {
    return undefined;
  }
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return undefined;
  }
  const millis = Number((groups["fraction"] ?? "").padEnd(3, "0").slice(0, 3));
  date.setUTCHours(hour, minute, second, millis);
  const offset = (groups["sign"] === "-" ? -1 : 1) * (offsetHour * 60 + offsetMinute) * 60_000;
  return instant(date.getTime() - offset);
}

/** Rounded to the millisecond; zero and negative numbers are not times. */
function fromEpoch(value: number, unit: EpochUnit): Date | undefined {
  const seconds = unit === "seconds" || value < EPOCH_MS_THRESHOLD;
  const ms = Math.round(seconds ? value * 1000 : value);
  return Number.isFinite(ms) && ms > 0 ? instant(ms) : undefined;
}

function instant(ms: number): Date | undefined {
  return ms > GO_ZERO_TIME_MS && ms <= LATEST_TIME_MS ? new Date(ms) : undefined;
}
