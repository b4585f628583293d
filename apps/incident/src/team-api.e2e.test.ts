import { fromBinary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  IncidentService,
  NormalizerService,
  reflectionV1,
  reflectionV1alpha,
} from "@runframe/contracts";
import { seedTeamIncidents, startStack, teamFixture, type Stack } from "@runframe/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKeyA: string = teamFixture.apiKeyA;
const apiKeyB: string = teamFixture.apiKeyB;
const origin = "http://127.0.0.1:8089";

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}

/** The team API as outside clients call it: every protocol, HTTP version and error detail. */
describe("team API for every client", () => {
  let stack: Stack;
  let url: string;

  beforeAll(async () => {
    stack = await startStack({
      bootstrap: teamFixture.bootstrap,
      env: { RUNFRAME_CORS_ORIGINS: origin },
    });
    url = stack.incident.url;
    await seedTeamIncidents(stack);
  });
  afterAll(() => stack?.stop());

  /** Connect JSON over plain HTTP/1.1, as `curl -H 'Content-Type: application/json'` sends it. */
  const connectJson = (method: string, body: unknown, key = apiKeyA) =>
    fetch(`${url}/runframe.incident.v1.IncidentService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });

  interface ErrorBody {
    code: string;
    message: string;
    details?: { type: string; value: string }[];
  }
  const detail = (body: ErrorBody, type: string) => {
    const found = body.details?.find((d) => d.type === type);
    return found === undefined ? undefined : base64Decode(found.value);
  };

  it("lists incidents over Connect JSON on plain HTTP/1.1", async () => {
    const res = await connectJson("ListIncidents", {});
    expect(res.status).toBe(200);
    const body = (await res.json()) as { incidents: { id: string }[] };
    expect(body.incidents.map((i) => i.id)).toEqual(["INC-00001"]);
  });

  it("answers a bad page_token with invalid_argument and a google.rpc.BadRequest", async () => {
    const res = await connectJson("ListIncidents", { pageToken: "not-a-token" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe("invalid_argument");
    const badRequest = fromBinary(BadRequestSchema, detail(body, "google.rpc.BadRequest")!);
    expect(badRequest.fieldViolations).toEqual([expect.objectContaining({ field: "page_token" })]);
    const info = fromBinary(ErrorInfoSchema, detail(body, "google.rpc.ErrorInfo")!);
    expect(info).toMatchObject({ reason: "INVALID_REQUEST", domain: "runframe.io" });
  });

  it("answers a wrong API key with unauthenticated and a google.rpc.ErrorInfo reason", async () => {
    const res = await connectJson(
      "ListIncidents",
      {},
      "rf_not_a_key_00000000000000000000000000000",
    );
    expect(res.status).toBe(401);
    const body = (await res.json()) as ErrorBody;
    expect(body.code).toBe("unauthenticated");
    const info = fromBinary(ErrorInfoSchema, detail(body, "google.rpc.ErrorInfo")!);
    expect(info).toMatchObject({ reason: "API_KEY_INVALID", domain: "runframe.io" });
  });

  it.each([1000, 101, -1])("refuses page_size %i naming the field", async (pageSize) => {
    const body = (await (await connectJson("ListIncidents", { pageSize })).json()) as ErrorBody;
    expect(body.code).toBe("invalid_argument");
    const badRequest = fromBinary(BadRequestSchema, detail(body, "google.rpc.BadRequest")!);
    expect(badRequest.fieldViolations.map((v) => v.field)).toEqual(["page_size"]);
  });

  it("refuses misspelled JSON fields, naming them", async () => {
    const body = (await (
      await connectJson("ListIncidents", { pageSise: 10, status: "INCIDENT_STATUS_NEW" })
    ).json()) as ErrorBody;
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("pageSise");
    const badRequest = fromBinary(BadRequestSchema, detail(body, "google.rpc.BadRequest")!);
    expect(badRequest.fieldViolations.map((v) => v.field)).toEqual(["pageSise"]);
    // Proto names are accepted too, as the JSON mapping says.
    expect((await connectJson("ListIncidents", { page_size: 10 })).status).toBe(200);
  });

  it("hides another organization's incident as NOT_FOUND", async () => {
    const res = await connectJson("GetIncident", { incidentId: "INC-00002" });
    expect(res.status).toBe(404);
    expect((await connectJson("GetIncident", { incidentId: "INC-00002" }, apiKeyB)).status).toBe(
      200,
    );
  });

  const withKey = (key: string): { interceptors: Interceptor[] } => ({
    interceptors: [
      (next) => (req) => {
        req.header.set("authorization", `Bearer ${key}`);
        return next(req);
      },
    ],
  });
  const transports: [string, () => Transport][] = [
    [
      "Connect, HTTP/1.1",
      () => createConnectTransport({ baseUrl: url, httpVersion: "1.1", ...withKey(apiKeyA) }),
    ],
    [
      "Connect, h2c",
      () => createConnectTransport({ baseUrl: url, httpVersion: "2", ...withKey(apiKeyA) }),
    ],
    [
      "gRPC-Web, HTTP/1.1",
      () => createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", ...withKey(apiKeyA) }),
    ],
    ["gRPC, h2c", () => createGrpcTransport({ baseUrl: url, ...withKey(apiKeyA) })],
  ];

  it.each(transports)("serves %s", async (_, transport) => {
    const client = createClient(IncidentService, transport());
    expect((await client.listIncidents({})).incidents).toHaveLength(1);
    const error = await failure(client.listIncidents({ pageSize: -1 }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("page_size");
  });

  it.each(transports)("answers an unknown service with UNIMPLEMENTED over %s", async (_, t) => {
    const client = createClient(NormalizerService, t());
    const error = await failure(client.normalize({}));
    expect(error.code).toBe(Code.Unimplemented);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("METHOD_NOT_FOUND");
  });

  it.each([
    ["v1", reflectionV1],
    ["v1alpha", reflectionV1alpha],
  ] as const)("describes itself through gRPC reflection %s", async (_, reflection) => {
    const client = createClient(
      reflection.ServerReflection as typeof reflectionV1.ServerReflection,
      createGrpcTransport({ baseUrl: url }),
    );
    const answers: reflectionV1.ServerReflectionResponse["messageResponse"][] = [];
    for await (const answer of client.serverReflectionInfo(
      (async function* () {
        yield { messageRequest: { case: "listServices" as const, value: "" } };
        yield {
          messageRequest: {
            case: "fileContainingSymbol" as const,
            value: "runframe.incident.v1.IncidentService.ListIncidents",
          },
        };
        yield {
          messageRequest: { case: "fileContainingSymbol" as const, value: "google.rpc.BadRequest" },
        };
        yield { messageRequest: { case: "fileByFilename" as const, value: "no/such.proto" } };
      })(),
    )) {
      answers.push(answer.messageResponse);
    }
    expect(answers[0]).toMatchObject({ case: "listServicesResponse" });
    const listed = answers[0]?.case === "listServicesResponse" ? answers[0].value.service : [];
    expect(listed.map((s) => s.name)).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "runframe.incident.v1.DeliveryService",
      "runframe.incident.v1.IncidentService",
    ]);
    const names = (i: number): string[] =>
      answers[i]?.case === "fileDescriptorResponse"
        ? answers[i].value.fileDescriptorProto.map(
            (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
          )
        : [];
    expect(names(1)[0]).toBe("runframe/incident/v1/incident.proto");
    expect(names(1)).toContain("runframe/common/v1/common.proto");
    expect(names(2)[0]).toBe("google/rpc/error_details.proto");
    expect(answers[3]).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
  });

  it("answers CORS preflights only for allowed origins", async () => {
    const preflight = (from: string) =>
      fetch(`${url}/runframe.incident.v1.IncidentService/ListIncidents`, {
        method: "OPTIONS",
        headers: {
          origin: from,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type,x-grpc-web",
        },
      });
    const allowed = await preflight(origin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(origin);
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/X-Grpc-Web/);
    const refused = await preflight("http://127.0.0.1:1");
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();

    const res = await fetch(`${url}/runframe.incident.v1.IncidentService/ListIncidents`, {
      method: "POST",
      headers: {
        origin,
        "content-type": "application/json",
        authorization: `Bearer ${apiKeyA}`,
      },
      body: "{}",
    });
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Grpc-Status-Details-Bin/i);
  });
});
