/**
 * The image's HEALTHCHECK: `node dist/healthcheck.js [path]` exits 0 when the
 * app named by APP answers 200 on its admin endpoint (`/readyz` unless told
 * otherwise), 1 otherwise. It finds the admin port the way the app chose it:
 * ADMIN_PORT, else PORT + 1000 (the edge: PORT), else the app's default.
 * It imports only the port table, so a probe every few seconds costs a
 * fraction of an app's start-up.
 */
import { ADMIN_PORT_OFFSET, APP_NAMES, APP_PORTS, isAppName } from "@runframe/platform/apps";

const env = process.env;
const path = process.argv[2] ?? "/readyz";

function fail(message: string): never {
  process.stderr.write(`healthcheck: ${message}\n`);
  process.exit(1);
}

const name = env["APP"] ?? "";
if (!isAppName(name)) {
  fail(`APP must be one of ${APP_NAMES.join(", ")}, got "${name}"`);
}
const port =
  name === "edge"
    ? Number(env["PORT"] || APP_PORTS.edge)
    : Number(env["ADMIN_PORT"] || Number(env["PORT"] || APP_PORTS[name]) + ADMIN_PORT_OFFSET);
// An app bound to every interface answers on loopback; one bound to a
// single address answers only there.
const bound = env["HOST"] ?? "127.0.0.1";
const host = bound === "0.0.0.0" || bound === "::" || bound === "" ? "127.0.0.1" : bound;

try {
  const res = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${port}${path}`, {
    signal: AbortSignal.timeout(2500),
  });
  if (!res.ok) {
    fail(`${path} answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  }
} catch (error) {
  fail(`${path} on port ${port}: ${(error as Error).message}`);
}
