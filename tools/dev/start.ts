/**
 * `npm start`: the whole stack in the foreground on loopback, every app its
 * own process. Embedded by default (SQLite in ./data, rate limits in memory);
 * MONGO_URL and REDIS_URL switch to real backends. Prints the webhook URLs
 * once the edge is ready; Ctrl-C stops every process it started.
 *
 * RUNFRAME_REPLICAS=auth=2,normalizer-custom=3 runs several processes of an
 * app: replica k (from 0) listens on the app's port + 10·k (the edge: + k;
 * admin ports stay RPC port + 1000),
 * and every service URL setting lists all replicas of its service, so the
 * callers balance over them as they do over a headless Service's addresses.
 *
 * It builds first (well under a second) and runs the bundles in dist/ with
 * plain `node`, exactly as the image does, so a fresh clone needs only
 * `npm ci && npm start` and never runs stale output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { IntegrationType } from "@runframe/contracts";
import { APP_NAMES, APP_PORTS, appBundle } from "@runframe/platform/apps";
import { PROVIDERS, providerOf } from "@runframe/providers";
import { parseBootstrap, type Bootstrap } from "@runframe/util";
import { build } from "../build/build.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const apps = APP_NAMES.map((name) => ({
  name,
  port: name === "edge" ? Number(process.env["PORT"] ?? APP_PORTS.edge) : APP_PORTS[name],
}));

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

const env = process.env;
const dataDir = resolve(env["RUNFRAME_DATA_DIR"] ?? join(root, "data"));
const bootstrapFile = resolve(env["RUNFRAME_BOOTSTRAP"] ?? join(root, "tools/dev/bootstrap.json"));
let bootstrap: Bootstrap;
try {
  bootstrap = parseBootstrap(readFileSync(bootstrapFile, "utf8"));
} catch (error) {
  fail(`${bootstrapFile}: ${(error as Error).message}`);
}

const replicas = parseReplicas(env["RUNFRAME_REPLICAS"] ?? "");
const instances = apps.flatMap((app) =>
  Array.from({ length: replicas.get(app.name) ?? 1 }, (_, k) => ({
    name: app.name,
    label: k === 0 ? app.name : `${app.name}-${k + 1}`,
    port: app.port + (app.name === "edge" ? k : 10 * k),
  })),
);

const shared: Record<string, string> = {
  RUNFRAME_INTERNAL_TOKEN: env["RUNFRAME_INTERNAL_TOKEN"] ?? randomBytes(32).toString("base64url"),
  RUNFRAME_SECRET_KEY: env["RUNFRAME_SECRET_KEY"] ?? devSecretKey(),
  RUNFRAME_BOOTSTRAP: bootstrapFile,
  RUNFRAME_DATA_DIR: dataDir,
  LOG_LEVEL: env["LOG_LEVEL"] ?? "warn",
};
const addresses = (name: string) =>
  instances.filter((i) => i.name === name).map((i) => `http://127.0.0.1:${i.port}`);
const urls = Object.fromEntries(
  apps.filter((a) => a.name !== "edge").map((a) => [a.name, addresses(a.name).join(",")]),
);
const edges = addresses("edge");

try {
  await build();
} catch (error) {
  fail(`the build failed: ${(error as Error).message}`);
}

const children = new Map<string, ChildProcess>();
let stopping = false;

for (const app of instances) {
  const child = spawn(process.execPath, ["--enable-source-maps", appBundle(app.name)], {
    cwd: root,
    env: {
      ...env,
      ...shared,
      PORT: String(app.port),
      // Set, because an app's default admin port follows its default port.
      ADMIN_PORT: String(app.port + 1000),
      RUNFRAME_AUTH_URL: urls["auth"],
      RUNFRAME_INCIDENT_URL: urls["incident"],
      ...Object.fromEntries(PROVIDERS.map((p) => [p.urlSetting, urls[p.app]])),
      RUNFRAME_STOP_WITH_PARENT: "1",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.set(app.label, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) =>
      process.stdout.write(`[${app.label}] ${line}\n`),
    );
  }
  child.on("exit", (code, signal) => {
    children.delete(app.label);
    if (!stopping) {
      process.stderr.write(
        `npm start: ${app.label} exited (${signal ?? code}); stopping everything\n`,
      );
      void stop(1);
    }
  });
}

process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

await waitUntilReady();

async function waitUntilReady(): Promise<void> {
  const started = Date.now();
  while (!stopping) {
    try {
      // Ready, and no normalizer missing (the edge would serve without one).
      const answers = await Promise.all(
        edges.map(async (edge) => {
          const res = await fetch(`${edge}/readyz`);
          return res.ok && ((await res.json()) as { degraded?: unknown }).degraded === undefined;
        }),
      );
      if (answers.every(Boolean)) {
        printWelcome(Date.now() - started);
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 120_000) {
      process.stderr.write("npm start: the edge did not become ready within 2 minutes\n");
      await stop(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function printWelcome(ms: number): void {
  const base = edges[0]!;
  const lines = [`Runframe Ingest is ready (${(ms / 1000).toFixed(1)} s). Webhook URLs:`];
  for (const org of bootstrap.organizations) {
    for (const integration of org.integrations) {
      const signed = integration.signingSecret ? " (signed)" : "";
      lines.push(
        `  ${(providerOf(integration.type)?.name ?? "").padEnd(11)} ${base}/webhooks/${integration.routingKey}${signed}`,
      );
      if (integration.type === IntegrationType.PAGERDUTY) {
        lines.push(
          `  ${"".padEnd(11)} ${base}/v2/enqueue (PagerDuty's API: routing_key in the body)`,
        );
      }
    }
  }
  const custom = bootstrap.organizations
    .flatMap((o) => o.integrations)
    .find((i) => i.type === IntegrationType.CUSTOM && !i.signingSecret);
  const apiKey = bootstrap.organizations[0]?.apiKeys[0]?.secret;
  if (custom) {
    lines.push(
      "",
      "Try it:",
      `  curl -X POST ${base}/webhooks/${custom.routingKey} \\`,
      `    -H "Content-Type: application/json" \\`,
      `    -d '{"title": "Test webhook", "service_id": "SER-00001", "description": "Testing webhook integration"}'`,
    );
  }
  if (apiKey) {
    lines.push(
      "",
      `Team API key (dev only): ${apiKey}`,
      `  npx buf curl --schema proto --http2-prior-knowledge -H "Authorization: Bearer ${apiKey}" \\`,
      `    ${addresses("incident")[0]}/runframe.incident.v1.IncidentService/ListIncidents -d '{}'`,
    );
  }
  const replicated = apps.filter((a) => (replicas.get(a.name) ?? 1) > 1);
  if (replicated.length > 0) {
    lines.push(
      "",
      "Replicas (each caller balances over all of them):",
      ...replicated.map((a) => `  ${a.name.padEnd(21)} ${addresses(a.name).join(" ")}`),
    );
  }
  lines.push(
    "",
    env["MONGO_URL"]
      ? "Store: MongoDB (MONGO_URL)."
      : `Store: embedded SQLite in ${dataDir} (set MONGO_URL for MongoDB).`,
    env["REDIS_URL"] || env["REDIS_CLUSTER_NODES"]
      ? "Rate limits: Redis."
      : "Rate limits: in memory, per process (set REDIS_URL to share them between replicas).",
    "Ctrl-C stops everything.",
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function stop(code: number): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;
  const exits = [...children.values()].map(
    (child) =>
      new Promise<void>((resolveExit) => {
        child.once("exit", () => resolveExit());
        child.kill("SIGTERM");
      }),
  );
  const timer = setTimeout(() => {
    for (const child of children.values()) {
      child.kill("SIGKILL");
    }
  }, 15_000);
  await Promise.all(exits);
  clearTimeout(timer);
  process.exit(code);
}

/** `app=count,…` (RUNFRAME_REPLICAS): how many processes of each app to run. */
function parseReplicas(value: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of value.split(",").filter((e) => e.trim() !== "")) {
    const [name = "", count = ""] = entry.split("=").map((s) => s.trim());
    if (!apps.some((a) => a.name === name) || !/^[1-9]$/.test(count)) {
      fail(
        `RUNFRAME_REPLICAS: "${entry}" must be <app>=<1 to 9>, with <app> one of ${apps.map((a) => a.name).join(", ")}`,
      );
    }
    counts.set(name, Number(count));
  }
  return counts;
}

/**
 * The key that seals signing secrets, kept in the data directory so secrets
 * stored by one run still open in the next. Development only: production
 * sets RUNFRAME_SECRET_KEY from a secret manager.
 */
function devSecretKey(): string {
  const file = join(dataDir, "secret.key");
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}
