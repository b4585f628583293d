/**
 * The most of a body refused as too large (413) that the delivery inbox
 * keeps: the edge reads no more of it, and incident stores no more.
 */
export const TOO_LARGE_KEPT_BYTES = 64 * 1024;
