import type { InboxRecord } from "@runframe/incident-domain";
import { decodePageToken } from "@runframe/util";

/**
 * The positions both stores write into their page tokens and read back, one
 * per listing, so a token means the same on either store and a forged one
 * is refused the same way (400 naming `page_token`).
 */

/** Incidents (newest first) by number, and timeline events by seq. */
export function numberAfter(token: string): number {
  return decodePageToken(token, (v): v is number => typeof v === "number");
}

/** Services by id. */
export function idAfter(token: string): string {
  return decodePageToken(token, (v): v is string => typeof v === "string");
}

/** Where a listing of the delivery inbox (newest first) resumes. */
export type InboxPosition = [receivedAtMs: number, id: string];

/** The position of a delivery in the inbox listing. */
export function inboxPosition(r: InboxRecord): InboxPosition {
  return [r.receivedAt.getTime(), r.id];
}

/** The position in an inbox page token. */
export function inboxAfter(token: string): InboxPosition {
  return decodePageToken(
    token,
    (v): v is InboxPosition =>
      Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "string",
  );
}
