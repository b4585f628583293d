import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares two secrets in time that does not depend on where they differ or
 * on their lengths: both sides are hashed to 32 bytes first, so
 * timingSafeEqual always compares equal-length buffers.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | null): string | undefined {
  if (authorization === null) {
    return undefined;
  }
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}
