import { describe, expect, it } from "vitest";
import { LISTING_RETENTION_MS, MAX_WINDOW_MS, planWindows } from "../../../collector/src/pipeline/windows.ts";

const HOUR = 3_600_000;
const now = new Date("2026-11-23T12:00:00.750Z");
const nowSecond = new Date("2026-11-23T12:00:00.000Z");

describe("planWindows", () => {
  it("should list the configured look-back on the first run, ending at the current whole second", () => {
    const plan = planWindows({ cursor: undefined, now, lookbackMs: HOUR, overlapMs: 24 * HOUR });
    expect(plan.windows).toEqual([{ start: new Date(nowSecond.getTime() - HOUR), end: nowSecond }]);
    expect(plan.gap).toBeUndefined();
  });

  it("should re-list the overlap before the point listed through, but never before the origin", () => {
    const cursor = { origin: "2026-11-23T06:00:00.000Z", listedThrough: "2026-11-23T11:00:00.000Z", subscriptionStartedAt: null };
    const overlapping = planWindows({ cursor, now, lookbackMs: HOUR, overlapMs: 2 * HOUR });
    expect(overlapping.windows[0]?.start).toEqual(new Date("2026-11-23T09:00:00.000Z"));
    const clamped = planWindows({ cursor, now, lookbackMs: HOUR, overlapMs: 24 * HOUR });
    expect(clamped.windows[0]?.start).toEqual(new Date("2026-11-23T06:00:00.000Z"));
  });

  it("should cut long ranges into contiguous windows of at most 24 hours", () => {
    const plan = planWindows({ cursor: undefined, now, lookbackMs: 3 * 24 * HOUR + 5 * HOUR, overlapMs: HOUR });
    expect(plan.windows).toHaveLength(4);
    for (const window of plan.windows) expect(window.end.getTime() - window.start.getTime()).toBeLessThanOrEqual(MAX_WINDOW_MS);
    for (let index = 1; index < plan.windows.length; index++) expect(plan.windows[index]?.start).toEqual(plan.windows[index - 1]?.end);
    expect(plan.windows.at(-1)?.end).toEqual(nowSecond);
  });

  it("should stay inside the 7-day listing limit and report what fell out of it as a gap", () => {
    const cursor = { origin: "2026-11-01T00:00:00.000Z", listedThrough: "2026-11-10T00:00:00.000Z", subscriptionStartedAt: null };
    const plan = planWindows({ cursor, now, lookbackMs: HOUR, overlapMs: HOUR });
    const first = plan.windows[0];
    expect(first).toBeDefined();
    expect(nowSecond.getTime() - (first?.start.getTime() ?? 0)).toBeLessThan(LISTING_RETENTION_MS);
    expect(plan.gap?.start).toEqual(new Date("2026-11-10T00:00:00.000Z"));
    expect(plan.gap?.end).toEqual(first?.start);
  });

  it("should not call a first run's look-back past the limit a gap", () => {
    const plan = planWindows({ cursor: undefined, now, lookbackMs: LISTING_RETENTION_MS, overlapMs: HOUR });
    expect(plan.gap).toBeUndefined();
  });

  it("should list from --since even when the cursor is later, and move the origin back", () => {
    const cursor = { origin: "2026-11-23T06:00:00.000Z", listedThrough: "2026-11-23T11:59:00.000Z", subscriptionStartedAt: null };
    const since = new Date("2026-11-21T00:00:00.000Z");
    const plan = planWindows({ cursor, now, lookbackMs: HOUR, overlapMs: HOUR, since });
    expect(plan.origin).toEqual(since);
    expect(plan.windows[0]?.start).toEqual(since);
  });
});
