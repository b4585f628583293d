/**
 * What one bare unary call between services costs the caller, with the
 * balancing transport and without it:
 *
 *   node --import tsx tools/bench/internal-call.ts [--calls 500] [--rounds 60]
 *        [--concurrency 1,32] [--protocol connect|grpc]
 *
 * Two NormalizerService replicas run as their own processes, so the CPU this
 * process spends (process.cpuUsage) is the client's alone. Variants:
 * - `single session`: connect-node's transport with its own session manager,
 *   as createInternalTransport built it before balancing (one HTTP/2 session);
 * - `balanced, 1 replica` and `balanced, 2 replicas`: createInternalTransport.
 * Short rounds interleave the variants so load from elsewhere on the machine
 * spreads over all of them evenly; the table shows each variant's median round.
 */
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { NormalizerService } from "@runframe/contracts";
import {
  createInternalTransport,
  INTERNAL_MAX_BYTES,
  internalCallInterceptor,
  type RpcProtocol,
} from "@runframe/platform";
import { TestReplica } from "@runframe/platform/testing";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    serve: { type: "boolean", default: false },
    calls: { type: "string", default: "500" },
    concurrency: { type: "string", default: "1,32" },
    protocol: { type: "string", default: "connect" },
    rounds: { type: "string", default: "60" },
  },
});

if (values.serve) {
  const replica = await TestReplica.start();
  process.stdout.write(`${replica.url}\n`);
} else {
  await bench();
}

async function bench(): Promise<void> {
  const token = "b".repeat(32);
  const protocol = values.protocol as RpcProtocol;
  const replicas = await Promise.all([startReplica(), startReplica()]);
  const [a, b] = replicas.map((r) => r.url) as [string, string];

  const variants: Record<string, Transport> = {
    "single session": singleSession(a, token, protocol),
    "balanced, 1 replica": createInternalTransport({ baseUrl: a, token, protocol }),
    "balanced, 2 replicas": createInternalTransport({ baseUrl: `${a},${b}`, token, protocol }),
  };
  const calls = Number(values.calls);
  const rows: string[] = [];
  for (const concurrency of values.concurrency.split(",").map(Number)) {
    const results = new Map<string, Round[]>();
    for (const [name, transport] of Object.entries(variants)) {
      await run(transport, Math.min(calls, 2_000), concurrency); // warm-up: JIT, sessions
      results.set(name, []);
    }
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const [name, transport] of Object.entries(variants)) {
        results.get(name)!.push(await run(transport, calls, concurrency));
      }
    }
    for (const [name, rounds] of results) {
      const median = rounds.sort((x, y) => x.cpuMicros - y.cpuMicros)[rounds.length >> 1]!;
      rows.push(
        `| ${name} | ${concurrency} | ${median.cpuMicros.toFixed(1)} µs | ${Math.round(median.perSecond)} |`,
      );
    }
  }
  process.stdout.write(
    [
      `${protocol}, ${calls} calls per round, median of ${values.rounds} rounds`,
      "",
      "| transport | concurrency | client CPU per call | calls/s |",
      "| --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n"),
  );
  for (const replica of replicas) {
    replica.child.kill();
  }
}

/** What createInternalTransport was before balancing: one connect-node session per URL. */
function singleSession(baseUrl: string, token: string, protocol: RpcProtocol): Transport {
  const options = {
    baseUrl,
    httpVersion: "2" as const,
    useBinaryFormat: true,
    interceptors: [internalCallInterceptor(token)],
    pingIntervalMs: 30_000,
    readMaxBytes: INTERNAL_MAX_BYTES,
  };
  return protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport(options);
}

interface Round {
  readonly cpuMicros: number;
  readonly perSecond: number;
}

async function run(transport: Transport, calls: number, concurrency: number): Promise<Round> {
  const client = createClient(NormalizerService, transport);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        await client.normalize({});
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / calls, perSecond: calls / seconds };
}

async function startReplica() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--serve"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const [url] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
  return { child, url };
}
