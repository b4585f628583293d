/**
 * A reader for the subset of Dockerfile syntax the project's Dockerfile
 * uses, enough for tests to check it without a Docker engine: comments,
 * line continuations, stages (`FROM … AS name`) and their instructions.
 */

export interface Instruction {
  readonly keyword: string;
  /** The rest of the line, continuations joined. */
  readonly args: string;
}

export interface Stage {
  /** `AS name`, or the stage's index for an unnamed one. */
  readonly name: string;
  /** The image or earlier stage it starts from. */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) {
      continue;
    }
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = "";
  }
  const stages: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const line of logical.filter((l) => l !== "")) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === "FROM") {
      const [from = "", as, name] = args.split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === "AS" && name ? name : String(stages.length),
        from,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (upper !== "ARG") {
        throw new Error(`${upper} before the first FROM`);
      }
    } else {
      stages[stages.length - 1]!.instructions.push({ keyword: upper, args });
    }
  }
  return stages;
}

/** A COPY or ADD: where from (a stage, or the build context) and what. */
export interface Copy {
  /** The stage named by `--from=`, or undefined for the build context. */
  readonly fromStage: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === "COPY" || i.keyword === "ADD")
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith("--"));
      const paths = words.filter((w) => !w.startsWith("--"));
      const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
      return {
        fromStage: from,
        sources: paths.slice(0, -1),
        destination: paths[paths.length - 1] ?? "",
      };
    });
}

/** The arguments of an exec-form instruction (`CMD ["a", "b"]`), or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  const json = args.slice(args.indexOf("["));
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}
