/**
 * What `auditfeed doctor` prints: one line per check in a fixed order, each with the concrete fix when it is not a
 * pass. `warn` is something to know that does not stop collection (it does not fail the run); `skip` is a check that
 * could not run because an earlier one failed.
 */
export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** Stable name, for `--json` consumers. */
  readonly check: string;
  readonly status: CheckStatus;
  /** One sentence: what was found. */
  readonly summary: string;
  /** What to do about it (absent on a pass). */
  readonly fix?: string;
}

export const pass = (check: string, summary: string): CheckResult => ({ check, status: "pass", summary });
export const warn = (check: string, summary: string, fix: string): CheckResult => ({ check, status: "warn", summary, fix });
export const fail = (check: string, summary: string, fix: string): CheckResult => ({ check, status: "fail", summary, fix });
export const skip = (check: string, summary: string): CheckResult => ({ check, status: "skip", summary });

export function failed(results: readonly CheckResult[]): boolean {
  return results.some((result) => result.status === "fail");
}

const LABEL: Readonly<Record<CheckStatus, string>> = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" };

export function renderText(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.check.length));
  const lines = results.map((result) => {
    const head = `  ${LABEL[result.status]}  ${result.check.padEnd(width)}  ${result.summary}`;
    return result.fix === undefined ? head : `${head}\n  ${" ".repeat(6 + width)}  fix: ${result.fix}`;
  });
  const verdict = failed(results) ? "Some checks failed: apply the fixes above, then run auditfeed doctor again." : "Every check passed.";
  return `${lines.join("\n")}\n\n${verdict}\n`;
}

export function renderJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify({ ok: !failed(results), checks: results }, null, 2)}\n`;
}
