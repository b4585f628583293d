import { createHmac } from "node:crypto";

/**
 * A custom webhook's signature as the published API computes it: the hex
 * HMAC-SHA256 of `{timestamp}.{body}` under the signing secret.
 */
export function customSignature(body: string, secret: string, timestamp: number): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** The headers of a custom webhook signed with `secret` at `timestamp` (now by default). */
export function customSignatureHeaders(
  body: string,
  secret: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    "x-runframe-signature": `sha256=${customSignature(body, secret, timestamp)}`,
    "x-runframe-timestamp": String(timestamp),
  };
}
