/**
 * What the code cites resolves: every "DESIGN §n" names a section of
 * docs/design.md, no file points at the design or style notes under names
 * the repository does not have, and the Markdown anchors into
 * docs/design.md exist.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const repoRoot = join(import.meta.dirname, "../..");
const skip = new Set(["node_modules", "dist", "data", ".git", ".nx", "gen"]);
const textFile = /\.(ts|mjs|md|proto|ya?ml|tpl|sh|go|json)$|^(Dockerfile|run)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) {
      return [];
    }
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return files(path);
    }
    return textFile.test(name) ? [path] : [];
  });
}

const design = readFileSync(join(repoRoot, "docs/design.md"), "utf8");
const sections = new Set([...design.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
/** GitHub's anchor of each heading of docs/design.md. */
const anchors = new Set(
  [...design.matchAll(/^#+ (.+)$/gm)].map((m) =>
    m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-"),
  ),
);
const sources = files(repoRoot)
  .filter((path) => !path.endsWith("citations.test.ts"))
  .map((path) => ({ path: relative(repoRoot, path), text: readFileSync(path, "utf8") }));

describe("citations of the design and style notes", () => {
  it("has the numbered sections the code cites", () => {
    let cited = 0;
    for (const { path, text } of sources) {
      for (const [, section] of text.matchAll(/\bDESIGN(?:'s)? §(\d+)/g)) {
        expect(sections, `${path} cites DESIGN §${section}`).toContain(section);
        cited++;
      }
    }
    expect(cited).toBeGreaterThanOrEqual(4);
    expect(sections.size).toBe(14);
  });

  it("names the notes by the files the repository has", () => {
    const missing = new RegExp(["STYLE", "DESIGN"].map((n) => `\\b${n}\\.md\\b`).join("|"));
    for (const { path, text } of sources) {
      expect(missing.exec(text)?.[0], path).toBeUndefined();
    }
  });

  it("links only to headings docs/design.md has", () => {
    for (const { path, text } of sources) {
      for (const [, anchor] of text.matchAll(/design\.md#([\w-]+)/g)) {
        expect(anchors, `${path} links design.md#${anchor}`).toContain(anchor);
      }
    }
  });
});
