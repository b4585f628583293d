/**
 * Latency and throughput of one webhook through the whole path
 * (edge → auth → normalizer → incident → store), against a running stack:
 *
 *   npm start                     # in another terminal (or any deployment)
 *   node --import tsx tools/bench/webhook-latency.ts [--requests 2000] [--concurrency 1]
 *
 * It creates its own custom integration through the team API (so the
 * published 100/minute limit does not throttle it), sends warm-up requests,
 * then measures. Scenarios: `create` (no dedup key: a new incident each) and
 * `update` (one dedup key: every request adds an occurrence).
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IntegrationService, IntegrationType } from "@runframe/contracts";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    edge: { type: "string", default: "http://127.0.0.1:3000" },
    auth: { type: "string", default: "http://127.0.0.1:7001" },
    "api-key": { type: "string", default: "rf_dev_api_key_0000000000000000000000000000" },
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "1" },
    scenario: { type: "string", default: "create,update" },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);

const integrations = createClient(
  IntegrationService,
  createConnectTransport({
    baseUrl: values.auth,
    httpVersion: "2",
    interceptors: [
      (next) => (req) => (
        req.header.set("authorization", `Bearer ${values["api-key"]}`),
        next(req)
      ),
    ],
  }),
);
const { routingKey } = await integrations.createIntegration({
  type: IntegrationType.CUSTOM,
  name: `bench ${new Date().toISOString()}`,
  defaultServiceId: "SER-00001",
  rateLimitPerMinute: 100_000,
});
const url = `${values.edge}/webhooks/${routingKey}`;

for (const scenario of values.scenario.split(",")) {
  const body = (i: number) =>
    JSON.stringify({
      title: `bench ${scenario} ${i}`,
      service_id: "SER-00001",
      severity: "SEV3",
      ...(scenario === "update" && { dedup_key: `bench-${routingKey.slice(0, 8)}` }),
    });
  await run(200, body); // warm-up: JIT, connection pools, indexes
  const started = performance.now();
  const latencies = await run(requests, body);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  console.log(
    `${scenario.padEnd(6)} n=${requests} c=${concurrency}  p50=${pct(50).toFixed(2)}ms  p90=${pct(90).toFixed(2)}ms  ` +
      `p99=${pct(99).toFixed(2)}ms  max=${latencies.at(-1)!.toFixed(2)}ms  ${(requests / seconds).toFixed(0)} req/s`,
  );
}

async function run(count: number, body: (i: number) => string): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(i),
      });
      await res.arrayBuffer();
      if (res.status !== 202) {
        throw new Error(`request ${i}: HTTP ${res.status}`);
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}
