import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  NormalizerService,
  NormalizeResponseSchema,
  RetryInfoSchema,
} from "@runframe/contracts";
import { ResourceExhaustedError, UnauthenticatedError, ValidationError } from "@runframe/util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { currentRequest } from "./context.js";
import { bearerToken, secretsEqual } from "./credentials.js";
import {
  errorInterceptor,
  internalCallInterceptor,
  requestIdInterceptor,
  serviceCredentialInterceptor,
} from "./interceptors.js";

const token = "t".repeat(40);
const logger = pino({ level: "silent" });

/** An in-memory NormalizerService whose handler does what `impl` says. */
function clientFor(impl: () => unknown, clientToken?: string) {
  const transport = createRouterTransport(
    (router) => {
      router.service(NormalizerService, {
        normalize() {
          return impl() as ReturnType<typeof create<typeof NormalizeResponseSchema>>;
        },
      });
    },
    {
      router: {
        interceptors: [
          requestIdInterceptor(),
          errorInterceptor(logger),
          serviceCredentialInterceptor(token, [NormalizerService]),
        ],
      },
      transport: {
        interceptors: clientToken === undefined ? [] : [internalCallInterceptor(clientToken)],
      },
    },
  );
  return createClient(NormalizerService, transport);
}

const ok = () => create(NormalizeResponseSchema);

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

describe("service credential", () => {
  it("lets the right token through", async () => {
    await expect(clientFor(ok, token).normalize({})).resolves.toBeDefined();
  });

  it.each([
    ["missing", undefined],
    ["wrong", "x".repeat(40)],
    ["a prefix of the right one", token.slice(0, 39)],
  ])("refuses a %s token", async (_, presented) => {
    const err = await failure(clientFor(ok, presented).normalize({}));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: "SERVICE_CREDENTIAL_INVALID",
      domain: "runframe.io",
    });
  });

  it("compares secrets of any length without throwing", () => {
    expect(secretsEqual("abc", "abc")).toBe(true);
    expect(secretsEqual("abc", "abcd")).toBe(false);
    expect(secretsEqual("", "abc")).toBe(false);
  });

  it("parses bearer tokens", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken(null)).toBeUndefined();
  });
});

describe("error mapping", () => {
  it("turns a ValidationError into InvalidArgument listing every field", async () => {
    const err = await failure(
      clientFor(() => {
        throw new ValidationError([
          { field: "title", description: "is required" },
          { field: "severity", description: "must be one of SEV0, SEV1, SEV2, SEV3, SEV4" },
        ]);
      }, token).normalize({}),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("title: is required (and 1 more)");
    expect(err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([
      "title",
      "severity",
    ]);
    expect(err.findDetails(ErrorInfoSchema)).toEqual([
      expect.objectContaining({ reason: "INVALID_REQUEST", domain: "runframe.io" }),
    ]);
    expect(err.findDetails(RetryInfoSchema)).toEqual([]);
  });

  it("carries a reason, when to retry and the rate-limit window as standard details", async () => {
    const unauthenticated = await failure(
      clientFor(() => {
        throw new UnauthenticatedError("bad key", { reason: "ROUTING_KEY_INVALID" });
      }, token).normalize({}),
    );
    expect(unauthenticated.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: "ROUTING_KEY_INVALID",
      domain: "runframe.io",
    });

    const exhausted = await failure(
      clientFor(() => {
        throw new ResourceExhaustedError("slow down", 7, {
          limit: 100,
          remaining: 0,
          resetAt: new Date(1_800_000_000_000),
        });
      }, token).normalize({}),
    );
    expect(exhausted.code).toBe(Code.ResourceExhausted);
    expect(exhausted.findDetails(RetryInfoSchema)[0]?.retryDelay).toMatchObject({ seconds: 7n });
    expect(exhausted.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: "RATE_LIMITED",
      domain: "runframe.io",
      metadata: { limit: "100", remaining: "0", resetTime: "2027-01-15T08:00:00.000Z" },
    });
  });

  it.each([
    ["MongoServerSelectionError", undefined],
    ["MaxRetriesPerRequestError", undefined],
    ["SqliteError", "SQLITE_BUSY"],
  ])("turns a %s (%s) into Unavailable, to be retried", async (name, code) => {
    const err = await failure(
      clientFor(() => {
        throw Object.assign(new Error("backend down at mongodb://user:pw@db"), { name, code });
      }, token).normalize({}),
    );
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).not.toContain("mongodb://");
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("STORAGE_UNAVAILABLE");
    expect(err.findDetails(RetryInfoSchema)[0]?.retryDelay).toMatchObject({ seconds: 5n });
  });

  it("hides unexpected errors behind a generic Internal", async () => {
    const err = await failure(
      clientFor(() => {
        throw new Error("connection string mongodb://user:pw@db leaked");
      }, token).normalize({}),
    );
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toBe("internal error");
    expect(err.findDetails(ErrorInfoSchema)[0]?.reason).toBe("INTERNAL");
  });
});

describe("request id", () => {
  it("adopts a sane caller id and replaces an unsafe one", async () => {
    const seen: (string | undefined)[] = [];
    const client = clientFor(() => {
      seen.push(currentRequest()?.requestId);
      return ok();
    }, token);
    await client.normalize({}, { headers: { "x-request-id": "abc-123" } });
    await client.normalize({}, { headers: { "x-request-id": "bad id {}" } });
    expect(seen[0]).toBe("abc-123");
    expect(seen[1]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
