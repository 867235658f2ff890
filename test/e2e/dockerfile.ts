/** One instruction of a Dockerfile, continuation lines joined: `RUN a \` + `  && b` is `RUN a && b`. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The stages of a Dockerfile, each the instructions from its FROM on (comments dropped). Enough for our own file. */
export function dockerfileStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const line of logical) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(" ") };
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

/** The `KEY=value` pairs of a stage's ENV instructions (values without spaces or quotes, as ours are). */
export function environmentOf(stage: readonly Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.filter((instruction) => instruction.keyword === "ENV")) {
    for (const pair of args.split(/\s+/)) {
      const [key, value] = pair.split("=", 2);
      if (key === undefined || value === undefined) throw new Error(`ENV ${args}: write KEY=value pairs.`);
      env[key] = value;
    }
  }
  return env;
}

/** The last value of a stage's instruction (USER, WORKDIR, ...), or undefined. */
export function lastOf(stage: readonly Instruction[], keyword: string): string | undefined {
  return stage.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;
}
