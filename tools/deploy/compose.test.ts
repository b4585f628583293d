/**
 * docker-compose.yml, wired statically: no Docker engine runs in CI, so
 * these checks stand in for `docker compose up` (with `docker-compose
 * config` in .ci/run for the schema, and compose.e2e.test.ts starting every
 * app with the file's environment).
 */
import { APP_NAMES, APP_PORTS, defaultAdminPort, type AppName } from "@runframe/platform/apps";
import { repoRoot } from "@runframe/platform/testing";
import { parseBootstrap } from "@runframe/util";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  appServices,
  bindMounts,
  composeText,
  environment,
  loadCompose,
  settingsRead,
  type ComposeFile,
} from "./compose.js";

const vars = {
  RUNFRAME_INTERNAL_TOKEN: "t".repeat(44),
  RUNFRAME_SECRET_KEY: Buffer.alloc(32).toString("base64"),
};
const file = loadCompose(vars);
const apps = appServices(file);

/** The port each service listens on inside its container. */
function listenPort(file: ComposeFile, name: string): number | undefined {
  const service = file.services[name];
  if (!service) {
    return undefined;
  }
  const infra: Record<string, number> = { mongo: 27017, redis: 6379 };
  return infra[name] ?? Number(environment(service)["PORT"]);
}

/** `RUNFRAME_NORMALIZER_CUSTOM_URL` → `normalizer-custom`. */
function appOfUrlSetting(name: string): string | undefined {
  return /^RUNFRAME_(\w+)_URL$/.exec(name)?.[1]?.toLowerCase().replace(/_/g, "-");
}

