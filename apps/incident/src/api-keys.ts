import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { AuthService } from "@runframe/contracts";
import { runframeError, runframeErrorInfo, type TeamCaller } from "@runframe/platform";
import { apiKeyRoleOf, TtlCache } from "@runframe/util";
import { createHash } from "node:crypto";

/** The reasons auth gives for the caller's key (see ApiKeys.verify): the caller's to fix. */
const CALLER_REASONS = new Set(["API_KEY_INVALID", "API_KEY_REVOKED"]);

/**
 * How long auth's answers are cached here. Auth caches its own lookups for
 * as long (API_KEY_CACHE_MS), so a revoked key is refused by every incident
 * replica within twice this: the documented 10-second bound.
 */
const VERIFY_CACHE_MS = 5_000;

/**
 * Verifies team API keys through auth (which owns them), caching answers for
 * a few seconds so the team API does not pay an extra hop per call. The
 * cache is keyed by a digest, never by the secret itself.
 */
export function cachedApiKeyVerifier(
  auth: Client<typeof AuthService>,
): (secret: string) => Promise<TeamCaller> {
  const cache = new TtlCache<string, TeamCaller>(VERIFY_CACHE_MS, 10_000);
  return async (secret) => {
    const digest = createHash("sha256").update(secret).digest("base64url");
    const cached = cache.get(digest);
    if (cached) {
      return cached;
    }
    try {
      const key = await auth.verifyApiKey({ secret }, { timeoutMs: 3_000 });
      const caller = {
        organizationId: key.organizationId,
        keyId: key.keyId,
        role: apiKeyRoleOf(key.role),
      };
      cache.set(digest, caller);
      return caller;
    } catch (error) {
      const err = ConnectError.from(error);
      const reason = runframeErrorInfo(err)?.reason;
      if (err.code === Code.Unauthenticated && reason && CALLER_REASONS.has(reason)) {
        throw runframeError(err.rawMessage, Code.Unauthenticated, reason);
      }
      // Anything else (auth down, or refusing our own service credential) is
      // ours to fix, not the caller's: retry later.
      throw runframeError(
        "cannot verify API keys right now; retry later",
        Code.Unavailable,
        "API_KEY_VERIFICATION_UNAVAILABLE",
        { cause: error },
      );
    }
  };
}
