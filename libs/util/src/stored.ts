/**
 * A record as read back from storage that serialises dates as text: MongoDB
 * keeps a `Date` a Date, JSON in SQLite turns it into an ISO string. Codecs
 * decode both with `new Date(value)`.
 */
export type Revived<T> = {
  readonly [K in keyof T]: T[K] extends Date
    ? Date | string
    : T[K] extends Date | undefined
      ? Date | string | undefined
      : T[K] extends readonly (infer E)[]
        ? readonly Revived<E>[]
        : T[K];
};
