import type { Header } from "@runframe/contracts";
import { UnauthenticatedError } from "@runframe/util";
import { createHmac, timingSafeEqual } from "node:crypto";

/** How far in the past a signed timestamp may be (published: 5 minutes). */
export const MAX_SIGNATURE_AGE_SECONDS = 300;
/** How far in the future a signed timestamp may be (published: 1 minute). */
export const MAX_SIGNATURE_SKEW_SECONDS = 60;

/** The value of the first header called `name` (lower-case), if any. */
export function headerValue(headers: readonly Header[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

/** A verified custom signature: what identifies this exact delivery. */
export interface VerifiedSignature {
  readonly timestamp: number;
  readonly signature: string;
}

/**
 * Verifies `X-Runframe-Signature: sha256=<hex>` over
 * `"${X-Runframe-Timestamp}.${rawBody}"` with any of `secrets` (the current
 * one and those still in a rotation grace period). The body is used as the
 * raw bytes received, never re-serialized. Digests are compared in constant
 * time.
 */
export function verifyCustomSignature(input: {
  readonly headers: readonly Header[];
  readonly body: Uint8Array;
  readonly secrets: readonly string[];
  readonly now: Date;
}): VerifiedSignature {
  const signatureHeader = headerValue(input.headers, "x-runframe-signature");
  const timestampHeader = headerValue(input.headers, "x-runframe-timestamp");
  if (signatureHeader === undefined || timestampHeader === undefined) {
    throw new UnauthenticatedError(
      "this integration requires X-Runframe-Signature and X-Runframe-Timestamp headers",
      { reason: "SIGNATURE_MISSING" },
    );
  }
  const timestampText = timestampHeader.trim();
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new UnauthenticatedError("X-Runframe-Timestamp must be Unix time in whole seconds", {
      reason: "TIMESTAMP_INVALID",
    });
  }
  const timestamp = Number(timestampText);
  const now = Math.floor(input.now.getTime() / 1000);
  if (timestamp < now - MAX_SIGNATURE_AGE_SECONDS || timestamp > now + MAX_SIGNATURE_SKEW_SECONDS) {
    throw new UnauthenticatedError(
      "X-Runframe-Timestamp is outside the accepted window (5 minutes past, 1 minute ahead)",
      { reason: "TIMESTAMP_OUT_OF_WINDOW" },
    );
  }
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(signatureHeader.trim());
  if (match === null) {
    throw new UnauthenticatedError("X-Runframe-Signature must be sha256=<64 hex digits>", {
      reason: "SIGNATURE_INVALID",
    });
  }
  const presented = Buffer.from(match[1]!, "hex");
  const signed = [Buffer.from(`${timestampText}.`, "utf8"), input.body];
  const valid = input.secrets.some((secret) => {
    const hmac = createHmac("sha256", secret);
    for (const part of signed) {
      hmac.update(part);
    }
    return timingSafeEqual(hmac.digest(), presented);
  });
  if (!valid) {
    throw new UnauthenticatedError("signature does not match", { reason: "SIGNATURE_INVALID" });
  }
  return { timestamp, signature: match[1]!.toLowerCase() };
}

/**
 * Verifies Sentry's `sentry-hook-signature`: hex HMAC-SHA256 of the raw body
 * with the integration's client secret (any of `secrets` during rotation).
 * Sentry signs the exact bytes it sends, so nothing is re-serialized.
 */
export function verifySentrySignature(input: {
  readonly headers: readonly Header[];
  readonly body: Uint8Array;
  readonly secrets: readonly string[];
}): void {
  const header = headerValue(input.headers, "sentry-hook-signature")?.trim();
  if (header === undefined || header === "") {
    throw new UnauthenticatedError("this integration requires a sentry-hook-signature header", {
      reason: "SIGNATURE_MISSING",
    });
  }
  if (!/^[0-9a-fA-F]{64}$/.test(header)) {
    throw new UnauthenticatedError("sentry-hook-signature must be 64 hex digits", {
      reason: "SIGNATURE_INVALID",
    });
  }
  const presented = Buffer.from(header, "hex");
  const valid = input.secrets.some((secret) =>
    timingSafeEqual(createHmac("sha256", secret).update(input.body).digest(), presented),
  );
  if (!valid) {
    throw new UnauthenticatedError("signature does not match", { reason: "SIGNATURE_INVALID" });
  }
}
