import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { AuthService } from "@runframe/contracts";
import { runframeError, runframeErrorInfo, type TeamCaller } from "@runframe/platform";
import { apiKeyRoleOf, TtlCache } from "@runframe/util";
import { createHash } from "node:crypto";

/** The reason auth gives for an unknown API key (see ApiKeys.verify). */
const API_KEY_INVALID = "API_KEY_INVALID";

/**
 * Verifies team API keys through auth (which owns them), caching answers for
 * a few seconds so the team API does not pay an extra hop per call. The
 * cache is keyed by a digest, never by the secret itself.
 */
export function cachedApiKeyVerifier(
  auth: Client<typeof AuthService>,
): (secret: string) => Promise<TeamCaller> {
  const cache = new TtlCache<string, TeamCaller>(10_000, 10_000);
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
      if (err.code === Code.Unauthenticated && reason === API_KEY_INVALID) {
        throw runframeError("unknown API key", Code.Unauthenticated, API_KEY_INVALID);
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
