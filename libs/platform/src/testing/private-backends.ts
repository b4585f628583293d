import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort, repoRoot } from "./processes.js";

/**
 * A backend server of a test's own, which the test may stop and start
 * again: the shared test Redis and FerretDB must stay up for every other
 * test file, which run in parallel.
 */
export interface PrivateBackend {
  readonly url: string;
  /** Kills the server (SIGKILL): an outage as abrupt as a crash. */
  stop(): Promise<void>;
  /** Starts it again on the same port (and data directory, if it has one). */
  start(): Promise<void>;
}

/** A Redis server of a test's own; it starts again empty. */
export type PrivateRedis = PrivateBackend;

/** A FerretDB server of a test's own; it starts again with the data it had. */
export interface PrivateFerretDb extends PrivateBackend {
  /** Stops it and deletes its data directory. */
  remove(): Promise<void>;
}

/**
 * Starts `redis-server` (installed by tools/backends) on a free loopback
 * port with no persistence, for tests that take Redis away.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  return privateServer(`redis://127.0.0.1:${port}`, port, "redis-server", [
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
}

/**
 * Starts FerretDB, the binary tools/backends builds (tools/backends/lib.sh
 * names it and its directory), with the flags tools/backends/up.sh uses, on
 * a free loopback port and a fresh data directory, for tests that take the
 * MongoDB server away. A crash (SIGKILL) keeps what it had committed to
 * SQLite, as a MongoDB crash keeps its journal; it starts again on the same
 * port and data.
 */
export async function startPrivateFerretDb(): Promise<PrivateFerretDb> {
  const binary = backendsSetting("FERRETDB_BIN");
  const dir = await mkdtemp(join(tmpdir(), "runframe-ferretdb-"));
  const port = await freePort();
  const server = await privateServer(`mongodb://127.0.0.1:${port}`, port, binary, [
    "--handler=sqlite",
    `--sqlite-url=file:${dir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    "--telemetry=disable",
    `--state-dir=${dir}`,
    "--log-level=warn",
    "--debug-addr=-",
  ]);
  return {
    ...server,
    async remove() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function privateServer(
  url: string,
  port: number,
  command: string,
  args: readonly string[],
): Promise<PrivateBackend> {
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    let stderr = "";
    proc.stderr
      .setEncoding("utf8")
      .on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4_000)));
    let failure: string | undefined;
    proc.once(
      "error",
      (error) => (failure = `${error.message} (tools/backends/install.sh installs it)`),
    );
    proc.once("exit", (code, signal) => (failure ??= `exited with ${code ?? signal}`));
    for (let i = 0; i < 200 && failure === undefined; i++) {
      if (await accepts(port)) {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill("SIGKILL");
    throw new Error(
      `${command} did not start on port ${port}: ${failure ?? "timed out"}\n${stderr}`,
    );
  };
  await start();
  return {
    url,
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGKILL");
        await exited;
      }
    },
    start,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/**
 * A setting of tools/backends/lib.sh (`FERRETDB_BIN`, `RUN_DIR`, …), which
 * names the backends' binaries and directories in one place.
 */
export function backendsSetting(name: string): string {
  return execFileSync(
    "bash",
    ["-c", `source "$1" && printf %s "$${name}"`, "_", join(repoRoot, "tools/backends/lib.sh")],
    { encoding: "utf8" },
  );
}
