import { Code, ConnectError } from "@connectrpc/connect";
import { runframeError } from "@runframe/platform";
import { describe, expect, it } from "vitest";
import { httpErrorFromRpc } from "./http-errors.js";

describe("httpErrorFromRpc", () => {
  it("maps our domain errors by code and shows their message", () => {
    expect(
      httpErrorFromRpc(runframeError("bad key", Code.Unauthenticated, "ROUTING_KEY_INVALID")),
    ).toMatchObject({
      status: 401,
      body: { error: { code: "routing_key_invalid", message: "bad key" } },
    });
    expect(
      httpErrorFromRpc(
        runframeError("title: is required", Code.InvalidArgument, "INVALID_REQUEST", {
          violations: [{ field: "title", description: "is required" }],
        }),
      ),
    ).toEqual({
      status: 400,
      headers: {},
      body: {
        error: {
          code: "invalid_request",
          message: "title: is required",
          fields: [{ field: "title", description: "is required" }],
        },
      },
    });
    expect(
      httpErrorFromRpc(runframeError("gone", Code.NotFound, "INCIDENT_NOT_FOUND")).status,
    ).toBe(404);
  });

  it("answers 429 with Retry-After and the window from RetryInfo and ErrorInfo metadata", () => {
    const answer = httpErrorFromRpc(
      runframeError("slow down", Code.ResourceExhausted, "RATE_LIMITED", {
        retryAfterSeconds: 7,
        metadata: { limit: "100", remaining: "0", resetTime: "2027-01-15T08:00:00.500Z" },
      }),
    );
    expect(answer).toMatchObject({
      status: 429,
      headers: {
        "retry-after": "7",
        "x-ratelimit-limit": "100",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1800000000",
      },
      body: { error: { code: "rate_limited" } },
    });
  });

  it("answers 503 when our own service credential is refused", () => {
    const answer = httpErrorFromRpc(
      runframeError("bad credential", Code.Unauthenticated, "SERVICE_CREDENTIAL_INVALID"),
    );
    expect(answer.status).toBe(503);
    expect(JSON.stringify(answer.body)).not.toContain("credential");
  });

  it.each([
    ["a reset connection (Aborted)", Code.Aborted],
    ["a refused stream (Unavailable)", Code.Unavailable],
    ["an Internal from the framework", Code.Internal],
    ["an Unknown", Code.Unknown],
    ["an Unauthenticated without our ErrorInfo", Code.Unauthenticated],
    ["a NotFound without our ErrorInfo (wrong URL)", Code.NotFound],
  ])("answers 503 with Retry-After for %s, never echoing it", (_, code) => {
    const answer = httpErrorFromRpc(new ConnectError("read ECONNRESET at 10.0.0.7:7002", code));
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBe("5");
    expect(JSON.stringify(answer.body)).not.toMatch(/ECONNRESET|10\.0\.0\.7/);
  });

  it("keeps 504 for a deadline and 413 for an oversized message outside our domain", () => {
    expect(httpErrorFromRpc(new ConnectError("deadline", Code.DeadlineExceeded)).status).toBe(504);
    expect(
      httpErrorFromRpc(
        new ConnectError(
          "message size 4299116 is larger than configured readMaxBytes 4194304",
          Code.ResourceExhausted,
        ),
      ).status,
    ).toBe(413);
  });

  it("answers a bug in our own services 503, so senders retry, without its message", () => {
    const answer = httpErrorFromRpc(runframeError("internal error", Code.Internal, "INTERNAL"));
    expect(answer).toMatchObject({ status: 503, body: { error: { code: "unavailable" } } });
  });
});
