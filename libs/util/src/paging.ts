import { ValidationError } from "./errors.js";

/** The page size to use: 0 (unset) means the default of 50; at most 100. */
export function clampPageSize(requested: number): number {
  if (requested <= 0) {
    return 50;
  }
  return Math.min(requested, 100);
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
