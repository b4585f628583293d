/**
 * Throughput of the whole webhook path, every app its own process, the load
 * generator on the same machine, and a bare `node:http` ceiling measured in
 * the same run (these machines are noisy: compare ratios, not raw figures).
 *
 *   node --import tsx tools/bench/throughput.ts                 # embedded store
 *   node --import tsx tools/bench/throughput.ts --backends      # Redis + FerretDB
 *   node --import tsx tools/bench/throughput.ts --incidents 1000000
 *   node --import tsx tools/bench/throughput.ts --profile /tmp/prof   # V8 CPU profiles
 *   node --import tsx tools/bench/throughput.ts --rounds 3   # the median of 3 interleaved runs
 *
 * It installs its load generators (tools/bench/install.sh: wrk for closed
 * loops, vegeta for a constant rate), builds the apps, starts them with 50
 * custom and 50 Alertmanager integrations, and prints one table: workload,
 * connections, requests/s, p50, p99, errors, CPU ms per webhook of each app,
 * RSS of each app, and the ratio to the ceiling.
 *
 * Workloads: `custom` (one alert per webhook, 70% new dedup keys, 30%
 * repeats of 50 hot ones, spread over 50 integrations), `alertmanager`
 * (groups of 10 alerts, same mix), `rate` (custom at a constant rate, for
 * latency), `list` (ListIncidents: the first page and one deep in the list,
 * filtered by status).
 *
 * With `--rounds N`, every measurement runs N times, round-robin over the
 * workloads (so a slow phase of the machine spreads over all of them), and
 * the table shows each one's median run (by req/s; by p99 for the constant
 * rate) with every round's req/s (p99) beside it.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IncidentService, IncidentStatus } from "@runframe/contracts";
import {
  backendsSetting,
  startStack,
  type ListeningApp,
  type Stack,
} from "@runframe/platform/testing";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "../build/build.js";
import { preloadIncidents } from "./preload.js";

const { values: args } = parseArgs({
  options: {
    backends: { type: "boolean", default: false },
    duration: { type: "string", default: "15" },
    connections: { type: "string", default: "16,64" },
    rate: { type: "string", default: "1000" },
    incidents: { type: "string", default: "0" },
    workloads: { type: "string", default: "custom,alertmanager,rate,list" },
    /** Writes a V8 CPU profile of every app into this directory (node --cpu-prof). */
    profile: { type: "string" },
    rounds: { type: "string", default: "1" },
  },
});
const duration = Number(args.duration);
const rounds = Number(args.rounds);
const connections = args.connections.split(",").map(Number);
const workloads = new Set(args.workloads.split(","));
const root = join(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "runframe-bench-"));
const INTEGRATIONS = 50;
const apiKey = "bench-api-key-00000000000000000000000000000000";
const run = randomBytes(4).toString("hex");

const vegeta = execFileSync("bash", [join(root, "tools/bench/install.sh")], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
}).trim();
await build();

const env: Record<string, string> = args.profile
  ? { RUNFRAME_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${args.profile}` }
  : {};
if (args.backends) {
  const exports = execFileSync("bash", [join(root, "tools/backends/up.sh")], { encoding: "utf8" });
  for (const [, name, value] of exports.matchAll(/^export (\w+)=(.*)$/gm)) {
    process.env[name!] = value!;
  }
} else {
  env["RUNFRAME_DATA_DIR"] = join(work, "data");
}

const keys = (kind: string) =>
  Array.from(
    { length: INTEGRATIONS },
    (_, i) => `bench_${kind}_${run}_${String(i).padStart(3, "0")}_${"x".repeat(20)}`,
  );
const customKeys = keys("custom");
const alertmanagerKeys = keys("am");
const bootstrap = {
  organizations: [
    {
      id: "org-bench",
      name: "Bench",
      apiKeys: [{ id: "key-bench", secret: apiKey, role: "admin" }],
      services: [{ id: "SER-00001", name: "Checkout" }],
      integrations: [
        ...customKeys.map((routingKey, i) => integration(`int-custom-${i}`, "custom", routingKey)),
        ...alertmanagerKeys.map((routingKey, i) =>
          integration(`int-am-${i}`, "prometheus", routingKey),
        ),
      ],
    },
  ],
};

const preload = Number(args.incidents);
let stack: Stack | undefined;
try {
  if (preload > 0) {
    const started = Date.now();
    await preloadIncidents({
      count: preload,
      organizationId: "org-bench",
      integrationIds: customKeys.map((_, i) => `int-custom-${i}`),
      ...(args.backends ? { mongoUrl: benchMongoUrl() } : { dataDir: env["RUNFRAME_DATA_DIR"]! }),
    });
    process.stderr.write(
      `preloaded ${preload} incidents in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
  }
  stack = await startStack({
    bootstrap,
    embedded: !args.backends,
    normalizers: ["custom", "prometheus"],
    env: { ...env, ...(args.backends && { MONGO_URL: benchMongoUrl() }) },
  });
  // With --backends, Redis and FerretDB share the two cores: their CPU is
  // part of what a webhook costs.
  const apps = [...stackApps(stack), ...(args.backends ? backendProcesses() : [])];
  const ceiling = await bareCeiling();
  const measurements: (() => Promise<Row>)[] = [];
  if (workloads.has("custom")) {
    for (const c of connections) {
      measurements.push(() =>
        closedLoop(`custom, 1 alert`, c, customScript(), apps, ceiling.get(c)!),
      );
    }
  }
  if (workloads.has("alertmanager")) {
    for (const c of connections) {
      measurements.push(() =>
        closedLoop(`Alertmanager, 10 alerts/group`, c, alertmanagerScript(), apps, ceiling.get(c)!),
      );
    }
  }
  if (workloads.has("rate")) {
    measurements.push(() => constantRate(Number(args.rate), apps));
  }
  const runs: Row[][] = measurements.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, measure] of measurements.entries()) {
      runs[i]!.push(await measure());
    }
  }
  const rows = runs.map(medianRun);
  printTable(rows, apps, ceiling);
  if (workloads.has("list")) {
    await listLatency(stack);
  }
} finally {
  await stack?.stop();
}

