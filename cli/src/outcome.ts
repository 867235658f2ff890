import type { CycleReport } from "../../collector/src/pipeline/cycle.ts";
import { EXIT } from "./exit-codes.ts";

/** The exit code of a cycle, by the README's table: nothing collected, then records lost, then new failures, then known quarantined blobs. */
export function exitCodeOf(report: CycleReport): number {
  if (report.contentTypes.every((entry) => entry.error !== undefined)) return EXIT.failed;
  if (report.contentTypes.some((entry) => entry.expired > 0 || entry.gap !== undefined)) return EXIT.lost;
  const troubled = report.contentTypes.some((entry) => entry.error !== undefined || entry.failed > 0);
  if (troubled || report.interrupted) return EXIT.partial;
  return report.contentTypes.some((entry) => entry.quarantined > 0) ? EXIT.quarantined : EXIT.ok;
}
