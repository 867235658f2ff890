/**
 * The emulator's virtual clock: it runs at wall-clock speed from wherever it was last set, so a standalone emulator
 * keeps producing content, and a test can jump hours or days ahead. Only the content timeline, subscription rules and
 * the HTTP `Date` header follow it; token expiry and throttling budgets stay on the wall clock.
 */
export interface VirtualClock {
  now(): Date;
  /** Moves virtual time forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
  set(at: Date): void;
}

/** With `frozen`, virtual time stands still except through advance and set: tests get exact, repeatable instants. */
export function createVirtualClock(start: Date, frozen = false, realNow: () => number = Date.now): VirtualClock & { nowMs(): number } {
  const wallNow = frozen ? () => 0 : realNow;
  let offsetMs = start.getTime() - wallNow();
  const nowMs = (): number => wallNow() + offsetMs;
  return {
    nowMs,
    now: () => new Date(nowMs()),
    advance(ms) {
      if (!Number.isFinite(ms)) throw new RangeError(`clock.advance needs a finite number of milliseconds; got ${ms}.`);
      offsetMs += ms;
    },
    set(at) {
      if (Number.isNaN(at.getTime())) throw new RangeError("clock.set needs a valid Date.");
      offsetMs = at.getTime() - wallNow();
    },
  };
}
