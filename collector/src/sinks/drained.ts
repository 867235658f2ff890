import { once } from "node:events";
import type { EventEmitter } from "node:events";

/**
 * Waits for backpressure to end: resolves on the writer's `drain`, or its `close` (nothing more can be written, and the
 * caller's next write reports why). Both listeners go away however the wait ends, so a writer that waits millions of
 * times keeps none; `signal` ends the wait early with its reason. Rejects if the writer emits `error` meanwhile.
 */
export async function drainedOrClosed(writer: EventEmitter, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const done = new AbortController();
  const wait = signal === undefined ? done.signal : AbortSignal.any([done.signal, signal]);
  try {
    await Promise.race([once(writer, "drain", { signal: wait }), once(writer, "close", { signal: wait })]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    done.abort();
  }
}
