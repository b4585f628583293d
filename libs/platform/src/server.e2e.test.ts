import { Code, ConnectError } from "@connectrpc/connect";
import { NormalizerService } from "@runframe/contracts";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createInternalClient } from "./clients.js";
import { randomToken, startProcess, type RunningProcess } from "./testing/index.js";

describe("graceful shutdown", () => {
  let app: RunningProcess | undefined;
  afterEach(() => app?.stop("SIGKILL"));

  it("lets an in-flight call complete when SIGTERM arrives, then refuses new calls", async () => {
    const token = randomToken();
    app = startProcess("libs/platform/src/testing/slow-app.ts", {
      PORT: "0",
      ADMIN_PORT: "0",
      RUNFRAME_INTERNAL_TOKEN: token,
    });
    const listening = await waitFor(app, "listening");
    const client = createInternalClient(NormalizerService, {
      baseUrl: `http://127.0.0.1:${String(listening["rpcPort"])}`,
      token,
      protocol: "grpc",
    });

    const started = Date.now();
    const inFlight = client.normalize({}, { headers: { "x-delay-ms": "1500" } });
    await sleep(300);
    app.child.kill("SIGTERM");
    await waitFor(app, "draining");

    await expect(inFlight).resolves.toMatchObject({ alerts: [] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(await app.exited).toBe(0);

    const fresh = createInternalClient(NormalizerService, {
      baseUrl: `http://127.0.0.1:${String(listening["rpcPort"])}`,
      token,
      protocol: "grpc",
    });
    await expect(fresh.normalize({})).rejects.toSatisfy(
      (e) => ConnectError.from(e).code === Code.Unavailable,
    );
  });
});

async function waitFor(proc: RunningProcess, msg: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = proc.logs.find((l) => l["msg"] === msg);
    if (line) {
      return line;
    }
    if (Date.now() > deadline || proc.child.exitCode !== null) {
      throw new Error(`no "${msg}" from the process: ${proc.stderr()}`);
    }
    await sleep(10);
  }
}
