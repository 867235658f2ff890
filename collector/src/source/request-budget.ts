import { abortable, sleep } from "../retry/backoff.ts";

const WINDOW_MS = 60_000;

/**
 * The tenant's request budget, shared by every call of one client: at most `requestsPerMinute` requests in any
 * 60-second window (the unit Microsoft's quota is expressed in), so a burst may use the whole minute's budget at once
 * and a sustained load is held to the rate; plus a tenant-wide pause. When the API throttles one request, every
 * request waits out the pause, because the quota the server enforces is the tenant's, not the request's.
 */
export class RequestBudget {
  readonly #limit: number;
  readonly #now: () => number;
  /** Ring buffer of the times of the last `limit` grants; the oldest is at `#head` once it is full. */
  readonly #grants: number[] = [];
  #head = 0;
  #pausedUntil = 0;
  /** Serialises waiters so they are served in arrival order. */
  #queue: Promise<void> = Promise.resolve();

  constructor(requestsPerMinute: number, now: () => number = Date.now) {
    this.#limit = Math.max(1, Math.floor(requestsPerMinute));
    this.#now = now;
  }

  /**
   * Waits until the pause is over and the window has room, then takes a place in it. An abort ends the wait at once,
   * even while earlier requests are still queued ahead; the turn it held then passes without taking a place.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#take(signal));
    this.#queue = turn.catch(() => undefined);
    return abortable(turn, signal);
  }

  /** Holds every request of the tenant until at least `ms` from now (a longer pause already in force is kept). */
  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + ms);
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
      const now = this.#now();
      if (this.#grants.length < this.#limit) {
        this.#grants.push(now);
        return;
      }
      const freeAt = (this.#grants[this.#head] as number) + WINDOW_MS;
      if (now >= freeAt) {
        this.#grants[this.#head] = now;
        this.#head = (this.#head + 1) % this.#limit;
        return;
      }
      await sleep(freeAt - now, signal);
    }
  }
}