function integration(id: string, type: string, routingKey: string) {
  return {
    id,
    type,
    name: id,
    routingKey,
    defaultServiceId: "SER-00001",
    rateLimitPerMinute: 100_000,
  };
}

function benchMongoUrl(): string {
  const url = new URL(process.env["MONGO_URL"]!);
  url.pathname = `/bench_${run}`;
  return url.toString();
}

interface App {
  readonly name: string;
  readonly pid: number;
}

interface Sample {
  readonly cpuMs: Map<string, number>;
}

interface Row {
  readonly workload: string;
  readonly connections: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly requests: number;
  readonly cpuPerWebhook: Map<string, number>;
  readonly rss: Map<string, number>;
  readonly ceiling?: number;
  /** Every round of this measurement (--rounds): its req/s, or its p99 at a constant rate. */
  readonly rounds?: readonly number[];
}

/** The median of a measurement's runs: by req/s, or by p99 at a constant rate. */
function medianRun(runs: readonly Row[]): Row {
  const key = (row: Row) => (row.connections === "rate" ? row.p99 : row.rps);
  const sorted = [...runs].sort((a, b) => key(a) - key(b));
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, rounds: runs.map(key) };
}

function stackApps(s: Stack): App[] {
  const named = (name: string, list: readonly ListeningApp[]) =>
    list.map((app, i) => ({ name: list.length > 1 ? `${name}#${i}` : name, pid: app.child.pid! }));
  return [
    ...named("edge", s.edges),
    ...named("auth", s.auth),
    ...named("incident", [s.incident]),
    ...Object.entries(s.normalizers).flatMap(([p, app]) => named(`normalizer-${p}`, [app])),
  ];
}

/** Redis and FerretDB as tools/backends started them (their pid files). */
function backendProcesses(): App[] {
  const run = backendsSetting("RUN_DIR");
  return ["redis", "ferretdb"].map((name) => ({
    name,
    pid: Number(readFileSync(join(run, `${name}.pid`), "utf8").trim()),
  }));
}

