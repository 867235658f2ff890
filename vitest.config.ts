import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker per core but one, so a 2-core machine ran one file at a time; the end-to-end
    // files spend most of their time waiting on child processes, leases and poll intervals, so a second file runs
    // in that time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // The JSON report lets .ci/run print the plain "N passed, N failed" line that CI reads.
    reporters: ["default", "json"],
    outputFile: { json: ".tmp/test-results.json" },
  },
});
