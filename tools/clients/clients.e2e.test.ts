/**
 * The team API called from other languages and tools, as the teams who use
 * it would, against a stack started here: the Go suite (connect-go over
 * HTTP/1.1, grpc-go over h2c), the Python suite (grpcio over h2c), grpcurl
 * and `buf curl` through server reflection, and curl over plain HTTP/1.1.
 * Generators, Go tools and the Python venv come from
 * tools/clients/install.sh (cached after the first run).
 */
import { seedTeamIncidents, startStack, teamFixture, type Stack } from "@runframe/platform/testing";
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The environment tools/clients/install.sh exports (PATH with the Go tools, the venv's python). */
function clientToolsEnv(): NodeJS.ProcessEnv {
  const exports = execFileSync("bash", ["tools/clients/install.sh"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [, name, value] of exports.matchAll(/^export (\w+)=(.*)$/gm)) {
    env[name!] = value!.replace(/^"|"$/g, "").replace("$PATH", process.env["PATH"] ?? "");
  }
  return env;
}

/** Runs a command to its end; resolves with its exit code and everything it printed. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

describe("team API from other languages and tools", () => {
  let stack: Stack;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = clientToolsEnv();
    stack = await startStack({ bootstrap: teamFixture.bootstrap });
    await seedTeamIncidents(stack);
    Object.assign(env, {
      RUNFRAME_INCIDENT_URL: stack.incident.url,
      RUNFRAME_API_KEY: teamFixture.apiKeyA,
      RUNFRAME_OTHER_INCIDENT_ID: "INC-00002",
      PYTHONDONTWRITEBYTECODE: "1",
    });
  }, 600_000);
  afterAll(() => stack?.stop());

  it("Go: connect-go over HTTP/1.1 and grpc-go over h2c, errors included", async () => {
    const result = await run("go", ["test", "-tags", "e2e", "-count=1", "-v", "./e2e"], {
      cwd: `${root}clients/go`,
      env,
    });
    expect(result.output).toMatch(/^ok\s/m);
    expect(result.output).not.toMatch(/--- (FAIL|SKIP)/);
    expect(result.code, result.output).toBe(0);
  }, 600_000);

  it("Python: grpcio over h2c, errors included", async () => {
    const result = await run(
      env["RUNFRAME_PYTHON"]!,
      ["-m", "pytest", "-v", "-p", "no:cacheprovider"],
      {
        cwd: `${root}clients/python`,
        env,
      },
    );
    expect(result.output).toMatch(/4 passed/);
    expect(result.code, result.output).toBe(0);
  }, 120_000);

  it("grpcurl lists and describes the services through reflection, and calls them", async () => {
    const target = new URL(stack.incident.url).host;
    const list = await run("grpcurl", ["-plaintext", target, "list"], { cwd: root, env });
    expect(list.output.trim().split("\n")).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "runframe.incident.v1.DeliveryService",
      "runframe.incident.v1.IncidentService",
    ]);
    const call = await run(
      "grpcurl",
      [
        "-plaintext",
        ...["-H", `authorization: Bearer ${teamFixture.apiKeyA}`],
        ...["-d", '{"page_size": 1000}'],
        target,
        "runframe.incident.v1.IncidentService/ListIncidents",
      ],
      { cwd: root, env },
    );
    expect(call.output).toContain("Code: InvalidArgument");
    expect(call.output).toContain('"@type": "type.googleapis.com/google.rpc.BadRequest"');
    expect(call.output).toContain('"field": "page_size"');
  });

  it("grpcurl lists and describes auth's services through reflection", async () => {
    const target = new URL(stack.auth[0]!.url).host;
    const list = await run("grpcurl", ["-plaintext", target, "list"], { cwd: root, env });
    expect(list.code, list.output).toBe(0);
    // AuthService is internal (the service credential guards its calls), yet
    // reflection lists it: the schema is public like the proto files.
    expect(list.output.trim().split("\n")).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "runframe.auth.v1.ApiKeyService",
      "runframe.auth.v1.AuthService",
      "runframe.auth.v1.IntegrationService",
    ]);
    const described = await run(
      "grpcurl",
      ["-plaintext", target, "describe", "runframe.auth.v1.ApiKeyService"],
      { cwd: root, env },
    );
    expect(described.code, described.output).toBe(0);
    expect(described.output).toContain("runframe.auth.v1.ApiKeyService is a service:");
    expect(described.output).toMatch(
      /rpc CreateApiKey \( \.runframe\.auth\.v1\.CreateApiKeyRequest \) returns \( \.runframe\.auth\.v1\.CreateApiKeyResponse \)/,
    );
    expect(described.output).toContain("rpc RevokeApiKey");
  });

  it("buf curl works without --schema, over HTTP/1.1 and h2c", async () => {
    for (const extra of [
      [],
      ["--http2-prior-knowledge"],
      ["--protocol", "grpc", "--http2-prior-knowledge"],
    ]) {
      const result = await run(
        "npx",
        [
          "buf",
          "curl",
          ...extra,
          ...["-H", `Authorization: Bearer ${teamFixture.apiKeyA}`],
          ...["-d", "{}"],
          `${stack.incident.url}/runframe.incident.v1.IncidentService/ListIncidents`,
        ],
        { cwd: root, env },
      );
      expect(result.code, result.output).toBe(0);
      expect(JSON.parse(result.output)).toMatchObject({ incidents: [{ id: "INC-00001" }] });
    }
  });

  it("curl lists incidents over plain HTTP/1.1 with Content-Type: application/json", async () => {
    const result = await run(
      "curl",
      [
        "-sS",
        "--fail-with-body",
        ...["-H", "Content-Type: application/json"],
        ...["-H", `Authorization: Bearer ${teamFixture.apiKeyA}`],
        ...["-d", "{}"],
        `${stack.incident.url}/runframe.incident.v1.IncidentService/ListIncidents`,
      ],
      { cwd: root, env },
    );
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.output)).toMatchObject({ incidents: [{ id: "INC-00001" }] });
  });
});
