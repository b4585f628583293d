import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthenticateRequestSchema, AuthService, ErrorInfoSchema } from "@runframe/contracts";
import { createInternalClient } from "@runframe/platform";
import {
  appBundle,
  randomToken,
  startApp,
  startProcess,
  storageEnv,
  type ListeningApp,
} from "@runframe/platform/testing";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

describe("auth as its own process", () => {
  const token = randomToken();
  let auth: ListeningApp;

  beforeAll(async () => {
    auth = await startApp("auth", { ...storageEnv(), RUNFRAME_INTERNAL_TOKEN: token });
  });
  afterAll(() => auth.stop());

  const request = create(AuthenticateRequestSchema, { routingKey: "k".repeat(43) });

  it("accepts the service credential over gRPC and answers the RPC itself", async () => {
    const client = createInternalClient(AuthService, {
      baseUrl: auth.url,
      token,
      protocol: "grpc",
    });
    const error = await client.authenticate(request).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    // Past the credential check: the handler refuses the unknown routing key.
    expect(error?.code).toBe(Code.Unauthenticated);
    expect(error?.findDetails(ErrorInfoSchema)[0]).toMatchObject({
      reason: "ROUTING_KEY_INVALID",
      domain: "runframe.io",
    });
  });

  it("refuses a wrong credential with Unauthenticated", async () => {
    const client = createInternalClient(AuthService, {
      baseUrl: auth.url,
      token: randomToken(),
      protocol: "grpc",
    });
    const error = await client.authenticate(request).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.Unauthenticated);
    expect(error?.findDetails(ErrorInfoSchema)).toEqual([
      expect.objectContaining({ reason: "SERVICE_CREDENTIAL_INVALID", domain: "runframe.io" }),
    ]);
  });

  it("refuses a missing credential with Unauthenticated", async () => {
    const client = createClient(AuthService, createGrpcTransport({ baseUrl: auth.url }));
    await expect(client.authenticate(request)).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.Unauthenticated,
    );
  });

  it("answers grpc.health.v1.Health/Check to buf curl, a non-Node gRPC client", async () => {
    const { stdout } = await promisify(execFile)("npx", [
      "buf",
      "curl",
      "--schema",
      "proto",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      `${auth.url}/grpc.health.v1.Health/Check`,
      "-d",
      "{}",
    ]);
    expect(JSON.parse(stdout)).toEqual({ status: "SERVING" });
  });

  it("serves /healthz, /readyz and Prometheus /metrics on the admin port", async () => {
    expect((await fetch(`${auth.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${auth.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${auth.adminUrl}/metrics`)).text();
    expect(metrics).toContain("process_cpu_user_seconds_total");
    expect(metrics).toMatch(
      /rpc_server_duration_seconds_count\{[^}]*service="runframe.auth.v1.AuthService",method="Authenticate",code="unauthenticated"\} [1-9]/,
    );
  });
});

describe("configuration", () => {
  it("reports every bad setting in one message and exits without listening", async () => {
    const adminPort = await freePort();
    const proc = startProcess(appBundle("auth"), {
      RUNFRAME_INTERNAL_TOKEN: "too-short",
      PORT: "not-a-port",
      ADMIN_PORT: String(adminPort),
      LOG_LEVEL: "loud",
      RUNFRAME_SECRET_KEY: "",
    });
    expect(await proc.exited).toBe(78);
    const message = proc.stderr();
    expect(message).toContain("RUNFRAME_INTERNAL_TOKEN: must be at least 32 characters");
    expect(message).toContain("PORT: must be a port number");
    expect(message).toContain("LOG_LEVEL");
    expect(message).toContain("RUNFRAME_SECRET_KEY: is required but not set");
    expect(message).not.toContain("too-short");
    expect(proc.logs.some((l) => l["msg"] === "listening")).toBe(false);
    await expect(fetch(`http://127.0.0.1:${adminPort}/healthz`)).rejects.toThrow();
  });

  it("names a missing required setting", async () => {
    const proc = startProcess(appBundle("auth"), { RUNFRAME_INTERNAL_TOKEN: "" });
    expect(await proc.exited).toBe(78);
    expect(proc.stderr()).toContain("RUNFRAME_INTERNAL_TOKEN: is required but not set");
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
