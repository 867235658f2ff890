/**
 * Where a process spent its CPU, from a V8 `.cpuprofile` (`node bench/collector.ts --cpu-prof` writes one per
 * auditfeed run into bench/results/profiles/): self time by source file and by function, in % of the samples.
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [--top 25]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
const file = positionals[0];
if (file === undefined) throw new Error("Give the .cpuprofile file to summarise: node bench/profile-summary.ts <file.cpuprofile>");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const byFile = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const sample of profile.samples) {
  const frame = nodes.get(sample)?.callFrame;
  const where =
    frame === undefined
      ? "(unknown)"
      : frame.url === ""
        ? `(${frame.functionName || "native"})`
        : frame.url.replace(/^.*\/(collector|cli|node_modules)\//, "$1/");
  const name = frame === undefined ? "(unknown)" : `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
  byFile.set(where, (byFile.get(where) ?? 0) + 1);
  byFunction.set(name, (byFunction.get(name) ?? 0) + 1);
}
const top = Number(values.top);
const print = (title: string, counts: Map<string, number>): void => {
  console.log(`\n${title}`);
  for (const [name, count] of [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * count) / profile.samples.length).toFixed(1).padStart(6)} %  ${name}`);
  }
};
console.log(`${profile.samples.length} samples`);
print("self time by file", byFile);
print("self time by function", byFunction);
