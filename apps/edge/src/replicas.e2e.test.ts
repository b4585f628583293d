import type { Client } from "@connectrpc/connect";
import { IncidentService } from "@runframe/contracts";
import {
  repoRoot,
  startStack,
  teamClient,
  type ListeningApp,
  type Stack,
} from "@runframe/platform/testing";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const apiKey = "replicas-api-key-00000000000000000000000000";
const keys = {
  custom: `custom-${randomBytes(24).toString("base64url")}`,
  datadog: `dd-${randomBytes(24).toString("base64url")}`,
};

/** Normalize calls a normalizer replica has served, from its own /metrics. */
async function normalizeCalls(app: ListeningApp): Promise<number> {
  const text = await (await fetch(`${app.adminUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("rpc_server_duration_seconds_count{"))
    .filter((l) => l.includes('method="Normalize"'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly dedupKey: string;
  readonly incidentId: string | undefined;
}

describe("the edge with replicated and missing normalizers", () => {
  let stack: Stack;
  let team: Client<typeof IncidentService>;
  let custom: readonly ListeningApp[];

  beforeAll(async () => {
    stack = await startStack({
      normalizers: ["custom", "datadog"],
      replicas: { normalizers: { custom: 2 } },
      bootstrap: {
        organizations: [
          {
            id: "org-replicas",
            name: "Replicas",
            apiKeys: [{ id: "key-replicas", secret: apiKey, role: "admin" }],
            services: [{ id: "SER-00001", name: "Checkout" }],
            integrations: [
              {
                id: "int-custom",
                type: "custom",
                name: "Load",
                routingKey: keys.custom,
                defaultServiceId: "SER-00001",
                rateLimitPerMinute: 100_000,
              },
              {
                id: "int-dd",
                type: "datadog",
                name: "DD",
                routingKey: keys.datadog,
                defaultServiceId: "SER-00001",
              },
            ],
          },
        ],
      },
    });
    custom = stack.normalizerReplicas["custom"]!;
    team = teamClient(IncidentService, stack.incident.url, apiKey);
  });
  afterAll(() => stack?.stop());

  const send = async (dedupKey: string): Promise<Answer> => {
    const res = await stack.webhook(
      keys.custom,
      JSON.stringify({ title: "replica load", service_id: "SER-00001", dedup_key: dedupKey }),
    );
    const body = (await res.json()) as { incidents?: { id: string }[] };
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      dedupKey,
      incidentId: body.incidents?.[0]?.id,
    };
  };

  it("spreads Normalize calls over both normalizer-custom replicas", async () => {
    const before = await Promise.all(custom.map(normalizeCalls));
    for (let i = 0; i < 20; i++) {
      expect((await send(`spread-${i}`)).status).toBe(202);
    }
    const served = (await Promise.all(custom.map(normalizeCalls))).map((n, i) => n - before[i]!);
    console.info(`Normalize calls per normalizer-custom replica: ${served.join(" / ")}`);
    expect(served[0]! + served[1]!).toBe(20);
    expect(Math.min(...served)).toBeGreaterThanOrEqual(5);
  });

  it("loses nothing answered 2xx when a replica is killed mid-load; only calls caught by the kill get 503/504", async () => {
    const [victim, survivor] = custom as [ListeningApp, ListeningApp];
    const survivorBefore = await normalizeCalls(survivor);
    const answers: Answer[] = [];
    let next = 0;
    let stop = false;
    const workers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        answers.push(await send(`kill-${next++}`));
      }
    });
    const until = async (count: number) => {
      while (answers.length < count) {
        await sleep(10);
      }
    };
    await until(40);
    await victim.stop("SIGKILL");
    const atKill = answers.length;
    await until(atKill + 80);
    stop = true;
    await Promise.all(workers);

    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status !== 202);
    for (const answer of refused) {
      expect([503, 504]).toContain(answer.status);
      expect(answer.retryAfter).toMatch(/^\d+$/);
    }
    const stored = await Promise.all(
      accepted.map(async (a) => (await team.getIncident({ incidentId: a.incidentId! })).incident),
    );
    const lost = accepted.filter((a, i) => stored[i]?.dedupKey !== a.dedupKey);
    console.info(
      `kill -9 of one normalizer-custom replica mid-load: ${answers.length} webhooks, ` +
        `accepted ${accepted.length}, refused ${refused.length} (${refused.map((a) => a.status).join(", ") || "none"}), lost ${lost.length}`,
    );
    expect(lost).toEqual([]);
    // Only requests in flight at the kill can be refused; traffic goes on on the survivor.
    expect(refused.length).toBeLessThanOrEqual(8);
    expect(answers.slice(atKill + 8).every((a) => a.status === 202)).toBe(true);
    expect(await normalizeCalls(survivor)).toBeGreaterThanOrEqual(survivorBefore + 60);
  });

  it("stays ready without a normalizer, answering only that provider's webhooks 503", async () => {
    const readiness = async () => {
      const res = await fetch(`${stack.edge.url}/readyz`);
      return { status: res.status, body: (await res.json()) as { degraded?: string[] } };
    };
    // This stack runs no sentry, prometheus or cloudwatch normalizer at all.
    expect((await readiness()).body.degraded).not.toContain("normalizer-datadog");
    await stack.normalizers["datadog"]!.stop("SIGKILL");

    const ready = await readiness();
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready" });
    expect(ready.body.degraded).toContain("normalizer-datadog");
    expect(ready.body.degraded).not.toContain("normalizer-custom");
    expect((await fetch(`${stack.edge.url}/healthz`)).status).toBe(200);

    const fixture = JSON.parse(
      readFileSync(
        join(repoRoot, "libs/normalizers/datadog/src/fixtures/default-template-triggered.json"),
        "utf8",
      ),
    ) as { body: unknown };
    const datadog = await stack.webhook(keys.datadog, JSON.stringify(fixture.body));
    expect(datadog.status).toBe(503);
    expect(datadog.headers.get("retry-after")).toBe("5");
    expect(await datadog.json()).toEqual({
      error: { code: "unavailable", message: "temporarily unavailable; retry later" },
    });

    expect((await send("still-custom")).status).toBe(202);
  });
});
