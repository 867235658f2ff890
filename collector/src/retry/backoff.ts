/** Retry timing shared by the Management API client and the remote sinks: exponential backoff with full jitter, capped, within a total elapsed budget. */
export interface RetrySettings {
  /** First backoff ceiling; doubles per attempt. */
  readonly initialDelayInMs: number;
  /** Largest single wait, also the cap applied to a server's Retry-After. */
  readonly maxRetryDelayInMs: number;
  /** No retry starts once this much time has passed since the first attempt. */
  readonly maxElapsedInMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { initialDelayInMs: 1_000, maxRetryDelayInMs: 60_000, maxElapsedInMs: 10 * 60_000 };

/** Full jitter: uniform in [0, min(max, initial * 2^attempt)), so retrying clients spread out instead of colliding. */
export function backoffDelayMs(attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxRetryDelayInMs, settings.initialDelayInMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * A Retry-After header in either form the HTTP spec allows (delay-seconds or an HTTP-date) as milliseconds from
 * `nowMs`; undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts: for a call that cannot be cancelled
 * itself (its own timeout still bounds it), so that the caller stops waiting at once.
 */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
