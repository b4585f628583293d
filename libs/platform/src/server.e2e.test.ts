import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { NormalizerService } from "@runframe/contracts";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createInternalClient, internalCallInterceptor } from "./index.js";
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

describe("HTTP/1.1 beside HTTP/2 on the RPC port", () => {
  let app: RunningProcess | undefined;
  afterEach(() => app?.stop("SIGKILL"));

  it("drains HTTP/1.1 connections too: the in-flight call completes, then the process exits", async () => {
    const token = randomToken();
    app = startProcess("libs/platform/src/testing/slow-app.ts", {
      PORT: "0",
      ADMIN_PORT: "0",
      RUNFRAME_INTERNAL_TOKEN: token,
    });
    const listening = await waitFor(app, "listening");
    const client = createClient(
      NormalizerService,
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${String(listening["rpcPort"])}`,
        httpVersion: "1.1",
        interceptors: [internalCallInterceptor(token)],
      }),
    );
    await client.normalize({}); // leaves an idle keep-alive connection behind
    const inFlight = client.normalize({}, { headers: { "x-delay-ms": "1000" } });
    await sleep(200);
    const killed = Date.now();
    app.child.kill("SIGTERM");
    await expect(inFlight).resolves.toMatchObject({ alerts: [] });
    expect(await app.exited).toBe(0);
    // Idle keep-alive connections are closed at once, not after their 5 s timeout.
    expect(Date.now() - killed).toBeLessThan(3_000);
  });

  it("serves TLS with ALPN h2 (gRPC) and http/1.1 (Connect) from certificate settings", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runframe-tls-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ...[
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
        ],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      ],
      { stdio: "ignore" },
    );
    const token = randomToken();
    app = startProcess("libs/platform/src/testing/slow-app.ts", {
      PORT: "0",
      ADMIN_PORT: "0",
      RUNFRAME_INTERNAL_TOKEN: token,
      RUNFRAME_TLS_CERT_FILE: join(dir, "cert.pem"),
      RUNFRAME_TLS_KEY_FILE: join(dir, "key.pem"),
    });
    const listening = await waitFor(app, "listening");
    expect(listening["tls"]).toBe(true);
    const baseUrl = `https://127.0.0.1:${String(listening["rpcPort"])}`;
    const ca = readFileSync(join(dir, "cert.pem"));
    const interceptors = [internalCallInterceptor(token)];
    const grpc = createClient(
      NormalizerService,
      createGrpcTransport({ baseUrl, nodeOptions: { ca }, interceptors }),
    );
    const connect = createClient(
      NormalizerService,
      createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca }, interceptors }),
    );
    await expect(grpc.normalize({})).resolves.toMatchObject({ alerts: [] });
    await expect(connect.normalize({})).resolves.toMatchObject({ alerts: [] });
  });

  it("refuses to start with a certificate but no key", async () => {
    app = startProcess("libs/platform/src/testing/slow-app.ts", {
      PORT: "0",
      ADMIN_PORT: "0",
      RUNFRAME_INTERNAL_TOKEN: randomToken(),
      RUNFRAME_TLS_CERT_FILE: "/nonexistent/cert.pem",
    });
    expect(await app.exited).toBe(78);
    expect(app.stderr()).toContain("RUNFRAME_TLS_KEY_FILE");
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
