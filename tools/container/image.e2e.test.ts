/**
 * The image, checked without a Docker engine (none runs in CI):
 * - the Dockerfile pins its base image, runs as a numeric non-root user with
 *   a writable data directory, declares every port and a HEALTHCHECK, and
 *   puts into the final stage only package.json, dist/ and the production
 *   node_modules;
 * - every file the build bundles is inside what the build stage copies, and
 *   every COPY from the build context names something that exists and that
 *   .dockerignore keeps;
 * - the final stage's files, assembled here as the Dockerfile assembles them
 *   (package.json, the build, production packages only), run every app with
 *   plain node as uid 1000 (when the tests run as root), writing nowhere but
 *   the data directory: each app starts on its default ports, the image's
 *   health check passes against each, and a webhook is stored end to end.
 */
import { APP_NAMES, APP_PORTS, appBundle, defaultAdminPort } from "@runframe/platform/apps";
import { randomToken, repoRoot } from "@runframe/platform/testing";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, healthcheckBundle, type BuildResult } from "../build/build.js";
import { copies, execForm, parseDockerfile, type Stage } from "./dockerfile.js";

const run = promisify(execFile);
const IMAGE_USER = 1000;

let stages: Stage[];
let built: BuildResult;

beforeAll(async () => {
  stages = parseDockerfile(await readFile(join(repoRoot, "Dockerfile"), "utf8"));
  built = await build();
});

function stage(name: string): Stage {
  const found = stages.find((s) => s.name === name);
  expect(found, `Dockerfile stage ${name}`).toBeDefined();
  return found!;
}

/** A stage and every stage it is built FROM, nearest first. */
function lineage(name: string): Stage[] {
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stage(name); s; s = stages.find((t) => t.name === s.from)) {
    chain.push(s);
  }
  return chain;
}

const finalStage = () => stages[stages.length - 1]!;
const args = (s: Stage, keyword: string) =>
  s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe("the Dockerfile", () => {
  it("pins every base image to an exact release or a digest", () => {
    for (const s of stages) {
      if (stages.some((t) => t.name === s.from)) {
        continue;
      }
      expect(s.from, `stage ${s.name}`).toMatch(
        /^[\w.\-/]+(:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?|@sha256:[0-9a-f]{64})$/,
      );
    }
  });

  it("puts only package.json, the build and the production node_modules into the final stage", () => {
    const final = finalStage();
    expect(stages.some((t) => t.name === final.from)).toBe(false);
    const copied = copies(final).map((c) => `${c.fromStage ?? "context"}:${c.sources.join(",")}`);
    expect(copied.sort()).toEqual(
      ["context:package.json", "build:/src/dist", "runtime-deps:/src/node_modules"].sort(),
    );
    expect(args(stage("build"), "RUN")).toContain("npm run build");
    expect(args(stage("runtime-deps"), "RUN").join(" ")).toMatch(/npm prune --omit=dev/);
  });

  it("copies into the build stage every file the bundles are made of", () => {
    const copied = lineage("build").flatMap((s) =>
      copies(s)
        .filter((c) => c.fromStage === undefined || c.fromStage === "manifests")
        .flatMap((c) => c.sources),
    );
    const outside = built.inputs.filter(
      (file) => !copied.some((source) => file === source || file.startsWith(`${source}/`)),
    );
    expect(outside).toEqual([]);
  });

  it("copies from the build context only what exists and .dockerignore keeps", async () => {
    const ignored = (await readFile(join(repoRoot, ".dockerignore"), "utf8"))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const s of stages) {
      for (const copy of copies(s).filter((c) => c.fromStage === undefined)) {
        for (const source of copy.sources) {
          expect(existsSync(join(repoRoot, source)), `${s.name}: COPY ${source}`).toBe(true);
          expect(ignored, `${s.name}: COPY ${source} is in .dockerignore`).not.toContain(
            source.split("/")[0],
          );
        }
      }
    }
  });

  it("runs the build as a numeric non-root user that may write only the data directory", () => {
    const final = finalStage();
    const [user] = args(final, "USER");
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(Number(user!.split(":")[0])).toBe(IMAGE_USER);
    const dataDir = /RUNFRAME_DATA_DIR=(\S+)/.exec(args(final, "ENV").join(" "))?.[1];
    expect(dataDir).toBeDefined();
    expect(args(final, "RUN").join(" ")).toContain(`chown ${user} ${dataDir}`);
    expect(args(final, "ENV").join(" ")).toMatch(/HOST=0\.0\.0\.0/);
  });

  it("declares every app's ports and a health check that exists in the build", () => {
    const final = finalStage();
    const exposed = args(final, "EXPOSE").flatMap((a) => a.split(/\s+/).map(Number));
    for (const app of APP_NAMES) {
      expect(exposed).toContain(APP_PORTS[app]);
      expect(exposed).toContain(defaultAdminPort(app));
    }
    const [healthcheck] = args(final, "HEALTHCHECK");
    const command = execForm(healthcheck!.slice(healthcheck!.indexOf("CMD")));
    expect(command?.slice(0, 2)).toEqual(["node", healthcheckBundle]);
    expect(existsSync(join(repoRoot, healthcheckBundle))).toBe(true);
  });

  it("starts the app named by APP from its bundle, node as PID 1", () => {
    const cmd = execForm(args(finalStage(), "CMD")[0]!);
    expect(cmd?.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(cmd?.[2]).toMatch(/^exec node --enable-source-maps "dist\/\$\{APP:\?[^}]*\}\.js"$/);
    for (const app of APP_NAMES) {
      expect(existsSync(join(repoRoot, appBundle(app))), appBundle(app)).toBe(true);
    }
  });
});

