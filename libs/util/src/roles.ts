/**
 * Roles of organization API keys. `admin` may call every team RPC;
 * `viewer` only the reads (RPCs declared `idempotency_level =
 * NO_SIDE_EFFECTS` in the protos). Any other role is refused where keys
 * are created, so a typo can never grant or lock out access silently.
 */
export const API_KEY_ROLES = ["admin", "viewer"] as const;

export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export function isApiKeyRole(role: string): role is ApiKeyRole {
  return (API_KEY_ROLES as readonly string[]).includes(role);
}

/** A role read back from storage or another service: one we do not know gets the least privilege. */
export function apiKeyRoleOf(role: string): ApiKeyRole {
  return isApiKeyRole(role) ? role : "viewer";
}
