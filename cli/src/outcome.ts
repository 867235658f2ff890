import type { CycleReport } from "../../collector/src/pipeline/cycle.ts";
import { EXIT } from "./exit-codes.ts";

export function exitCodeOf(report: CycleReport): number {
  if (report.contentTypes.every((entry) => entry.error !== undefined)) return EXIT.failed;
  const troubled = report.contentTypes.some((entry) => entry.error !== undefined || entry.failed > 0);
  return troubled || report.interrupted ? EXIT.partial : EXIT.ok;
}
