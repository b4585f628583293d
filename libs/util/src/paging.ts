import { ValidationError } from "./errors.js";

/** The page size of a listing when the request names none. */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest page any listing serves. */
export const MAX_PAGE_SIZE = 100;

/**
 * The page size to use: 0 (unset) means the default of 50. Anything outside
 * 0 to 100 is refused naming the field rather than silently clamped, so a
 * caller asking for 1000 learns that it gets at most 100 per page.
 */
export function pageSize(requested: number, field = "page_size"): number {
  if (!Number.isInteger(requested) || requested < 0 || requested > MAX_PAGE_SIZE) {
    throw new ValidationError([
      {
        field,
        description: `must be from 0 to ${MAX_PAGE_SIZE} (0 means the default of ${DEFAULT_PAGE_SIZE}), got ${requested}`,
      },
    ]);
  }
  return requested === 0 ? DEFAULT_PAGE_SIZE : requested;
}

/**
 * An opaque page token for a position in a listing (keyset pagination: the
 * sort key of the last item shown). Opaque so the encoding can change.
 */
export function encodePageToken(position: unknown): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

/** The position in a page token, or a 400 naming `page_token` if it is not one of ours. */
export function decodePageToken<T>(token: string, isPosition: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (!isPosition(value)) {
    throw new ValidationError([
      { field: "page_token", description: "is not a token from a previous page" },
    ]);
  }
  return value;
}

/** One page of a listing, in a stable order. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque token of the next page, or undefined on the last page. */
  readonly next: string | undefined;
}

/**
 * The page made of `rows`, which a store fetched with a limit of
 * `pageSize + 1`: the extra row only says that another page exists, and the
 * next page starts after the position of the last item shown.
 */
export function pageOf<R, T>(
  rows: readonly R[],
  pageSize: number,
  toItem: (row: R) => T,
  position: (item: T) => unknown,
): Page<T> {
  const items = rows.slice(0, pageSize).map(toItem);
  const last = items.at(-1);
  return {
    items,
    next:
      rows.length > pageSize && last !== undefined ? encodePageToken(position(last)) : undefined,
  };
}
