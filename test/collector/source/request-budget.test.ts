import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RequestBudget } from "../../../collector/src/source/request-budget.ts";

describe("RequestBudget", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function granted(budget: RequestBudget, count: number): Promise<() => number> {
    let done = 0;
    for (let i = 0; i < count; i++) void budget.acquire().then(() => done++);
    await vi.advanceTimersByTimeAsync(0);
    return () => done;
  }

  it("should allow the whole minute's budget at once, then a request for each grant leaving the 60-second window", async () => {
    const budget = new RequestBudget(3);
    const first = await granted(budget, 3);
    expect(first()).toBe(3);
    await vi.advanceTimersByTimeAsync(30_000);
    const later = await granted(budget, 3);
    expect(later()).toBe(0);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(later()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(later()).toBe(3);
  });

  it("should never grant more than requestsPerMinute in any 60-second window", async () => {
    const budget = new RequestBudget(10);
    const grants: number[] = [];
    for (let i = 0; i < 35; i++) void budget.acquire().then(() => grants.push(Date.now()));
    for (let step = 0; step < 400; step++) await vi.advanceTimersByTimeAsync(1_000);
    expect(grants).toHaveLength(35);
    for (const [index, at] of grants.entries()) {
      expect(grants.filter((other, j) => j >= index && other < at + 60_000).length).toBeLessThanOrEqual(10);
    }
  });

  it("should hold every request during a tenant-wide pause and keep the longer of two pauses", async () => {
    const budget = new RequestBudget(6_000);
    budget.pauseFor(2_000);
    budget.pauseFor(500);
    const done = await granted(budget, 3);
    expect(done()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(done()).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(done()).toBe(3);
  });

  it("should reject a waiting request when its signal aborts, and serve the next one", async () => {
    const budget = new RequestBudget(1);
    await budget.acquire();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    const next = budget.acquire();
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(next).resolves.toBeUndefined();
  });
});