describe("the image's files, run as the image runs them", () => {
  const host = "127.0.0.2";
  let dir: string;
  let appDir: string;
  const children: ChildProcess[] = [];
  const output = new Map<string, string>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runframe-image-"));
    chmodSync(dir, 0o755);
    appDir = join(dir, "app");
    mkdirSync(appDir);
    cpSync(join(repoRoot, "package.json"), join(appDir, "package.json"));
    cpSync(join(repoRoot, "dist"), join(appDir, "dist"), { recursive: true });
    await copyProductionPackages(join(appDir, "node_modules"));
    const dataDir = join(dir, "data");
    mkdirSync(dataDir);
    const bootstrap = join(dir, "bootstrap.json");
    cpSync(join(repoRoot, "tools/dev/bootstrap.json"), bootstrap);
    const asImageUser = process.getuid?.() === 0;
    if (asImageUser) {
      chownSync(dataDir, IMAGE_USER, IMAGE_USER);
    }
    const env = {
      PATH: process.env["PATH"] ?? "/usr/bin:/bin",
      NODE_ENV: "production",
      HOST: host,
      LOG_LEVEL: "warn",
      RUNFRAME_DATA_DIR: dataDir,
      RUNFRAME_BOOTSTRAP: bootstrap,
      RUNFRAME_INTERNAL_TOKEN: randomToken(),
      RUNFRAME_SECRET_KEY: randomBytes(32).toString("base64"),
      ...Object.fromEntries(
        APP_NAMES.filter((a) => a !== "edge").map((a) => [
          `RUNFRAME_${a.replace("-", "_").toUpperCase()}_URL`,
          `http://${host}:${APP_PORTS[a]}`,
        ]),
      ),
    };
    for (const app of APP_NAMES) {
      const child = spawn(process.execPath, ["--enable-source-maps", appBundle(app)], {
        cwd: appDir,
        env: { ...env, APP: app },
        stdio: ["ignore", "pipe", "pipe"],
        ...(asImageUser && { uid: IMAGE_USER, gid: IMAGE_USER }),
      });
      output.set(app, "");
      const collect = (chunk: Buffer) => output.set(app, output.get(app)! + chunk.toString());
      child.stdout.on("data", collect);
      child.stderr.on("data", collect);
      children.push(child);
    }
    for (const app of APP_NAMES) {
      await waitForHealthy(app, { ...env, APP: app });
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(
      children
        .filter((c) => c.exitCode === null && c.signalCode === null)
        .map((c) => {
          const exited = once(c, "exit");
          c.kill("SIGKILL");
          return exited;
        }),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  /** The image's HEALTHCHECK, run from the image's files with the app's environment. */
  async function waitForHealthy(app: string, env: Record<string, string>): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last = "";
    for (;;) {
      try {
        await run(process.execPath, [healthcheckBundle, "/readyz"], { cwd: appDir, env });
        return;
      } catch (error) {
        last = (error as { stderr?: string }).stderr ?? String(error);
      }
      if (Date.now() > deadline) {
        throw new Error(`${app} never became healthy: ${last}\n${output.get(app)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("passes the health check for every app on its default ports", () => {
    expect(children.every((c) => c.exitCode === null)).toBe(true);
  });

  it("stores a webhook on the embedded store in the data directory", async () => {
    const res = await fetch(
      `http://${host}:${APP_PORTS.edge}/webhooks/dev_custom_0000000000000000000000000000000`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: "From the image", service_id: "SER-00001" }),
      },
    );
    expect(res.status, await res.clone().text()).toBe(202);
    expect(await res.json()).toMatchObject({ incidents: [{ action: "created" }] });
    expect(existsSync(join(dir, "data", "runframe.db"))).toBe(true);
  });

  it("drains and exits 0 on SIGTERM", async () => {
    const codes = await Promise.all(
      children.map((c) => {
        const exited = once(c, "exit").then(([code]) => code as number | null);
        c.kill("SIGTERM");
        return exited;
      }),
    );
    expect(codes).toEqual(APP_NAMES.map(() => 0));
  });
});

/**
 * node_modules as `npm ci --omit=dev` leaves it, without our workspace links
 * (the bundles hold our code): the production packages `npm ls` lists,
 * hard-linked from the repository's node_modules.
 */
async function copyProductionPackages(target: string): Promise<void> {
  const { stdout } = await run("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
    cwd: repoRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  const packages = stdout
    .split("\n")
    .map((line) => relative(join(repoRoot, "node_modules"), line.trim()))
    .filter((path) => path && !path.startsWith("..") && !path.startsWith("@runframe/"))
    .sort((a, b) => a.split("node_modules").length - b.split("node_modules").length);
  for (const path of packages) {
    const destination = join(target, path);
    mkdirSync(dirname(destination), { recursive: true });
    // Hard links where the file system allows them: no copying 50 MB.
    await run("cp", ["-al", join(repoRoot, "node_modules", path), destination]).catch(() =>
      run("cp", ["-a", join(repoRoot, "node_modules", path), destination]),
    );
    // Nested packages are listed (and copied) on their own, production ones only.
    rmSync(join(destination, "node_modules"), { recursive: true, force: true });
  }
}
