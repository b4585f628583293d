/**
 * Every provider of the registry (libs/providers) is wired everywhere a
 * provider needs more than a row: its normalizer library and app, its docs
 * page, and an integration in the dev provisioning file. The proto enum is
 * checked beside the registry, the fixtures in normalizer-fixtures.test.ts
 * and the deployment files in tools/deploy.
 */
import { PROVIDERS } from "@runframe/providers";
import { parseBootstrap } from "@runframe/util";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = join(import.meta.dirname, "../..");

function packageJson(dir: string): { name?: string; nx?: { tags?: string[] } } {
  return JSON.parse(readFileSync(join(repoRoot, dir, "package.json"), "utf8")) as {
    name?: string;
    nx?: { tags?: string[] };
  };
}

describe.each(PROVIDERS)("provider $name", (p) => {
  it("has a pure normalizer library", () => {
    const lib = packageJson(`libs/normalizers/${p.name}`);
    expect(lib.name).toBe(`@runframe/normalizers-${p.name}`);
    expect(lib.nx?.tags).toContain("type:normalizer");
  });

  it("has a normalizer app", () => {
    expect(packageJson(`apps/${p.app}`).name).toBe(`@runframe/${p.app}`);
    for (const file of ["main.ts", "settings.ts"]) {
      expect(existsSync(join(repoRoot, "apps", p.app, "src", file)), file).toBe(true);
    }
  });

  it("has a docs page, linked from the providers' index", () => {
    expect(existsSync(join(repoRoot, p.docs))).toBe(true);
    const index = readFileSync(join(repoRoot, "docs/providers/README.md"), "utf8");
    expect(index).toContain(`](${p.name}.md)`);
  });

  it("has an integration in the dev provisioning file", () => {
    const bootstrap = parseBootstrap(
      readFileSync(join(repoRoot, "tools/dev/bootstrap.json"), "utf8"),
    );
    const types = bootstrap.organizations.flatMap((o) => o.integrations.map((i) => i.type));
    expect(types).toContain(p.type);
  });
});
