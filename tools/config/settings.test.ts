/**
 * One configuration source: every app declares its settings in
 * apps/<app>/src/settings.ts, its main loads exactly that module, and the
 * README's configuration table is generated from it.
 */
import { processSpecs, serverSpecs } from "@runframe/platform";
import { APP_NAMES, APP_PORTS } from "@runframe/platform/apps";
import { PROVIDERS } from "@runframe/providers";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allAppSettings, settingsModule } from "./app-settings.js";
import { readmeFile, renderReadme, settingRows } from "./readme-table.js";

const repoRoot = join(import.meta.dirname, "../..");
const settings = await allAppSettings();

describe("every app's settings", () => {
  it.each(APP_NAMES)(
    "%s: main hands its settings module, and only that, to runMain",
    async (app) => {
      const main = await readFile(join(repoRoot, "apps", app, "src", "main.ts"), "utf8");
      // Other exports of the settings module (helpers over its values) may come along.
      expect(main).toMatch(/^import \{[^}]*\bsettings\b[^}]*\} from "\.\/settings\.js";$/m);
      expect(main).toMatch(/\brunMain\(settings, /);
      expect(main).not.toMatch(/loadConfig|loadSettings|process\.env/);
      expect(settingsModule(app)).toBe(`apps/${app}/src/settings.ts`);
    },
  );

  it("says what every setting means", () => {
    expect(() => settingRows(settings)).not.toThrow();
    for (const [app, specs] of settings) {
      for (const [name, spec] of Object.entries(specs)) {
        expect(spec.desc?.trim(), `${app}: ${name}`).toBeTruthy();
      }
    }
  });

  it("shares the settings every app has, and the RPC apps theirs", () => {
    for (const [app, specs] of settings) {
      const shared = app === "edge" ? processSpecs() : serverSpecs(APP_PORTS[app]);
      for (const [name, spec] of Object.entries(shared)) {
        expect(specs[name]?._parse, `${app}: ${name}`).toBe(spec._parse);
        expect(specs[name]?.default, `${app}: ${name}`).toEqual(spec.default);
        expect(specs[name]?.desc, `${app}: ${name}`).toBe(spec.desc);
      }
    }
  });

  it("runs each normalizer on its provider's port, and the edge knows where each is", () => {
    const edge = settings.get("edge")!;
    for (const p of PROVIDERS) {
      expect(settings.get(p.app)?.["PORT"]?.default).toBe(p.defaultPort);
      expect(edge[p.urlSetting]?.default).toBe(`http://127.0.0.1:${p.defaultPort}`);
    }
  });
});

describe("README.md's configuration table", () => {
  it("lists every setting of every app", () => {
    const names = new Set(settingRows(settings).map((row) => row.name));
    for (const specs of settings.values()) {
      for (const name of Object.keys(specs)) {
        expect(names).toContain(name);
      }
    }
    for (const name of [
      "RUNFRAME_SECRET_KEY",
      "RUNFRAME_BOOTSTRAP",
      "RUNFRAME_DATA_DIR",
      "RUNFRAME_SNS_CERT_URL_PATTERN",
      "RUNFRAME_CLOUDWATCH_INSUFFICIENT_DATA",
    ]) {
      expect(names).toContain(name);
    }
  });

  it("is what `npm run docs:config` writes", async () => {
    const readme = await readFile(readmeFile, "utf8");
    expect(await renderReadme(readme), "run `npm run docs:config`").toBe(readme);
  });
});
