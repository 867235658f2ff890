import { sleep } from "./backoff.ts";

/**
 * The tenant's request budget, shared by every call of one client: a token bucket refilled at `requestsPerMinute`
 * (bursts up to one second's worth), plus a tenant-wide pause. When the API throttles one request, every request
 * waits out the pause, because the quota the server enforces is the tenant's, not the request's.
 */
export class RequestBudget {
  readonly #ratePerMs: number;
  readonly #capacity: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = 0;
  /** Serialises waiters so they are served in arrival order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(requestsPerMinute: number, now: () => number = Date.now) {
    this.#ratePerMs = requestsPerMinute / 60_000;
    this.#capacity = Math.max(1, Math.ceil(requestsPerMinute / 60));
    this.#now = now;
    this.#tokens = this.#capacity;
    this.#refilledAt = now();
  }

  /** Waits until the pause is over and a request token is free, then takes it. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#take(signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Holds every request of the tenant until at least `ms` from now (a longer pause already in force is kept). */
  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
    this.#tokens = Math.min(this.#tokens, 1);
  }

  /** Milliseconds left of the tenant-wide pause (0 when not paused). */
  pausedForMs(): number {
    return Math.max(0, this.#pausedUntil - this.#now());
  }

  async #take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const paused = this.pausedForMs();
      if (paused > 0) {
        await sleep(paused, signal);
        continue;
      }
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await sleep(Math.ceil((1 - this.#tokens) / this.#ratePerMs), signal);
    }
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#refilledAt) * this.#ratePerMs);
    this.#refilledAt = now;
  }
}
