/**
 * The production build: one ES module bundle per app in dist/, run with
 * plain `node`. esbuild bundles our own code (apps and the @runframe/*
 * libraries, straight from TypeScript) and leaves every npm package
 * external, so the bundles load the same node_modules in development, in
 * tests and in the image (`npm ci --omit=dev`), and native modules
 * (better-sqlite3) stay as npm built them. `npm start`, the end-to-end
 * tests and the Dockerfile all run these files: what is tested is what
 * ships. Type checking stays with `npm run typecheck`; esbuild only strips
 * types, which is why a build takes well under a second.
 */
import { APP_NAMES, appBundle } from "@runframe/platform/apps";
import { build as esbuild, type Metafile, type Plugin } from "esbuild";
import { builtinModules } from "node:module";
import { readFile, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const distDir = join(repoRoot, "dist");

/** The container health check: `node dist/healthcheck.js [/readyz|/healthz]`. */
export const healthcheckBundle = "dist/healthcheck.js";

/** Output name in dist/ (without `.js`) → source. */
const entryPoints: Record<string, string> = {
  ...Object.fromEntries(
    APP_NAMES.map((app) => [outputName(appBundle(app)), `apps/${app}/src/main.ts`]),
  ),
  [outputName(healthcheckBundle)]: "tools/container/healthcheck.ts",
};

function outputName(bundle: string): string {
  return basename(bundle, ".js");
}

/** Bare imports outside our own `@runframe/*` packages stay `import`s of node_modules. */
const npmPackagesExternal: Plugin = {
  name: "npm-packages-external",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@runframe/") ? undefined : { path: args.path, external: true },
    );
  },
};

export interface BuildResult {
  readonly ms: number;
  /** Every npm package (or Node built-in) a bundle imports at run time. */
  readonly externals: ReadonlySet<string>;
  /** Every file of ours that went into a bundle, relative to the repository. */
  readonly inputs: readonly string[];
}

/**
 * Builds every app into dist/, replacing what was there. Fails when a
 * bundle imports an npm package that is not a production dependency, since
 * the image (`npm ci --omit=dev`) would not have it.
 */
export async function build(): Promise<BuildResult> {
  const started = performance.now();
  await rm(distDir, { recursive: true, force: true });
  const result = await esbuild({
    absWorkingDir: repoRoot,
    entryPoints,
    outdir: distDir,
    entryNames: "[name]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Stack traces name the TypeScript lines (node --enable-source-maps)
    // without shipping the sources themselves.
    sourcemap: "linked",
    sourcesContent: false,
    metafile: true,
    logLevel: "warning",
    plugins: [npmPackagesExternal],
  });
  const externals = externalPackages(result.metafile);
  const missing = await missingInProduction(externals);
  if (missing.length > 0) {
    throw new Error(
      `the apps import ${missing.join(", ")}, which are not production "dependencies" in package.json (the image installs only those)`,
    );
  }
  return {
    ms: performance.now() - started,
    externals,
    inputs: Object.keys(result.metafile.inputs).filter((file) => !file.includes("node_modules/")),
  };
}

function externalPackages(metafile: Metafile): Set<string> {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external) {
        names.add(packageName(imported.path));
      }
    }
  }
  return names;
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`, `node:fs` → `node:fs`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** The externals that `npm ci --omit=dev` would not install. */
async function missingInProduction(externals: Iterable<string>): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const builtins = new Set(builtinModules);
  return [...externals].filter(
    (name) => !name.startsWith("node:") && !builtins.has(name) && !(name in manifest.dependencies),
  );
}
