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

  it("should allow a one-second burst, then refill at requestsPerMinute", async () => {
    const budget = new RequestBudget(120); // 2 per second
    const done = await granted(budget, 6);
    expect(done()).toBe(2);
    await vi.advanceTimersByTimeAsync(500);
    expect(done()).toBe(3);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done()).toBe(5);
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
    const budget = new RequestBudget(60);
    await budget.acquire();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    const next = budget.acquire();
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(next).resolves.toBeUndefined();
  });
});
