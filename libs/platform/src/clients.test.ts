import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { NormalizerService } from "@runframe/contracts";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Resolver } from "./balancer.js";
import {
  createInternalTransport,
  type InternalTransport,
  type InternalTransportOptions,
  type RpcProtocol,
} from "./clients.js";
import { TestReplica } from "./testing/replica.js";

const token = "t".repeat(32);

describe.each<RpcProtocol>(["connect", "grpc"])(
  "internal clients balance over replicas (%s)",
  (protocol) => {
    const replicas: TestReplica[] = [];
    const transports: InternalTransport[] = [];
    afterEach(async () => {
      for (const transport of transports.splice(0)) {
        transport.close();
      }
      for (const replica of replicas.splice(0)) {
        replica.kill();
      }
    });

    async function start(count: number, host = "127.0.0.1", port = 0): Promise<TestReplica[]> {
      const started: TestReplica[] = [];
      for (let i = 0; i < count; i++) {
        started.push(await TestReplica.start(host, port));
      }
      replicas.push(...started);
      return started;
    }

    function client(baseUrl: string, balancing: InternalTransportOptions["balancing"] = {}) {
      const transport = createInternalTransport({
        baseUrl,
        token,
        protocol,
        balancing: {
          backoffInitialMs: 50,
          backoffMaxMs: 200,
          healthCheckIntervalMs: 0,
          ...balancing,
        },
      });
      transports.push(transport);
      return { transport, normalizer: createClient(NormalizerService, transport) };
    }

    const urls = (list: readonly TestReplica[]) => list.map((r) => r.url).join(",");
    const counts = (list: readonly TestReplica[]) => list.map((r) => r.calls);

    it("spreads calls evenly over every replica of a list", async () => {
      const list = await start(3);
      const { normalizer } = client(urls(list));
      for (let i = 0; i < 30; i++) {
        await normalizer.normalize({});
      }
      expect(counts(list)).toEqual([10, 10, 10]);

      await Promise.all(Array.from({ length: 60 }, () => normalizer.normalize({})));
      expect(counts(list)).toEqual([30, 30, 30]);
    });

    it("keeps every call succeeding when a replica dies, and stops sending to it", async () => {
      const list = await start(3);
      const { normalizer, transport } = client(urls(list));
      await Promise.all(Array.from({ length: 30 }, () => normalizer.normalize({})));
      const [dead, ...alive] = list as [TestReplica, ...TestReplica[]];
      dead.kill();
      const before = dead.calls;
      // Calls already on the dead connection fail (they may have been
      // processed); calls once the client has seen the connection close must not.
      await sleep(50);

      const results = await Promise.allSettled(
        Array.from({ length: 60 }, () => normalizer.normalize({})),
      );
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      expect(dead.calls).toBe(before);
      expect(alive.map((r) => r.calls).reduce((a, b) => a + b)).toBe(20 + 60);
      expect(transport.endpoints().find((e) => e.address.endsWith(`:${dead.port}`))).toMatchObject({
        healthy: false,
        reason: expect.stringMatching(/ECONNREFUSED/) as string,
      });
      // What batched calls size their concurrency by (oneBatchPerReplica).
      expect(transport.healthyCount()).toBe(2);
    });

    it("sends traffic to a replica again once it is back", async () => {
      const list = await start(2);
      const { normalizer, transport } = client(urls(list));
      const [flaky, steady] = list as [TestReplica, TestReplica];
      flaky.kill();
      for (let i = 0; i < 10; i++) {
        await normalizer.normalize({});
      }
      expect(counts(list)).toEqual([0, 10]);

      await flaky.restart();
      await expect.poll(() => transport.endpoints().every((e) => e.healthy)).toBe(true);
      for (let i = 0; i < 10; i++) {
        await normalizer.normalize({});
      }
      expect(flaky.calls).toBe(5);
      expect(steady.calls).toBe(15);
    });

    it("lets a replica back after one probe however many calls failed on it", async () => {
      const list = await start(2);
      const { normalizer, transport } = client(urls(list), { backoffMaxMs: 60_000 });
      const [flaky] = list as [TestReplica, TestReplica];
      await normalizer.normalize({});
      flaky.kill();
      await sleep(50);
      await Promise.all(Array.from({ length: 100 }, () => normalizer.normalize({})));
      await flaky.restart();
      // The first probe comes 40–60 ms after the ejection, and the next ones
      // would have been seconds later had each failed call counted.
      await expect
        .poll(() => transport.endpoints().every((e) => e.healthy), { timeout: 1_000 })
        .toBe(true);
    });

    it("balances over every address a host name resolves to, and follows changes", async () => {
      const [first] = await start(1, "127.0.0.1");
      const port = first!.port;
      const more = [...(await start(1, "127.0.0.2", port)), ...(await start(1, "127.0.0.3", port))];
      let addresses = ["127.0.0.1", "127.0.0.2"];
      const lookups: string[] = [];
      const resolver: Resolver = async (host) => {
        lookups.push(host);
        return addresses;
      };
      const { normalizer, transport } = client(`http://normalizer.test:${port}`, {
        resolver,
        resolveIntervalMs: 50,
      });
      for (let i = 0; i < 10; i++) {
        await normalizer.normalize({});
      }
      expect(lookups[0]).toBe("normalizer.test");
      expect([first!.calls, more[0]!.calls, more[1]!.calls]).toEqual([5, 5, 0]);

      addresses = ["127.0.0.2", "127.0.0.3"];
      await expect
        .poll(() => transport.endpoints().map((e) => e.address))
        .toEqual([`127.0.0.2:${port}`, `127.0.0.3:${port}`]);
      for (let i = 0; i < 10; i++) {
        await normalizer.normalize({});
      }
      expect([first!.calls, more[0]!.calls, more[1]!.calls]).toEqual([5, 10, 5]);
    });

    it("keeps the last addresses when resolution fails", async () => {
      const [replica] = await start(1);
      let fail = false;
      const { normalizer, transport } = client(`http://svc.test:${replica!.port}`, {
        resolver: async () => {
          if (fail) {
            throw Object.assign(new Error("getaddrinfo EAI_AGAIN svc.test"), { code: "EAI_AGAIN" });
          }
          return ["127.0.0.1"];
        },
        resolveIntervalMs: 20,
      });
      await normalizer.normalize({});
      fail = true;
      await sleep(100);
      await normalizer.normalize({});
      expect(transport.endpoints()).toEqual([
        { address: `127.0.0.1:${replica!.port}`, healthy: true },
      ]);
      expect(replica!.calls).toBe(2);
    });

    it("does not retry a call that reached a server, even when the server then died", async () => {
      const list = await start(2);
      const { normalizer } = client(urls(list));
      for (const replica of list) {
        replica.behaviour = () => replica.kill();
      }
      await expect(normalizer.normalize({})).rejects.toBeInstanceOf(ConnectError);
      expect(list[0]!.calls + list[1]!.calls).toBe(1);
    });

    it("does not retry a call that a server answered with an error", async () => {
      const list = await start(2);
      const { normalizer } = client(urls(list));
      for (const replica of list) {
        replica.behaviour = () => {
          throw new ConnectError("store down", Code.Unavailable);
        };
      }
      await expect(normalizer.normalize({})).rejects.toMatchObject({ code: Code.Unavailable });
      expect(list[0]!.calls + list[1]!.calls).toBe(1);
    });

    it("sends a call again when a server refused its stream unprocessed", async () => {
      const [replica] = await start(1);
      replica!.refuseNext = 2;
      const { normalizer } = client(replica!.url);
      await expect(normalizer.normalize({})).resolves.toBeDefined();
      expect(replica!.calls).toBe(1);
      expect(replica!.refuseNext).toBe(0);
    });

    it("loses no call while a replica drains (rolling restart)", async () => {
      const list = await start(2);
      const [leaving, staying] = list as [TestReplica, TestReplica];
      leaving.behaviour = () => sleep(20);
      const { normalizer } = client(urls(list));
      let stop = false;
      const failures: unknown[] = [];
      let done = 0;
      const workers = Array.from({ length: 8 }, async () => {
        while (!stop) {
          await normalizer.normalize({}).then(
            () => done++,
            (error: unknown) => failures.push(error),
          );
        }
      });
      await sleep(100);
      await leaving.drain();
      const drainedAt = done;
      await sleep(100);
      stop = true;
      await Promise.all(workers);
      expect(failures).toEqual([]);
      expect(done).toBeGreaterThan(drainedAt);
      expect(staying.calls).toBeGreaterThan(0);
    });

    it("fails fast with UNAVAILABLE when no replica can be reached", async () => {
      const list = await start(2);
      for (const replica of list) {
        replica.kill();
      }
      const { normalizer } = client(urls(list));
      const started = Date.now();
      await expect(normalizer.normalize({})).rejects.toMatchObject({
        code: Code.Unavailable,
        rawMessage: expect.stringMatching(/no endpoint reachable \(2 tried\)/) as string,
      });
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it("moves on from an address that does not answer within the connect timeout", async () => {
      const [replica] = await start(1);
      // 192.0.2.0/24 is TEST-NET-1: never routed, so the handshake cannot finish.
      const { normalizer } = client(`http://192.0.2.1:${replica!.port},${replica!.url}`, {
        connectTimeoutMs: 200,
      });
      for (let i = 0; i < 4; i++) {
        await normalizer.normalize({});
      }
      expect(replica!.calls).toBe(4);
    });

    it("is ready while one replica serves, and not when none does", async () => {
      const list = await start(2);
      const { transport, normalizer } = client(urls(list));
      await expect(transport.ready()).resolves.toBeUndefined();

      list[0]!.health.drain();
      await expect(transport.ready()).resolves.toBeUndefined();
      expect(transport.endpoints().map((e) => e.healthy)).toEqual([false, true]);
      for (let i = 0; i < 4; i++) {
        await normalizer.normalize({});
      }
      expect(counts(list)).toEqual([0, 4]);

      list[1]!.kill();
      await expect(transport.ready()).rejects.toThrow(/^no replica serving \(.*NOT_SERVING; /);
    });
  },
);

describe("internal clients over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "runframe-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      "key.pem",
      "-out",
      "cert.pem",
      "-subj",
      "/CN=normalizer.test",
      "-addext",
      "subjectAltName=DNS:normalizer.test",
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  const tls = {
    key: readFileSync(join(dir, "key.pem"), "utf8"),
    cert: readFileSync(join(dir, "cert.pem"), "utf8"),
  };
  const replicas: TestReplica[] = [];
  const transports: InternalTransport[] = [];
  afterEach(() => {
    transports.splice(0).forEach((t) => t.close());
    replicas.splice(0).forEach((r) => r.kill());
  });

  async function twoReplicas(): Promise<number> {
    const first = await TestReplica.start("127.0.0.1", 0, tls);
    replicas.push(first, await TestReplica.start("127.0.0.2", first.port, tls));
    return first.port;
  }

  it("dials every address of the name and verifies the certificate against the name", async () => {
    const port = await twoReplicas();
    const transport = createInternalTransport({
      baseUrl: `https://normalizer.test:${port}`,
      token,
      balancing: {
        resolver: async () => ["127.0.0.1", "127.0.0.2"],
        tls: { ca: tls.cert },
        healthCheckIntervalMs: 0,
      },
    });
    transports.push(transport);
    const normalizer = createClient(NormalizerService, transport);
    for (let i = 0; i < 4; i++) {
      await normalizer.normalize({});
    }
    expect(replicas.map((r) => r.calls)).toEqual([2, 2]);
  });

  it("refuses a server whose certificate it does not trust", async () => {
    const port = await twoReplicas();
    const transport = createInternalTransport({
      baseUrl: `https://normalizer.test:${port}`,
      token,
      balancing: { resolver: async () => ["127.0.0.1", "127.0.0.2"], healthCheckIntervalMs: 0 },
    });
    transports.push(transport);
    await expect(createClient(NormalizerService, transport).normalize({})).rejects.toMatchObject({
      code: Code.Unavailable,
    });
    expect(transport.endpoints()[0]?.reason).toMatch(/self.signed certificate/);
    expect(replicas.map((r) => r.calls)).toEqual([0, 0]);
  });
});