/** CPU time (user + system) of each app so far, in ms. */
function sampleCpu(apps: readonly App[]): Sample {
  const ticksMs = 10; // USER_HZ is 100 on Linux
  return {
    cpuMs: new Map(
      apps.map((app) => {
        const stat = readFileSync(`/proc/${app.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return [app.name, (Number(fields[11]) + Number(fields[12])) * ticksMs];
      }),
    ),
  };
}

function rssMb(apps: readonly App[]): Map<string, number> {
  return new Map(
    apps.map((app) => {
      const status = readFileSync(`/proc/${app.pid}/status`, "utf8");
      return [app.name, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024];
    }),
  );
}

async function closedLoop(
  workload: string,
  c: number,
  script: string,
  apps: readonly App[],
  ceiling: number,
): Promise<Row> {
  const file = join(work, `script-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(file, script);
  // Warm-up: JIT, connection pools, caches.
  await wrk(["-t1", `-c${c}`, "-d3s", "-s", file, stack!.edge.url]);
  const before = sampleCpu(apps);
  const out = await wrk([
    "-t1",
    `-c${c}`,
    `-d${duration}s`,
    "--latency",
    "-s",
    file,
    stack!.edge.url,
  ]);
  const after = sampleCpu(apps);
  const result = parseWrk(out);
  return {
    workload,
    connections: String(c),
    ...result,
    cpuPerWebhook: perWebhook(before, after, result.requests),
    rss: rssMb(apps),
    ceiling,
  };
}

async function constantRate(rate: number, apps: readonly App[]): Promise<Row> {
  const targets = join(work, "targets.jsonl");
  const lines: string[] = [];
  for (let i = 0; i < rate * (duration + 3); i++) {
    const key = customKeys[i % INTEGRATIONS]!;
    const dedup = i % 10 < 3 ? `hot-${i % INTEGRATIONS}` : `rate-${run}-${i}`;
    const body = JSON.stringify({
      title: `Bench alert ${i}`,
      service_id: "SER-00001",
      severity: "SEV2",
      dedup_key: dedup,
    });
    lines.push(
      JSON.stringify({
        method: "POST",
        url: `${stack!.edge.url}/webhooks/${key}`,
        body: Buffer.from(body).toString("base64"),
        header: { "Content-Type": ["application/json"] },
      }),
    );
  }
  writeFileSync(targets, lines.join("\n"));
  const before = sampleCpu(apps);
  const report = JSON.parse(
    await shell(
      `${vegeta} attack -format=json -targets=${targets} -rate=${rate}/s -duration=${duration}s -max-workers=256 | ${vegeta} report -type=json`,
    ),
  ) as {
    requests: number;
    throughput: number;
    latencies: { "50th": number; "99th": number };
    status_codes: Record<string, number>;
  };
  const after = sampleCpu(apps);
  const ok = report.status_codes["202"] ?? 0;
  return {
    workload: `custom at ${rate}/s`,
    connections: "rate",
    rps: report.throughput,
    p50: report.latencies["50th"] / 1e6,
    p99: report.latencies["99th"] / 1e6,
    errors: report.requests - ok,
    requests: report.requests,
    cpuPerWebhook: perWebhook(before, after, report.requests),
    rss: rssMb(apps),
  };
}

function perWebhook(before: Sample, after: Sample, requests: number): Map<string, number> {
  return new Map(
    [...after.cpuMs].map(([name, ms]) => [
      name,
      (ms - before.cpuMs.get(name)!) / Math.max(1, requests),
    ]),
  );
}

/** A bare node:http server answering 202 after reading the body: what the hardware allows. */
async function bareCeiling(): Promise<Map<number, number>> {
  const server = spawn(
    process.execPath,
    [
      "-e",
      `require("node:http").createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(202, {"content-type": "application/json"}); res.end('{"status":"accepted"}'); }); }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve) =>
    server.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  const file = join(work, "bare.lua");
  writeFileSync(file, customScript());
  const ceiling = new Map<number, number>();
  try {
    for (const c of connections) {
      const out = await wrk([
        "-t1",
        `-c${c}`,
        `-d${Math.min(duration, 10)}s`,
        "-s",
        file,
        `http://127.0.0.1:${port}`,
      ]);
      ceiling.set(c, parseWrk(out).rps);
    }
  } finally {
    server.kill();
  }
  return ceiling;
}

/** wrk's Lua: one alert per request, over the 50 custom integrations. */
function customScript(): string {
  return `${luaCommon(customKeys)}
request = function()
  counter = counter + 1
  local i = math.random(#keys)
  local dedup
  if math.random() < 0.3 then
    i = math.random(#keys)
    dedup = "hot-" .. i
  else
    dedup = "new-" .. prefix .. "-" .. counter
  end
  local body = string.format('{"title":"Bench alert %d","service_id":"SER-00001","severity":"SEV2","description":"generated by tools/bench/throughput.ts","dedup_key":"%s","metadata":{"region":"eu-west-1","host":"web-%d"}}', counter, dedup, counter % 100)
  return wrk.format("POST", "/webhooks/" .. keys[i], headers, body)
end
`;
}

/** wrk's Lua: Alertmanager groups of 10 alerts, each new (70%) or one of 50 hot ones. */
function alertmanagerScript(): string {
  return `${luaCommon(alertmanagerKeys)}
request = function()
  counter = counter + 1
  local i = math.random(#keys)
  local alerts = {}
  for a = 1, 10 do
    local fingerprint
    if math.random() < 0.3 then
      fingerprint = string.format("hot%02d%02d", i, a)
    else
      fingerprint = string.format("%s%d_%d", prefix, counter, a)
    end
    alerts[a] = string.format('{"status":"firing","labels":{"alertname":"HighLatency","severity":"warning","instance":"web-%d:9100","job":"node","service_id":"SER-00001"},"annotations":{"summary":"p99 latency above 500 ms","description":"generated by tools/bench/throughput.ts"},"startsAt":"2026-11-30T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph","fingerprint":"%s"}', a, fingerprint)
  end
  local body = '{"version":"4","groupKey":"{}:{alertname=\\\\"HighLatency\\\\"}","truncatedAlerts":0,"status":"firing","receiver":"runframe","groupLabels":{"alertname":"HighLatency"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","alerts":[' .. table.concat(alerts, ",") .. ']}'
  return wrk.format("POST", "/webhooks/" .. keys[i], headers, body)
end
`;
}

function luaCommon(routingKeys: readonly string[]): string {
  return `
local keys = { ${routingKeys.map((k) => `"${k}"`).join(", ")} }
local headers = { ["Content-Type"] = "application/json" }
prefix = "${run}" .. tostring(math.random(1000000))
counter = 0
init = function(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  prefix = "${run}" .. tostring(math.random(1000000))
end
`;
}

function wrk(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", argv, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}`)),
    );
  });
}

