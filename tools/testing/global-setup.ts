/**
 * Gives integration and end-to-end tests their real backends. When REDIS_URL
 * and MONGO_URL are set they are used as given; otherwise
 * tools/backends/up.sh installs (once) and starts Redis and FerretDB on
 * loopback. Either way both must answer, or the whole run fails: a test that
 * needs a backend never skips.
 */
import { execFileSync } from "node:child_process";
import { connect } from "node:net";

export default async function setup(): Promise<void> {
  if (!process.env["REDIS_URL"] || !process.env["MONGO_URL"]) {
    const exports = execFileSync("bash", ["tools/backends/up.sh"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    for (const [, name, value] of exports.matchAll(/^export (\w+)=(.*)$/gm)) {
      process.env[name!] ??= value!;
    }
  }
  await Promise.all([reachable("REDIS_URL"), reachable("MONGO_URL")]);
}

async function reachable(name: string): Promise<void> {
  const url = new URL(process.env[name] ?? "");
  const port = Number(url.port || (url.protocol === "redis:" ? 6379 : 27017));
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: url.hostname, port, timeout: 3000 });
    socket.once("connect", () => {
      socket.end();
      resolve();
    });
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`${name}=${url.host} is not reachable (${why}); integration tests need it`));
    };
    socket.once("timeout", () => fail("timed out"));
    socket.once("error", (error) => fail(error.message));
  });
}
