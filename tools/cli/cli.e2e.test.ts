import { repoRoot, startStack, type Stack } from "@runframe/platform/testing";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const adminKey = "cli-test-admin-key-000000000000000000000000";
const viewerKey = "cli-test-viewer-key-00000000000000000000000";
const routingKeys = {
  custom: "cli_test_custom_000000000000000000000000000",
  datadog: "cli_test_datadog_00000000000000000000000000",
  sentry: "cli_test_sentry_000000000000000000000000000",
  prometheus: "cli_test_prometheus_000000000000000000000000",
};

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * The command-line tool as a user runs it: its bin (`npx runframe` runs
 * the same file) in a process of its own, against the stack.
 */
describe("the runframe CLI, end to end", () => {
  let stack: Stack;
  let home: string;

  beforeAll(async () => {
    stack = await startStack({
      normalizers: ["custom", "datadog", "sentry", "prometheus"],
      bootstrap: {
        organizations: [
          {
            id: "org-cli",
            name: "CLI",
            apiKeys: [
              { id: "key-admin", secret: adminKey, role: "admin" },
              { id: "key-viewer", secret: viewerKey, role: "viewer" },
            ],
            services: [{ id: "SER-00001", name: "Checkout" }],
            integrations: (["custom", "datadog", "sentry", "prometheus"] as const).map((type) => ({
              id: `int-${type}`,
              type,
              name: type,
              routingKey: routingKeys[type],
              defaultServiceId: "SER-00001",
            })),
          },
        ],
      },
    });
    // An empty home: no config file of the machine's user is read.
    home = await mkdtemp(join(tmpdir(), "runframe-cli-home-"));
  });
  afterAll(() => stack?.stop());

  const env = (key: string) => ({
    ...process.env,
    XDG_CONFIG_HOME: home,
    RUNFRAME_API_KEY: key,
    RUNFRAME_AUTH_URL: stack.auth[0]!.url,
    RUNFRAME_INCIDENT_URL: stack.incident.url,
    RUNFRAME_EDGE_URL: stack.edge.url,
  });

  function cli(
    args: string[],
    key = adminKey,
    extraEnv: Record<string, string> = {},
  ): Promise<Run> {
    const child = spawn(process.execPath, ["tools/cli/runframe.mjs", ...args], {
      cwd: repoRoot,
      env: { ...env(key), ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    return once(child, "exit").then(([code]) => ({
      code: code as number,
      stdout,
      stderr,
      json: <T>() => JSON.parse(stdout) as T,
    }));
  }

  /** `send-test` of a custom alert to the provisioned integration. */
  const sendTest = (dedupKey: string, ...extra: string[]) =>
    cli([
      "send-test",
      "--type",
      "custom",
      "--routing-key",
      routingKeys.custom,
      "--dedup-key",
      dedupKey,
      ...extra,
    ]);

  /** A custom test alert to the provisioned integration; the incident it landed on. */
  const sendCustom = async (dedupKey: string) => {
    const sent = await sendTest(dedupKey, "--json");
    expect(sent.code, sent.stderr).toBe(0);
    return sent;
  };

  it("manages services, with tables by default and --json for scripts", async () => {
    const created = await cli(["--json", "services", "create", "SER-CLI", "--name", "CLI made"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toEqual({ id: "SER-CLI", name: "CLI made" });
    const table = await cli(["services", "list"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\n/);
    expect(table.stdout).toMatch(/SER-CLI\s+CLI made/);
    expect(
      (await cli(["--json", "services", "update", "SER-CLI", "--name", "Renamed"])).json(),
    ).toEqual({ id: "SER-CLI", name: "Renamed" });
    expect((await cli(["--json", "services", "get", "SER-CLI"], viewerKey)).json()).toMatchObject({
      name: "Renamed",
    });
    const denied = await cli(["services", "delete", "SER-CLI"], viewerKey);
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/^runframe: permission_denied: .*admin key is required/);
    expect((await cli(["services", "delete", "SER-CLI"])).code).toBe(0);
    const gone = await cli(["services", "get", "SER-CLI"]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^runframe: not_found: service SER-CLI not found/);
    const invalid = await cli(["services", "create", "bad id", "--name", ""]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim().split("\n")).toHaveLength(1);
    expect(invalid.stderr).toMatch(
      /^runframe: invalid_argument: .*\[service\.id: .*; service\.name: is required\]/,
    );
    const asJson = await cli(["--json", "services", "create", "bad id", "--name", ""]);
    expect(JSON.parse(asJson.stderr)).toMatchObject({
      error: {
        code: "invalid_argument",
        fields: expect.arrayContaining([{ field: "service.name", description: "is required" }]),
      },
    });
  });

  it("creates, signs, rotates and disables an integration, and sends tests through the webhook path", async () => {
    const secret = "cli-signing-secret-0123456789";
    const created = await cli([
      "--json",
      "integrations",
      "create",
      "--type",
      "custom",
      "--name",
      "From the CLI",
      "--default-service",
      "SER-00001",
      "--signing-secret",
      secret,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const { integration, routingKey } = created.json<{
      integration: { id: string };
      routingKey: string;
    }>();
    expect(routingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const listed = await cli(["integrations", "list"], viewerKey);
    expect(listed.stdout).toContain(integration.id);
    expect((await cli(["--json", "integrations", "get", integration.id])).json()).toMatchObject({
      signingSecretConfigured: true,
      defaultServiceId: "SER-00001",
    });

    const send = (...extra: string[]) =>
      cli([
        "--json",
        "send-test",
        "--type",
        "custom",
        "--routing-key",
        routingKey,
        "--dedup-key",
        "cli-dedup",
        ...extra,
      ]);
    const first = await send("--signing-secret", secret);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({
      httpStatus: 202,
      incidents: [{ action: "created", dedupKey: "cli-dedup" }],
    });
    const again = await send("--signing-secret", secret);
    expect(again.json()).toMatchObject({ incidents: [{ action: "updated" }] });
    const unsigned = await send();
    expect(unsigned.code).toBe(4);
    expect(unsigned.stderr).toMatch(/http_401/);
    const human = await cli([
      "send-test",
      "--type",
      "custom",
      "--routing-key",
      routingKey,
      "--dedup-key",
      "cli-dedup",
      "--resolve",
      "--signing-secret",
      secret,
    ]);
    expect(human.stdout).toMatch(
      /^202 Accepted\nINCIDENT\s+ACTION\s+DEDUP KEY\nINC-\d{5}\s+resolved\s+cli-dedup/,
    );

    expect(
      (await cli(["integrations", "set-signing-secret", integration.id, "--clear"])).code,
    ).toBe(0);
    expect((await send()).code).toBe(0);
    const rotated = await cli(["--json", "integrations", "rotate-key", integration.id]);
    const newKey = rotated.json<{ routingKey: string }>().routingKey;
    expect(newKey).not.toBe(routingKey);
    expect((await send()).code).toBe(4);
    expect(
      (await cli(["send-test", "--integration", integration.id, "--routing-key", newKey])).code,
    ).toBe(0);
    expect((await cli(["--json", "integrations", "disable", integration.id])).json()).toMatchObject(
      { enabled: false },
    );
    expect((await cli(["send-test", "--type", "custom", "--routing-key", newKey])).code).toBe(4);
  });

  it("updates only what its flags name, options included, and names a refused field", async () => {
    const created = await cli([
      "--json",
      "integrations",
      "create",
      "--type",
      "prometheus",
      "--name",
      "Before",
      "--default-service",
      "SER-00001",
    ]);
    const { integration } = created.json<{ integration: { id: string } }>();
    const updated = await cli([
      "--json",
      "integrations",
      "update",
      integration.id,
      "--name",
      "After",
      "--options",
      '{"heartbeat":{"intervalSeconds":300,"graceSeconds":60},"alertGrouping":"ALERT_GROUPING_GROUP"}',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.json()).toMatchObject({
      name: "After",
      defaultServiceId: "SER-00001",
      options: {
        heartbeat: { intervalSeconds: 300, graceSeconds: 60 },
        alertGrouping: "ALERT_GROUPING_GROUP",
      },
    });
    const shown = await cli(["integrations", "get", integration.id]);
    expect(shown.stdout).toMatch(/options\s+\{"alertGrouping":"ALERT_GROUPING_GROUP"/);

    const tooShort = await cli([
      "integrations",
      "update",
      integration.id,
      "--options",
      '{"heartbeat":{"intervalSeconds":5}}',
    ]);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toContain("options.heartbeat.interval_seconds");
    const notOptions = await cli([
      "integrations",
      "update",
      integration.id,
      "--options",
      '{"nope":1}',
    ]);
    expect(notOptions.code).toBe(2);
    expect(notOptions.stderr).toContain("--options");
    expect((await cli(["integrations", "update", integration.id])).code).toBe(2);
    const viewer = await cli(["integrations", "update", integration.id, "--name", "x"], viewerKey);
    expect(viewer.code).toBe(4);
    expect((await cli(["--json", "integrations", "get", integration.id])).json()).toMatchObject({
      name: "After",
    });
  });

  it("sends a realistic sample of every native type, and says why CloudWatch cannot be", async () => {
    for (const type of ["datadog", "sentry", "prometheus"] as const) {
      const key = routingKeys[type];
      const trigger = await cli(["--json", "send-test", "--type", type, "--routing-key", key]);
      expect(trigger.code, `${type}: ${trigger.stderr}`).toBe(0);
      expect(trigger.json(), type).toMatchObject({
        httpStatus: 202,
        incidents: [{ action: "created" }],
      });
      const resolve = await cli([
        "--json",
        "send-test",
        "--integration",
        `int-${type}`,
        "--routing-key",
        key,
        "--resolve",
      ]);
      expect(resolve.json(), type).toMatchObject({ incidents: [{ action: "resolved" }] });
    }
    const cloudwatch = await cli([
      "send-test",
      "--type",
      "cloudwatch",
      "--routing-key",
      "x".repeat(43),
    ]);
    expect(cloudwatch.code).toBe(6);
    expect(cloudwatch.stderr).toMatch(
      /^runframe: not_available: CloudWatch deliveries are SNS messages signed by AWS/,
    );
  });

  it("creates, lists and revokes API keys; a revoked or wrong key is refused", async () => {
    const created = await cli(["--json", "api-keys", "create", "--name", "ci", "--role", "viewer"]);
    const { apiKey, secret } = created.json<{ apiKey: { id: string }; secret: string }>();
    expect((await cli(["api-keys", "list"], secret)).stdout).toMatch(
      new RegExp(`${apiKey.id}\\s+viewer\\s+…${secret.slice(-4)}`),
    );
    expect((await cli(["api-keys", "revoke", apiKey.id])).code).toBe(0);
    const revoked = await cli(["api-keys", "list"], secret);
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/^runframe: unauthenticated: API key .* was revoked/);
    const wrong = await cli(["incidents", "list"], "not-a-key-00000000000000000000000000000");
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/^runframe: unauthenticated: /);
    const last = await cli(["api-keys", "revoke", "key-admin"]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^runframe: failed_precondition: .*last active admin key/);
  });

  it("dry-runs a test alert with --dry-run: shows what it would do and stores nothing", async () => {
    const dry = (...extra: string[]) => sendTest("cli-dry-run", "--dry-run", ...extra);
    const listed = async () =>
      (await cli(["--json", "incidents", "list"])).json<{ dedupKey?: string }[]>();
    const before = await listed();
    const json = await dry("--json");
    expect(json.code, json.stderr).toBe(0);
    expect(json.json()).toMatchObject({
      httpStatus: 200,
      status: "dry_run",
      incidents: [{ id: null, action: "would_create", dedupKey: "cli-dry-run", createdByAlert: 0 }],
      alerts: [{ action: "trigger", serviceId: "SER-00001", dedupKey: "cli-dry-run" }],
    });
    expect(await listed()).toEqual(before);
    const human = await dry();
    expect(human.stdout).toMatch(
      /^dry run: nothing was stored\nALERT\s+SEVERITY\s+TITLE\s+WOULD\s+INCIDENT\s+DEDUP KEY\n0 trigger\s+SEV\d\s+Test alert from the runframe CLI\s+create\s+new \(alert 0\)\s+cli-dry-run\n$/,
    );
    const sent = await sendCustom("cli-dry-run");
    const id = sent.json<{ incidents: { id: string }[] }>().incidents[0]!.id;
    expect((await dry()).stdout).toMatch(new RegExp(`update\\s+${id}\\s+cli-dry-run`));
  });

  it("lists, shows, acknowledges and resolves incidents, and shows their timeline", async () => {
    const sent = await sendCustom("cli-incidents");
    const id = sent.json<{ incidents: { id: string }[] }>().incidents[0]!.id;
    const open = await cli(
      ["--json", "incidents", "list", "--status", "new", "--service", "SER-00001"],
      viewerKey,
    );
    expect(open.json<{ id: string }[]>().map((i) => i.id)).toContain(id);
    expect((await cli(["incidents", "get", id])).stdout).toMatch(
      /^id\s+INC-\d{5}\ntitle\s+Test alert from the runframe CLI/,
    );
    expect((await cli(["--json", "incidents", "ack", id])).json()).toMatchObject({
      acknowledgedBy: "api-key:key-admin",
    });
    expect((await cli(["incidents", "ack", id], viewerKey)).code).toBe(4);
    expect(
      (await cli(["--json", "incidents", "resolve", id, "--note", "fixed from the CLI"])).json(),
    ).toMatchObject({ status: "INCIDENT_STATUS_RESOLVED" });
    const events = await cli(["incidents", "events", id]);
    expect(events.stdout).toMatch(/acknowledged\s+api-key:key-admin/);
    expect(events.stdout).toMatch(/resolved\s+api-key:key-admin\s+fixed from the CLI/);
    const unknown = await cli(["incidents", "get", "INC-99999"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe(
      "runframe: not_found: incident INC-99999 not found (INCIDENT_NOT_FOUND)\n",
    );
    expect((await cli(["incidents", "ack", id])).code).toBe(1);
  });

  it("tails changes live and resumes from a cursor", async () => {
    const child = spawn(
      process.execPath,
      ["tools/cli/runframe.mjs", "--json", "tail", "--count", "2"],
      {
        cwd: repoRoot,
        env: env(viewerKey),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = once(child, "exit");
    let id = "";
    try {
      const deadline = Date.now() + 20_000;
      while (!stderr.includes("watching incident changes")) {
        expect(Date.now() < deadline && child.exitCode === null, stderr).toBe(true);
        await new Promise((r) => setTimeout(r, 50));
      }
      const sent = await sendCustom("cli-tail");
      id = sent.json<{ incidents: { id: string }[] }>().incidents[0]!.id;
      // Changes within one poll may arrive as one message: ack once the creation is shown.
      while (lines.length === 0) {
        expect(child.exitCode, stderr).toBeNull();
        await new Promise((r) => setTimeout(r, 50));
      }
      await cli(["incidents", "ack", id]);
      const [code] = await exited;
      expect(code, stderr).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    const messages = lines.map(
      (l) =>
        JSON.parse(l) as {
          incident: { id: string };
          latestEvent: { type: string };
          cursor: string;
          revision: number;
        },
    );
    expect(messages.map((m) => [m.incident.id, m.latestEvent.type, m.revision])).toEqual([
      [id, "INCIDENT_EVENT_TYPE_CREATED", 1],
      [id, "INCIDENT_EVENT_TYPE_ACKNOWLEDGED", 2],
    ]);
    await cli(["incidents", "resolve", id]);
    const resumed = await cli(["tail", "--cursor", messages[1]!.cursor, "--count", "1"], viewerKey);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      new RegExp(
        `${id}\\s+resolved\\s+sev3\\s+resolved\\s+SER-00001\\s+×1\\s+Test alert from the runframe CLI\\s+\\(api-key:key-admin\\)`,
      ),
    );
  });

  it("lists, shows, counts and replays deliveries from the inbox", async () => {
    const body = '{"title":"","dedup_key":"cli-inbox"}';
    expect((await stack.webhook(routingKeys.custom, body)).status).toBe(400);
    let refused: { id: string; reason: string }[] = [];
    await vi.waitFor(
      async () => {
        const res = await cli(
          ["deliveries", "list", "--outcome", "refused-payload", "--json"],
          viewerKey,
        );
        expect(res.code, res.stderr).toBe(0);
        refused = res.json<{ id: string; reason: string }[]>();
        expect(refused.length).toBeGreaterThan(0);
      },
      { timeout: 10_000 },
    );
    const id = refused[0]!.id;
    const raw = await cli(["deliveries", "get", id, "--body"], viewerKey);
    expect(raw.stdout).toBe(body);
    const shown = await cli(["deliveries", "get", id], viewerKey);
    expect(shown.stdout).toMatch(/outcome\s+refused_payload/);
    expect(shown.stdout).toMatch(/field error\s+title: /);
    const replay = await cli(["deliveries", "replay", id]);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toMatch(/cannot be replayed: refused deliveries/);
    const stats = await cli(["deliveries", "stats", "--integration", "int-custom"], viewerKey);
    expect(stats.stdout).toMatch(/refused invalid_request\s+1/);
  });

  it("takes settings from flags, then the environment, then the config file", async () => {
    const file = join(home, "explicit.json");
    await writeFile(
      file,
      JSON.stringify({
        apiKey: "from-file-key",
        incidentUrl: "http://127.0.0.1:1",
        edgeUrl: "http://127.0.0.1:2",
      }),
    );
    const res = await cli(
      ["--json", "--config", file, "--edge-url", "http://127.0.0.1:3", "config"],
      "",
      {
        RUNFRAME_API_KEY: "",
        RUNFRAME_INCIDENT_URL: "http://127.0.0.1:4,http://127.0.0.1:5",
      },
    );
    expect(res.json()).toMatchObject({
      file,
      settings: {
        apiKey: { value: "…-key", source: "config file" },
        incidentUrl: { value: "http://127.0.0.1:4", source: "environment" },
        edgeUrl: { value: "http://127.0.0.1:3", source: "flag" },
      },
    });
    const missing = await cli(["--config", join(home, "none.json"), "incidents", "list"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^runframe: usage: cannot read config file/);
    const noKey = await cli(["incidents", "list"], "");
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/no API key/);
    expect((await cli(["incidents", "list", "--status", "closed"])).code).toBe(2);
  });
});
