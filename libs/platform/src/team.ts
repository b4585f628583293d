import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { bearerToken } from "./credentials.js";

/** The organization and key behind a team-facing RPC. */
export interface TeamCaller {
  readonly organizationId: string;
  readonly keyId: string;
}

const callerKey = createContextKey<TeamCaller | undefined>(undefined, {
  description: "team caller",
});

/**
 * Requires an organization API key (`Authorization: Bearer <secret>`) on the
 * given team-facing services and methods, and makes the caller available to
 * handlers through `teamCaller(context)`. `verify` throws for unknown keys.
 */
export function apiKeyInterceptor(
  verify: (secret: string) => Promise<TeamCaller>,
  team: readonly (DescService | DescMethod)[],
): Interceptor {
  const names = new Set(
    team.map((d) => (d.kind === "service" ? d.typeName : `${d.parent.typeName}/${d.name}`)),
  );
  return (next) => async (req) => {
    if (
      !names.has(req.service.typeName) &&
      !names.has(`${req.service.typeName}/${req.method.name}`)
    ) {
      return next(req);
    }
    const secret = bearerToken(req.header.get("authorization"));
    if (secret === undefined) {
      throw new ConnectError(
        "an organization API key is required (Authorization: Bearer <key>)",
        Code.Unauthenticated,
      );
    }
    req.contextValues.set(callerKey, await verify(secret));
    return next(req);
  };
}

/** The verified caller of a team-facing RPC; throws if the interceptor did not run. */
export function teamCaller(context: HandlerContext): TeamCaller {
  const caller = context.values.get(callerKey);
  if (caller === undefined) {
    throw new ConnectError("an organization API key is required", Code.Unauthenticated);
  }
  return caller;
}
