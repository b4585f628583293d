/**
 * Every app of docker-compose.yml starts from the build with that service's
 * environment and nothing else: the settings validate, the mounted
 * provisioning file applies, and the process serves /healthz. Only what
 * cannot exist outside Docker is swapped: the bind address and ports (free
 * ones on loopback), MongoDB and Redis (the test servers; FerretDB is no
 * replica set) and the bootstrap path (its host side).
 */
import { APP_NAMES, appBundle } from "@runframe/platform/apps";
import { backendUrl, repoRoot, storageEnv } from "@runframe/platform/testing";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { appServices, bindMounts, environment, loadCompose } from "./compose.js";

const file = loadCompose({
  RUNFRAME_INTERNAL_TOKEN: randomBytes(32).toString("base64"),
  RUNFRAME_SECRET_KEY: randomBytes(32).toString("base64"),
});
const running: ChildProcess[] = [];

afterEach(async () => {
  const alive = running
    .splice(0)
    .filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(
    alive.map((child) => {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      return exited;
    }),
  );
});

describe("docker-compose.yml's environment", () => {
  it.each(APP_NAMES)("starts %s from the build", async (app) => {
    const [name, service] = appServices(file).get(app)!;
    const env = environment(service);
    const local: Record<string, string> = { ...env, HOST: "127.0.0.1", PORT: "0" };
    if (app !== "edge") {
      local["ADMIN_PORT"] = "0";
    }
    if (env["MONGO_URL"]) {
      local["MONGO_URL"] = storageEnv()["MONGO_URL"]!;
    }
    if (env["REDIS_URL"]) {
      local["REDIS_URL"] = backendUrl("REDIS_URL");
    }
    if (env["RUNFRAME_BOOTSTRAP"]) {
      local["RUNFRAME_BOOTSTRAP"] = join(
        repoRoot,
        bindMounts(service).get(env["RUNFRAME_BOOTSTRAP"])!,
      );
    }
    const child = spawn(process.execPath, ["--enable-source-maps", appBundle(app)], {
      cwd: repoRoot,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...local },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const logs: Record<string, unknown>[] = [];
    const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry["msg"] === "listening") {
          resolve(entry);
        }
      });
      child.once("exit", (code) => reject(new Error(`${name} exited (${code}): ${stderr}`)));
    });
    const line = await listening;
    if (env["RUNFRAME_BOOTSTRAP"]) {
      expect(logs.map((l) => l["msg"])).toContain("provisioning applied");
    }
    const admin = Number(line["adminPort"] ?? line["port"]);
    expect((await fetch(`http://127.0.0.1:${admin}/healthz`)).status).toBe(200);

    const exited = once(child, "exit");
    child.kill("SIGTERM");
    expect((await exited)[0]).toBe(0);
  });
});
