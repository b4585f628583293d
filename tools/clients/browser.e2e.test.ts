/**
 * A real browser calling the team API: Debian's headless Chromium, driven
 * by playwright-core, loads a page served here on loopback (another origin
 * than the RPC port) whose script, bundled with esbuild, calls
 * ListIncidents through connect-web with the Connect and gRPC-Web
 * transports. The RPC port allows the page's origin by CORS; a second copy
 * of the page on an origin not on the allow-list is refused by the browser.
 */
import { seedTeamIncidents, startStack, teamFixture, type Stack } from "@runframe/platform/testing";
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallResult } from "./browser/page.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Flags that keep Chromium to itself on these machines: no GPU, no QUIC, no lookups but loopback. */
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
];

/** Serves the page and its bundled script on a free loopback port. */
async function servePage(script: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith("/page.js")) {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(
          '<!doctype html><title>Runframe</title><script type="module" src="/page.js"></script>',
        );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("team API from a browser (headless Chromium, connect-web)", () => {
  let stack: Stack;
  let allowed: { server: Server; origin: string };
  let refused: { server: Server; origin: string };
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    const exports = execFileSync("bash", ["tools/clients/install.sh"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    const executablePath = /^export RUNFRAME_CHROMIUM=(.*)$/m.exec(exports)?.[1];
    const bundle = await build({
      entryPoints: [join(root, "tools/clients/browser/page.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      logLevel: "silent",
    });
    const script = bundle.outputFiles[0]!.text;
    allowed = await servePage(script);
    refused = await servePage(script);
    stack = await startStack({
      bootstrap: teamFixture.bootstrap,
      env: { RUNFRAME_CORS_ORIGINS: allowed.origin },
    });
    await seedTeamIncidents(stack);
    profile = await mkdtemp(join(tmpdir(), "runframe-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: executablePath!,
      headless: true,
      args: chromiumArgs,
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    allowed?.server.close();
    refused?.server.close();
    if (profile) {
      await rm(profile, { recursive: true, force: true });
    }
  });

  async function callsFrom(origin: string): Promise<CallResult[]> {
    const page = await browser.newPage();
    try {
      const query = new URLSearchParams({ baseUrl: stack.incident.url, key: teamFixture.apiKeyA });
      await page.goto(`${origin}/?${query.toString()}`);
      await page.waitForFunction(() => "runframeResults" in globalThis);
      return await page.evaluate(
        () => (globalThis as unknown as { runframeResults: Promise<CallResult[]> }).runframeResults,
      );
    } finally {
      await page.close();
    }
  }

  it("lists incidents with the Connect and gRPC-Web transports and reads error details", async () => {
    expect(await callsFrom(allowed.origin)).toEqual([
      { call: "connect", ids: ["INC-00001"] },
      { call: "grpc-web", ids: ["INC-00001"] },
      { call: "connect, wrong key", code: "Unauthenticated", reason: "API_KEY_INVALID" },
      { call: "grpc-web, wrong key", code: "Unauthenticated", reason: "API_KEY_INVALID" },
    ]);
  });

  it("is refused by the browser from an origin not on the allow-list", async () => {
    const results = await callsFrom(refused.origin);
    expect(results).toHaveLength(4);
    for (const result of results) {
      expect(result.ids).toBeUndefined();
      expect(result.reason).toBeUndefined();
    }
  });
});
