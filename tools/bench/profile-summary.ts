/**
 * The hottest functions of V8 CPU profiles (`node --cpu-prof`), by self
 * time, one table per file:
 *
 *   node --import tsx tools/bench/profile-summary.ts /tmp/prof/*.cpuprofile [--top 25]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Profile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
  }[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "25" } },
});
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      .replace(/^.*node_modules\//, "")
      .replace(/^file:\/\/.*\/(dist|apps|libs)\//, "$1/");
    const key = `${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const idle = [...byFunction]
    .filter(([k]) => k.startsWith("(idle)"))
    .reduce((a, [, v]) => a + v, 0);
  process.stdout.write(
    `\n${file}: ${((total - idle) / 1000).toFixed(0)} ms busy of ${(total / 1000).toFixed(0)} ms\n`,
  );
  for (const [key, us] of [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(values.top))) {
    process.stdout.write(`${((us / (total - idle)) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
  }
}
