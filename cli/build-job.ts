import { chmod, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build, type Metafile } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");

/** The one file of the job artifact: the Dockerfile copies the folder that holds it, and links it as `auditfeed`. */
export const JOB_BUNDLE = "auditfeed.mjs";

/**
 * The V8 flags the image starts Node with (the bundle's `#!` line, so `auditfeed` in the image, the stack's Job
 * command, and bench/ all get them). On a large machine V8 lets each young-generation semi-space grow to 32 MiB,
 * about 100 MiB of resident memory that the collector's short-lived garbage does not need: at 16 MiB its CPU per
 * event is unchanged and a 500 MB blob peaks near 280 MiB instead of 360 (docs/performance.md, "Memory per blob").
 */
export const JOB_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=16"];

/**
 * Bundles cli/src/job.ts and the production dependencies it reaches into `outdir/auditfeed.mjs`, an executable file
 * that Node 24 runs with no node_modules beside it. Returns esbuild's metafile: every source file in the bundle.
 */
export async function buildJob(outdir: string): Promise<Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const outfile = join(outdir, JOB_BUNDLE);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["cli/src/job.ts"],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    // CommonJS dependencies (@azure/identity's MSAL) call require() for Node built-ins; an ES module has none of its own.
    banner: {
      // env -S splits the line into node and its flags (coreutils 8.30+: the Debian 12 base image has 9.1).
      js: `#!/usr/bin/env -S node ${JOB_NODE_FLAGS.join(" ")}\nimport { createRequire as createRequireForBundle } from "node:module";\nconst require = createRequireForBundle(import.meta.url);`,
    },
    // Licences of the bundled packages stay with the code that needs them.
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
  });
  await chmod(outfile, 0o755);
  return result.metafile;
}

// `node cli/build-job.ts <outdir>` (npm run build:job, and the Dockerfile's build stage).
if (import.meta.main) {
  const outdir = process.argv[2];
  if (outdir === undefined) throw new Error("Usage: node cli/build-job.ts <output folder>");
  const metafile = await buildJob(resolve(outdir));
  process.stdout.write(`${join(outdir, JOB_BUNDLE)}: ${Object.keys(metafile.inputs).length} source files\n`);
}
