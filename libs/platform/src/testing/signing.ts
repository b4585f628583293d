import { createHmac } from "node:crypto";

/**
 * The headers of a custom webhook signed now with `secret`, as the published
 * API signs one: HMAC-SHA256 of `{timestamp}.{body}`.
 */
export function customSignatureHeaders(body: string, secret: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const digest = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return { "x-runframe-signature": `sha256=${digest}`, "x-runframe-timestamp": timestamp };
}
