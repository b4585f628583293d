#!/usr/bin/env node
// `npx runframe …`: the operator CLI (tools/cli/main.ts). It runs as one
// esbuild bundle kept in node_modules/.cache/runframe-cli and rebuilt (about
// 0.3 s) whenever one of its source files changed, so a command starts in
// about a quarter of a second instead of the second tsx takes to compile
// the sources on every run. npm packages stay imports of node_modules.
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import process from "node:process";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const cacheDir = join(root, "node_modules/.cache/runframe-cli");
const bundle = join(cacheDir, "runframe.mjs");
const manifest = join(cacheDir, "inputs.json");

/** Every source file of the last build is unchanged (size and mtime). */
async function fresh() {
  try {
    const inputs = JSON.parse(await readFile(manifest, "utf8"));
    const now = await Promise.all(
      Object.keys(inputs).map(async (file) => {
        const s = await stat(join(root, file));
        return [file, `${s.size}:${s.mtimeMs}`];
      }),
    );
    return now.every(([file, sig]) => inputs[file] === sig);
  } catch {
    return false;
  }
}

async function build() {
  const { build: esbuild } = await import("esbuild");
  await mkdir(cacheDir, { recursive: true });
  const temp = `${bundle}.${process.pid}.tmp`;
  const result = await esbuild({
    absWorkingDir: root,
    entryPoints: ["tools/cli/main.ts"],
    outfile: temp,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    metafile: true,
    logLevel: "warning",
    plugins: [
      {
        name: "npm-packages-external",
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith("@runframe/") ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const s = await stat(join(root, file));
    inputs[relative(root, join(root, file))] = `${s.size}:${s.mtimeMs}`;
  }
  // Another run may build at the same moment: each renames its own file into place.
  await rename(temp, bundle);
  await writeFile(`${manifest}.${process.pid}.tmp`, JSON.stringify(inputs));
  await rename(`${manifest}.${process.pid}.tmp`, manifest);
}

if (!(await fresh())) {
  await build();
}
await import(pathToFileURL(bundle).href);