function shell(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", command], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

function parseWrk(out: string): {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
} {
  const ms = (value: string | undefined) => {
    const match = /([\d.]+)(us|ms|s)/.exec(value ?? "");
    if (!match) {
      return Number.NaN;
    }
    const n = Number(match[1]);
    return match[2] === "us" ? n / 1000 : match[2] === "s" ? n * 1000 : n;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    out,
  );
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: ms(/\s50%\s+(\S+)/.exec(out)?.[1]),
    p99: ms(/\s99%\s+(\S+)/.exec(out)?.[1]),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors:
      Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
      (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

function printTable(
  rows: readonly Row[],
  apps: readonly App[],
  ceiling: Map<number, number>,
): void {
  const names = apps.map((a) => a.name);
  const header = [
    "workload",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    ...names.map((n) => `CPU ms/webhook ${n}`),
    "CPU ms/webhook total",
    ...names.map((n) => `RSS MB ${n}`),
    "vs bare node:http",
    ...(rounds > 1 ? ["each round: req/s (p99 ms at a rate)"] : []),
  ];
  const lines = [header, header.map(() => "---")];
  for (const row of rows) {
    const cpu = names.map((n) => row.cpuPerWebhook.get(n) ?? 0);
    lines.push([
      row.workload,
      row.connections,
      row.rps.toFixed(0),
      row.p50.toFixed(1),
      row.p99.toFixed(1),
      String(row.errors),
      ...cpu.map((v) => v.toFixed(3)),
      cpu.reduce((a, b) => a + b, 0).toFixed(3),
      ...names.map((n) => (row.rss.get(n) ?? 0).toFixed(0)),
      row.ceiling
        ? `${((row.rps / row.ceiling) * 100).toFixed(1)}% of ${row.ceiling.toFixed(0)}/s`
        : "",
      ...(rounds > 1
        ? [(row.rounds ?? []).map((r) => r.toFixed(row.connections === "rate" ? 1 : 0)).join(", ")]
        : []),
    ]);
  }
  process.stdout.write(
    `\nstore: ${args.backends ? "Redis + FerretDB" : "embedded (SQLite, in-memory limits)"}; ` +
      `${preload} incidents preloaded; bare node:http ceiling: ${[...ceiling].map(([c, r]) => `c=${c} ${r.toFixed(0)}/s`).join(", ")}\n\n` +
      lines.map((l) => `| ${l.join(" | ")} |`).join("\n") +
      "\n",
  );
}

/** ListIncidents latency: the first page, and a page deep in the list, filtered by status. */
async function listLatency(s: Stack): Promise<void> {
  const team = createClient(
    IncidentService,
    createConnectTransport({
      baseUrl: s.incident.url,
      httpVersion: "2",
      interceptors: [
        (next) => (req) => (req.header.set("authorization", `Bearer ${apiKey}`), next(req)),
      ],
    }),
  );
  const measure = async (label: string, call: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await call();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    process.stdout.write(
      `ListIncidents ${label}: p50 ${times[100]!.toFixed(1)} ms, p99 ${times[197]!.toFixed(1)} ms\n`,
    );
  };
  let deep = "";
  for (let page = 0; page < 20; page++) {
    const res = await team.listIncidents({
      pageSize: 50,
      pageToken: deep,
      status: IncidentStatus.NEW,
    });
    deep = res.nextPageToken || deep;
  }
  await measure("first page (status NEW, 50)", () =>
    team.listIncidents({ pageSize: 50, status: IncidentStatus.NEW }),
  );
  await measure("page 21 (status NEW, 50)", () =>
    team.listIncidents({ pageSize: 50, pageToken: deep, status: IncidentStatus.NEW }),
  );
}
