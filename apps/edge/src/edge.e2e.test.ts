import { randomToken, startApp, storageEnv, type ListeningApp } from "@runframe/platform/testing";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const routingKey = "dev-routing-key-0000000000000000000000000";

describe("edge calling auth over gRPC, each as its own process", () => {
  const token = randomToken();
  let auth: ListeningApp;
  let edge: ListeningApp;
  let misconfiguredEdge: ListeningApp;

  beforeAll(async () => {
    auth = await startApp("auth", {
      ...storageEnv(),
      RUNFRAME_INTERNAL_TOKEN: token,
      LOG_LEVEL: "debug",
    });
    [edge, misconfiguredEdge] = await Promise.all([
      startApp("edge", {
        RUNFRAME_INTERNAL_TOKEN: token,
        RUNFRAME_AUTH_URL: auth.url,
        RUNFRAME_RPC_PROTOCOL: "grpc",
        RUNFRAME_MAX_BODY_BYTES: "1024",
        RUNFRAME_BODY_TIMEOUT_MS: "600",
        RUNFRAME_HEADERS_TIMEOUT_MS: "500",
      }),
      startApp("edge", {
        RUNFRAME_INTERNAL_TOKEN: randomToken(),
        RUNFRAME_AUTH_URL: auth.url,
        RUNFRAME_RPC_PROTOCOL: "grpc",
      }),
    ]);
  });
  afterAll(() => Promise.all([edge, misconfiguredEdge, auth].map((a) => a?.stop())));

  const post = (app: ListeningApp, init: RequestInit = {}, key = routingKey) =>
    fetch(`${app.url}/webhooks/${key}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      ...init,
    });

  it("reaches auth with the service credential; auth refuses the unknown key with 401", async () => {
    const res = await post(edge);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: "routing_key_invalid", message: "unknown or disabled routing key" },
    });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 503 with Retry-After when auth refuses its credential", async () => {
    const res = await post(misconfiguredEdge);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    const body = await res.text();
    expect(body).not.toMatch(/credential|token|stack/i);
    await expect
      .poll(() =>
        auth.logs.some((l) => l["msg"] === "rpc failed" && l["code"] === "unauthenticated"),
      )
      .toBe(true);
    // The log line may arrive a moment after the answer: poll for it.
    await expect
      .poll(() => misconfiguredEdge.logs.some((l) => l["msg"] === "webhook failed"))
      .toBe(true);
  });

  it("carries the caller's request id to auth", async () => {
    await post(edge, {
      headers: { "content-type": "application/json", "x-request-id": "trace-abc-123" },
    });
    await expect
      .poll(() =>
        auth.logs.some(
          (l) => l["requestId"] === "trace-abc-123" && l["code"] === "unauthenticated",
        ),
      )
      .toBe(true);
  });

  it("refuses other methods with 405 and an Allow header", async () => {
    const res = await fetch(`${edge.url}/webhooks/${routingKey}`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("refuses unsupported content types with 415", async () => {
    const res = await post(edge, { headers: { "content-type": "application/xml" } });
    expect(res.status).toBe(415);
  });

  it("refuses a body over the limit with 413", async () => {
    const res = await post(edge, { body: JSON.stringify({ title: "x".repeat(2000) }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("answers 408 and closes the connection when a body trickles in too slowly", async () => {
    const { port } = new URL(edge.url);
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.write(
      `POST /webhooks/${routingKey} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n`,
    );
    const started = Date.now();
    const drip = setInterval(() => socket.writable && socket.write(" "), 100);
    await closed;
    clearInterval(drip);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"request_timeout"');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("answers 408 and closes the connection when headers trickle in too slowly", async () => {
    const { port } = new URL(edge.url);
    const socket = connect(Number(port), "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    const closed = new Promise<boolean>((resolve) => socket.once("close", () => resolve(true)));
    socket.write(`POST /webhooks/${routingKey} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
    const started = Date.now();
    // One header byte every 100 ms keeps the socket busy but never ends the headers.
    const drip = setInterval(() => socket.writable && socket.write("a"), 100);
    const gaveUp = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000));
    const wasClosed = await Promise.race([closed, gaveUp]);
    clearInterval(drip);
    socket.destroy();
    expect(wasClosed, "the edge still held the connection open after 5 s").toBe(true);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("refuses something that cannot be a routing key with 401", async () => {
    const res = await post(edge, {}, "short");
    expect(res.status).toBe(401);
  });

  it("is not ready while services behind it are missing", async () => {
    const res = await fetch(`${edge.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { failing: string[] };
    expect(body.failing).toContain("incident");
    expect(body.failing).not.toContain("auth");
  });
});
