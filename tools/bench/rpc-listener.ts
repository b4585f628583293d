/**
 * Unary calls per second, and CPU time per call (client and server share
 * this process, so it counts both and is less swayed by other load), over h2c through the dual HTTP/1.1 + HTTP/2
 * listener of every RPC port, against a bare `http2.createServer` with the
 * same Connect handler (what the port was before it spoke HTTP/1.1). One
 * HTTP/2 session, `--concurrency` calls in flight, Connect and gRPC, the
 * two listeners alternated so drift hits both alike. Run by hand:
 *
 *   node --import tsx tools/bench/rpc-listener.ts --calls 20000 --concurrency 32
 */
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import {
  connectNodeAdapter,
  createConnectTransport,
  createGrpcTransport,
} from "@connectrpc/connect-node";
import { NormalizeResponseSchema, NormalizerService } from "@runframe/contracts";
import { listenHttp1And2 } from "@runframe/platform";
import { createServer, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);

const handler = connectNodeAdapter({
  routes(router) {
    router.service(NormalizerService, { normalize: () => create(NormalizeResponseSchema) });
  },
});

async function bare(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer(handler);
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session) => sessions.add(session));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        sessions.forEach((session) => session.close());
      }),
  };
}

async function dual(): Promise<{ port: number; close(): Promise<void> }> {
  const listener = await listenHttp1And2(handler, { host: "127.0.0.1", port: 0 });
  return { port: listener.port, close: () => listener.close(1000) };
}

async function run(
  port: number,
  protocol: "connect" | "grpc",
): Promise<{ rate: number; cpuMicros: number }> {
  const options = { baseUrl: `http://127.0.0.1:${port}`, httpVersion: "2" as const };
  const client = createClient(
    NormalizerService,
    protocol === "grpc" ? createGrpcTransport(options) : createConnectTransport(options),
  );
  for (let i = 0; i < 500; i++) {
    await client.normalize({}); // warm up
  }
  let next = 0;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        await client.normalize({});
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return {
    rate: calls / (Number(process.hrtime.bigint() - started) / 1e9),
    cpuMicros: (used.user + used.system) / calls,
  };
}

for (const protocol of ["connect", "grpc"] as const) {
  const results: Record<string, { rate: number; cpuMicros: number }[]> = {
    "http2.createServer": [],
    "HTTP/1.1 + h2c": [],
  };
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, start] of [
      ["http2.createServer", bare],
      ["HTTP/1.1 + h2c", dual],
    ] as const) {
      const server = await start();
      results[name]!.push(await run(server.port, protocol));
      await server.close();
    }
  }
  for (const [name, runs] of Object.entries(results)) {
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    console.log(
      `${protocol.padEnd(7)} ${name.padEnd(18)} median ${Math.round(median(runs.map((r) => r.rate)))} calls/s, ` +
        `${median(runs.map((r) => r.cpuMicros)).toFixed(0)} µs CPU per call (${runs.length} rounds)`,
    );
  }
}
