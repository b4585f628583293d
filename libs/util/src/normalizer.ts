import type { Header, Integration, NormalizedAlert } from "@runframe/contracts";

/** One authenticated delivery, as a provider's normalize() sees it. */
export interface NormalizeInput {
  /** The integration the delivery was sent to (type, default service, org). */
  readonly integration: Integration;
  /** Request headers, lower-case names, in order. */
  readonly headers: readonly Header[];
  /** The raw body, byte for byte. */
  readonly body: Uint8Array;
  /** When the edge received the delivery. */
  readonly receiveTime: Date;
}

/**
 * A provider's pure normalizer: raw payload in, normalized alerts out. It
 * performs no I/O. A payload it must refuse throws ValidationError naming
 * every bad field.
 */
export type Normalize = (input: NormalizeInput) => NormalizedAlert[];
