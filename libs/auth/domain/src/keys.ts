import { createHash, randomBytes } from "node:crypto";

/**
 * A new routing key: 32 bytes of randomness, URL-safe (43 characters), so it
 * can sit in a webhook URL path unescaped and cannot be guessed.
 */
export function generateRoutingKey(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The SHA-256 of a secret, hex-encoded: what we store instead of routing keys
 * and API keys. These are high-entropy random tokens, so a fast unsalted hash
 * is enough (there is nothing to brute-force) and lets us look them up by
 * hash in O(1).
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** The last four characters, to tell keys apart without revealing them. */
export function keyHint(key: string): string {
  return key.slice(-4);
}
