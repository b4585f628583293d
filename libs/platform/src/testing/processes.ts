import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { appBundle, type AppName } from "../apps.js";

/** The repository root, so tests can start apps by path. */
export const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

/** A fresh service credential for one test run. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** An app or script running as its own process, as in production. */
export interface RunningProcess {
  readonly child: ChildProcess;
  /** Every JSON log line (and raw stderr line) printed so far. */
  readonly logs: readonly Record<string, unknown>[];
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface ListeningApp extends RunningProcess {
  /** The h2c RPC base URL (RPC apps) or the HTTP base URL (edge). */
  readonly url: string;
  /** The HTTP/1.1 admin base URL; the same as `url` for the edge. */
  readonly adminUrl: string;
}

/**
 * Starts an entry point with `env` added to ours, and collects its JSON log
 * lines. A bundle of the production build (`.js`, see appBundle) runs under
 * plain `node` as in production; a `.ts` file runs under tsx, which is for
 * test-only programs: apps are always started from the build, which the e2e
 * tier's global setup makes once per run (tools/testing/build-setup.ts).
 */
export function startProcess(entry: string, env: Record<string, string>): RunningProcess {
  if (/^apps\/[^/]+\/src\//.test(entry)) {
    throw new Error(
      `start apps from the build, as they ship: startProcess(appBundle(name)), not ${entry}`,
    );
  }
  // Extra node flags for the child (benchmarks profile with --cpu-prof, which
  // NODE_OPTIONS does not allow).
  const nodeArgs = env["RUNFRAME_NODE_ARGS"]?.split(" ").filter(Boolean) ?? [];
  const args = entry.endsWith(".ts")
    ? [...nodeArgs, "--import", "tsx", entry]
    : [...nodeArgs, "--enable-source-maps", entry];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ raw: line });
    }
  });
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
}

/**
 * Starts `apps/<name>` from its build on free ports and resolves once it
 * logs that it is listening. Rejects with its output if it exits or takes over 30 s.
 */
export async function startApp(name: string, env: Record<string, string>): Promise<ListeningApp> {
  const proc = startProcess(appBundle(name as AppName), { PORT: "0", ADMIN_PORT: "0", ...env });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = proc.logs.find((l) => l["msg"] === "listening");
    if (line) {
      const port = Number(line["rpcPort"] ?? line["port"]);
      const adminPort = Number(line["adminPort"] ?? port);
      return {
        ...proc,
        url: `http://127.0.0.1:${port}`,
        adminUrl: `http://127.0.0.1:${adminPort}`,
      };
    }
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      await proc.stop("SIGKILL");
      throw new Error(
        `${name} did not start: ${proc.stderr()}\n${proc.logs.map((l) => JSON.stringify(l)).join("\n")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A TCP port free right now on loopback, for an app another app must know
 * the address of before either starts (auth and incident call each other).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
