import { describe, expect, it } from "vitest";
import { EXIT } from "../../cli/src/exit-codes.ts";
import { exitCodeOf } from "../../cli/src/outcome.ts";
import type { ContentTypeReport, CycleReport } from "../../collector/src/pipeline/cycle.ts";

const clean = (contentType: ContentTypeReport["contentType"]): ContentTypeReport => ({
  contentType,
  listed: 3,
  blobs: 3,
  records: 60,
  bytes: 6000,
  duplicates: 0,
  expired: 0,
  failed: 0,
  pending: 0,
  quarantined: 0,
});
const report = (exchange: Partial<ContentTypeReport>, interrupted = false): CycleReport => ({
  contentTypes: [{ ...clean("Audit.Exchange"), ...exchange }, clean("Audit.General")],
  interrupted,
});
const failure = { code: "AF_ERR_TRANSIENT", message: "try again" };
const gap = { start: new Date("2026-11-10T00:00:00Z"), end: new Date("2026-11-13T00:00:00Z") };

/** The README's exit-code table, row by row, and which row wins when several apply. */
describe("exit code of a cycle", () => {
  it.each([
    ["everything collected", report({}), EXIT.ok],
    ["a blob failed and stays pending", report({ failed: 1 }), EXIT.partial],
    ["a content type failed", report({ error: failure }), EXIT.partial],
    ["stopped before the end", report({}, true), EXIT.partial],
    ["issue 7 item 10: blobs expired before they could be fetched", report({ expired: 2 }), EXIT.lost],
    ["an interval fell out of the 7 days", report({ gap }), EXIT.lost],
    ["a loss and a failure in the same run: the loss, which no later run reports", report({ expired: 1, failed: 1 }), EXIT.lost],
    ["issue 7 item 7: only known quarantined blobs remain", report({ quarantined: 2 }), EXIT.quarantined],
    ["a blob quarantined in this run (a new failure)", report({ failed: 1, quarantined: 1 }), EXIT.partial],
    ["a quarantined blob and a loss", report({ quarantined: 1, expired: 1 }), EXIT.lost],
  ])("should exit as the table says when %s", (_case, cycle, code) => {
    expect(exitCodeOf(cycle)).toBe(code);
  });

  it("should exit 3 when every content type failed", () => {
    const cycle: CycleReport = { contentTypes: [{ ...clean("Audit.Exchange"), error: failure }], interrupted: false };
    expect(exitCodeOf(cycle)).toBe(EXIT.failed);
  });
});
