/**
 * Preloaded (`node --import`) into every process bench/collector.ts times: when the process exits, it writes its own
 * `process.resourceUsage()` (CPU time, peak RSS) to the file named by BENCH_USAGE_FILE. The figures are the kernel's
 * for the whole process, start-up and logging included, which a sampler from outside would miss at the end.
 */
import { writeFileSync } from "node:fs";

const file = process.env["BENCH_USAGE_FILE"];
if (file !== undefined && file !== "") {
  process.on("exit", () => writeFileSync(file, JSON.stringify(process.resourceUsage())));
}
