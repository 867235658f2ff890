import type { CycleReport } from "../pipeline/cycle.ts";
import { EXIT } from "./exit-codes.ts";

export function exitCodeOf(report: CycleReport): number {
  const troubled = report.contentTypes.some((entry) => entry.error !== undefined || entry.failed > 0);
  return troubled || report.interrupted ? EXIT.partial : EXIT.ok;
}