describe("docker-compose.yml", () => {
  it("refuses to start without the two secrets, and never holds them", () => {
    expect(() => loadCompose({})).toThrow(/RUNFRAME_INTERNAL_TOKEN|RUNFRAME_SECRET_KEY/);
    expect(() => loadCompose({ RUNFRAME_INTERNAL_TOKEN: vars.RUNFRAME_INTERNAL_TOKEN })).toThrow(
      /RUNFRAME_SECRET_KEY/,
    );
    const raw = composeText();
    expect(raw).toMatch(/RUNFRAME_INTERNAL_TOKEN: \$\{RUNFRAME_INTERNAL_TOKEN:\?/);
    expect(raw).toMatch(/RUNFRAME_SECRET_KEY: \$\{RUNFRAME_SECRET_KEY:\?/);
  });

  it("runs every app, once, from the one image", () => {
    expect([...apps.keys()].sort()).toEqual([...APP_NAMES].sort());
    const images = new Set([...apps.values()].map(([, s]) => s.image));
    expect(images.size).toBe(1);
    for (const [name, service] of apps.values()) {
      expect(service.build, name).toBe(".");
    }
  });

  it("has every app listen on all interfaces, on the ports the image declares", () => {
    for (const [app, [name, service]] of apps) {
      const env = environment(service);
      expect(env["HOST"], name).toBe("0.0.0.0");
      expect(env["PORT"], name).toBe(String(APP_PORTS[app]));
      if (app !== "edge") {
        expect(env["ADMIN_PORT"], name).toBe(String(defaultAdminPort(app)));
      }
      expect(env["RUNFRAME_INTERNAL_TOKEN"], name).toBe(vars.RUNFRAME_INTERNAL_TOKEN);
    }
  });

  it("points every URL at a service of this file, on the port it listens on", () => {
    let checked = 0;
    for (const [name, service] of Object.entries(file.services)) {
      for (const [setting, value] of Object.entries(environment(service))) {
        if (!setting.endsWith("_URL")) {
          continue;
        }
        for (const url of value.split(",").map((u) => new URL(u.trim()))) {
          const where = `${name}: ${setting}=${url.href}`;
          expect(Object.keys(file.services), where).toContain(url.hostname);
          expect(Number(url.port), where).toBe(listenPort(file, url.hostname));
          const target = appOfUrlSetting(setting);
          if (target) {
            expect(environment(file.services[url.hostname]!)["APP"], where).toBe(target);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it("sets every setting an app reads whose default cannot work across containers", async () => {
    const expectations: Partial<Record<AppName, number>> = { edge: 7, incident: 2, auth: 4 };
    for (const [app, [name, service]] of apps) {
      const env = environment(service);
      const settings = await settingsRead(app);
      // Guards the reading itself: a refactor that hides the settings from it fails here.
      expect(settings.size, `settings found for ${app}`).toBeGreaterThanOrEqual(
        expectations[app] ?? 0,
      );
      for (const [setting, kind] of settings) {
        if (kind === "redis") {
          expect(
            env["REDIS_URL"] || env["REDIS_CLUSTER_NODES"],
            `${name}: ${setting}`,
          ).toBeTruthy();
        } else {
          expect(env[setting], `${name}: ${setting}`).toBeTruthy();
        }
      }
    }
  });

  /** Whether `from` waits for `to`, directly or through what it waits for. */
  function waitsFor(from: string, to: string, seen = new Set<string>()): boolean {
    if (seen.has(from)) {
      return false;
    }
    seen.add(from);
    const dependsOn = Object.keys(file.services[from]?.depends_on ?? {});
    return dependsOn.includes(to) || dependsOn.some((d) => waitsFor(d, to, seen));
  }

  it("starts a service only once everything it calls is healthy (but for a call back to a service that waits for it)", () => {
    for (const [app, [name, service]] of apps) {
      const env = environment(service);
      const calls = new Set(
        Object.entries(env)
          .filter(([k]) => k.endsWith("_URL"))
          .flatMap(([, v]) => v.split(",").map((u) => new URL(u.trim()).hostname)),
      );
      const dependsOn = service.depends_on ?? {};
      for (const callee of calls) {
        expect(file.services[callee]?.healthcheck?.test, `${callee} healthcheck`).toBeDefined();
        if (waitsFor(callee, name)) {
          // Compose has no cycles: auth calls incident, which waits for auth.
          expect(dependsOn[callee], `${name} and ${callee} wait for each other`).toBeUndefined();
          continue;
        }
        expect(dependsOn[callee]?.condition, `${name} depends_on ${callee}`).toBe(
          "service_healthy",
        );
      }
      expect(service.healthcheck?.test, `${app} healthcheck`).toEqual([
        "CMD",
        "node",
        "dist/healthcheck.js",
        "/readyz",
      ]);
    }
  });

  it("runs MongoDB as a replica set, written with majority, journaled write concern", () => {
    const mongo = file.services["mongo"]!;
    expect(mongo.command).toEqual(expect.arrayContaining(["--replSet", "rs0"]));
    const probe = mongo.healthcheck?.test?.join(" ") ?? "";
    expect(probe).toContain(
      "rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] })",
    );
    expect(probe).toContain("isWritablePrimary");
    for (const [app, [, service]] of apps) {
      const url = environment(service)["MONGO_URL"];
      if (url === undefined) {
        continue;
      }
      const params = new URL(url).searchParams;
      expect(params.get("replicaSet"), app).toBe("rs0");
      expect(params.get("w"), app).toBe("majority");
      expect(params.get("journal"), app).toBe("true");
    }
  });

  it("runs two replicas of every normalizer and publishes the edge and the team API", () => {
    for (const [app, [name, service]] of apps) {
      if (app.startsWith("normalizer-")) {
        expect(service.deploy?.replicas, name).toBe(2);
        expect(service.ports, name).toBeUndefined();
      }
    }
    const published = (app: AppName) => apps.get(app)![1].ports ?? [];
    expect(published("edge")).toEqual(["127.0.0.1:3000:3000"]);
    expect(published("auth")).toEqual(["127.0.0.1:7001:7001"]);
    expect(published("incident")).toEqual(["127.0.0.1:7002:7002"]);
    expect(
      loadCompose({ ...vars, RUNFRAME_PUBLISH_ADDRESS: "0.0.0.0" }).services["edge"]!.ports,
    ).toEqual(["0.0.0.0:3000:3000"]);
  });

  it("mounts a provisioning file that parses where RUNFRAME_BOOTSTRAP points", () => {
    let mounted = 0;
    for (const [app, [name, service]] of apps) {
      const target = environment(service)["RUNFRAME_BOOTSTRAP"];
      if (target === undefined) {
        continue;
      }
      const host = bindMounts(service).get(target);
      expect(host, `${name} mounts ${target}`).toBeDefined();
      const path = join(repoRoot, host!);
      expect(existsSync(path), path).toBe(true);
      const bootstrap = parseBootstrap(readFileSync(path, "utf8"));
      expect(bootstrap.organizations.length, app).toBeGreaterThan(0);
      mounted++;
    }
    expect(mounted).toBe(2);
  });
});
