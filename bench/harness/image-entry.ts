/**
 * auditfeed started as its container image starts it: the job bundle (cli/build-job.ts) of a checkout, run by Node
 * with the flags of the bundle's own `#!` line. The benchmarks measure that, not `bin/auditfeed.js`, which strips the
 * types of every module at each start (a cost the image does not pay).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { JOB_BUNDLE } from "../../cli/build-job.ts";

export interface AuditfeedEntry {
  /** The bundle, run as `node <nodeFlags> <script>`. */
  readonly script: string;
  readonly nodeFlags: readonly string[];
}

const THIS_CHECKOUT = resolve(import.meta.dirname, "..", "..");

/** Builds `checkout`'s job bundle into `directory` with that checkout's own build script, and reads how to start it. */
export async function imageEntry(directory: string, checkout = THIS_CHECKOUT): Promise<AuditfeedEntry> {
  const root = resolve(checkout);
  await promisify(execFile)(process.execPath, [join(root, "cli", "build-job.ts"), directory], { cwd: root });
  const script = join(directory, JOB_BUNDLE);
  return { script, nodeFlags: shebangFlags(readFileSync(script, "utf8").split("\n", 1)[0] ?? "") };
}

/** The Node flags of a `#!/usr/bin/env node` or `#!/usr/bin/env -S node <flags>` line. */
export function shebangFlags(line: string): string[] {
  const words = line
    .replace(/^#!\S*env\s+(-S\s+)?/, "")
    .split(/\s+/)
    .filter((word) => word !== "");
  if (!line.startsWith("#!") || words[0] !== "node") throw new Error(`Not a Node bundle's first line: ${line}`);
  return words.slice(1);
}
