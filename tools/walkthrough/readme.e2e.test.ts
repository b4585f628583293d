/**
 * The README, executed literally on a fresh clone: `npm ci`, `npm start`
 * with no MONGO_URL or REDIS_URL, the README's curl example, Ctrl-C, and a
 * second `npm start` that still has the incident. It reads the commands
 * from the README itself, so the README cannot drift from what works.
 */
import { repoRoot } from "@runframe/platform/testing";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const defaultPorts = [
  3000, 7001, 7002, 7101, 7102, 7103, 7104, 7105, 8001, 8002, 8101, 8102, 8103, 8104, 8105,
];

/** The environment of a new user's shell: no backends, nothing of the test run. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (
      /^(MONGO_URL|REDIS_URL|REDIS_CLUSTER_NODES|RUNFRAME_|VITEST|NODE_ENV|PORT$|ADMIN_PORT$)/.test(
        name,
      )
    ) {
      delete env[name];
    }
  }
  return env;
}

/** The shell code blocks of a Markdown text. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("the README walkthrough, on a fresh clone", () => {
  let dir: string;
  let readme: string;
  let starts: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "runframe-walkthrough-"));
    await run("git", ["clone", "--quiet", repoRoot, dir]);
    readme = await readFile(join(dir, "README.md"), "utf8");
    const setUp = shellBlocks(readme)[0]!;
    expect(setUp.trim().split("\n")).toEqual(["npm ci", "npm start"]);
    await run("npm", ["ci", "--no-audit", "--no-fund"], {
      cwd: dir,
      env: userEnv(),
      maxBuffer: 64 * 1024 * 1024,
    });
  }, 600_000);

  afterAll(async () => {
    for (const start of starts) {
      if (start.exitCode === null && start.signalCode === null && start.pid !== undefined) {
        process.kill(-start.pid, "SIGKILL");
      }
    }
    starts = [];
    await rm(dir, { recursive: true, force: true });
  });

  /** `npm start` in its own process group, as a terminal runs it; resolves when it prints that it is ready. */
  async function npmStart(): Promise<{
    child: ChildProcess;
    output: () => string;
    readyMs: number;
  }> {
    const started = Date.now();
    const child = spawn("npm", ["start"], {
      cwd: dir,
      env: userEnv(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    starts.push(child);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    while (!output.includes("Runframe Ingest is ready")) {
      if (child.exitCode !== null || Date.now() - started > 60_000) {
        throw new Error(`npm start did not become ready within a minute:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { child, output: () => output, readyMs: Date.now() - started };
  }

  /** Ctrl-C: SIGINT to the whole foreground process group. */
  async function ctrlC(child: ChildProcess): Promise<void> {
    const exited = once(child, "exit");
    process.kill(-child.pid!, "SIGINT");
    await exited;
  }

  it("serves webhooks after npm start, stops cleanly on Ctrl-C, and keeps data across restarts", async () => {
    const first = await npmStart();
    expect(first.readyMs).toBeLessThan(60_000);
    expect(first.output()).toMatch(/custom\s+http:\/\/127\.0\.0\.1:3000\/webhooks\/\S+/);
    expect(first.output()).toContain("Store: embedded SQLite");

    const curl = shellBlocks(readme).find((b) =>
      b.startsWith("curl -X POST http://127.0.0.1:3000/webhooks/"),
    );
    expect(curl).toBeDefined();
    const { stdout } = await run("bash", ["-c", curl!], { cwd: dir });
    const created = JSON.parse(stdout) as {
      status: string;
      incidents: { id: string; action: string }[];
    };
    expect(created).toMatchObject({ status: "accepted", incidents: [{ action: "created" }] });

    await ctrlC(first.child);
    for (const port of defaultPorts) {
      expect(await listening(port), `port ${port} still listening after Ctrl-C`).toBe(false);
    }

    const second = await npmStart();
    const list = shellBlocks(readme).find((b) => b.includes("IncidentService/ListIncidents"));
    expect(list).toBeDefined();
    const listed = await run("bash", ["-c", list!], { cwd: dir });
    const { incidents } = JSON.parse(listed.stdout) as {
      incidents: { id: string; title: string }[];
    };
    expect(incidents).toContainEqual(
      expect.objectContaining({ id: created.incidents[0]!.id, title: "Test webhook" }),
    );
    await ctrlC(second.child);
  }, 240_000);
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
