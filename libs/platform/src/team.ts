import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { ApiKeyRole } from "@runframe/util";
import { bearerToken } from "./credentials.js";
import { runframeError } from "./errors.js";

/** The organization, key and role behind a team-facing RPC. */
export interface TeamCaller {
  readonly organizationId: string;
  readonly keyId: string;
  readonly role: ApiKeyRole;
}

const callerKey = createContextKey<TeamCaller | undefined>(undefined, {
  description: "team caller",
});

/**
 * Requires an organization API key (`Authorization: Bearer <secret>`) on the
 * given team-facing services and methods, enforces its role, and makes the
 * caller available to handlers through `teamCaller(context)`. `verify`
 * throws for unknown keys. A `viewer` key may call only the methods the
 * protos declare free of side effects (`idempotency_level =
 * NO_SIDE_EFFECTS`); every other method needs an `admin` key.
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
      throw runframeError(
        "an organization API key is required (Authorization: Bearer <key>)",
        Code.Unauthenticated,
        "API_KEY_MISSING",
      );
    }
    const caller = await verify(secret);
    if (!mayCall(caller.role, req.method)) {
      throw runframeError(
        `API key role ${caller.role} may not call ${req.method.name}; an admin key is required`,
        Code.PermissionDenied,
        "API_KEY_ROLE_INSUFFICIENT",
        { metadata: { role: caller.role } },
      );
    }
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}

/** The verified caller of a team-facing RPC; throws if the interceptor did not run. */
export function teamCaller(context: HandlerContext): TeamCaller {
  const caller = context.values.get(callerKey);
  if (caller === undefined) {
    throw runframeError(
      "an organization API key is required",
      Code.Unauthenticated,
      "API_KEY_MISSING",
    );
  }
  return caller;
}

/** Whether a key with `role` may call `method`. */
export function mayCall(role: ApiKeyRole, method: DescMethod): boolean {
  return role === "admin" || method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
}
