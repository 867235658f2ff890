import { isAuditfeedError } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import { backoffDelayMs, sleep, type RetrySettings } from "../../retry/backoff.ts";
import type { OutboundRecord } from "../sink.ts";
import { sinkError } from "../sink-error.ts";
import type { DeadLetter, RejectedRecord } from "./dead-letter.ts";
import type { Destination, SendOutcome } from "./outcome.ts";

/** Code-set timing and parallelism of a remote sink's requests (the user sets them through the sink's options). */
export interface DriverSettings {
  /** Requests in flight at once; `submit` waits while this many are. */
  readonly concurrency: number;
  /** One request, from connecting to the end of its answer. */
  readonly timeoutInMs: number;
  /** Backoff between attempts; a batch that is still not accepted after `maxElapsedInMs` fails the flush. */
  readonly retry: RetrySettings;
}

export const DEFAULT_DRIVER_SETTINGS: DriverSettings = {
  concurrency: 4,
  timeoutInMs: 30_000,
  retry: { initialDelayInMs: 1_000, maxRetryDelayInMs: 60_000, maxElapsedInMs: 5 * 60_000 },
};

/**
 * Sends batches to a destination: bounded concurrency, a timeout per request, retries with exponential backoff, full
 * jitter and `Retry-After` within a maximum elapsed time, the search for the records a destination refuses for good
 * (the batch is halved until they stand alone) and their dead letter, and a stop that aborts every request and wait.
 * The destination only classifies outcomes (see `SendOutcome`).
 *
 * A batch is settled when every one of its records was accepted or is durable in the dead letter; `drain` resolves
 * when every submitted batch is settled, and is what makes a remote sink's `flush` an acknowledgement.
 */
export class DeliveryDriver {
  readonly #destination: Destination;
  readonly #deadLetter: DeadLetter;
  readonly #settings: DriverSettings;
  readonly #logger: Logger;
  readonly #signal: AbortSignal;
  readonly #inFlight = new Set<Promise<void>>();
  #failure: Error | undefined;

  constructor(options: { destination: Destination; deadLetter: DeadLetter; settings: DriverSettings; logger: Logger; signal: AbortSignal }) {
    this.#destination = options.destination;
    this.#deadLetter = options.deadLetter;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#signal = options.signal;
  }

  /** Waits for a free request slot, then sends `batch` in the background. Throws a failure of an earlier batch at once. */
  async submit(batch: readonly OutboundRecord[]): Promise<void> {
    while (this.#inFlight.size >= this.#settings.concurrency) await Promise.race(this.#inFlight);
    this.#throwFailure();
    const task = this.#settle(batch).then(
      () => undefined,
      (error: unknown) => {
        this.#failure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
    this.#inFlight.add(task);
    void task.finally(() => this.#inFlight.delete(task));
  }

  /** Resolves when every submitted batch is settled; throws the first failure among them (the others were logged). */
  async drain(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#throwFailure();
  }

  /** Waits for the requests in flight and forgets their failure: what a discard needs before the group is redone. */
  async forget(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#failure = undefined;
  }

  #throwFailure(): void {
    if (this.#failure === undefined) return;
    const failure = this.#failure;
    this.#failure = undefined;
    throw failure;
  }

  async #settle(batch: readonly OutboundRecord[]): Promise<void> {
    const { retry } = this.#settings;
    const firstAt = Date.now();
    const rejected: RejectedRecord[] = [];
    const queue: (readonly OutboundRecord[])[] = [batch];
    let attempt = 0;
    for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
      const outcome = await this.#attempt(current);
      if (outcome.kind === "ok") continue;
      if (outcome.kind === "permanent") {
        if (current.length === 1) {
          rejected.push({ record: current[0] as OutboundRecord, reason: outcome.reason });
        } else {
          // Halve until the refused records stand alone: the good ones around them are delivered.
          const half = Math.ceil(current.length / 2);
          queue.unshift(current.slice(0, half), current.slice(half));
        }
        continue;
      }
      let again: readonly OutboundRecord[] = current;
      let reason: string;
      let retryAfterMs: number | undefined;
      if (outcome.kind === "partial") {
        const failed = new Map(outcome.failed.map((item) => [item.index, item]));
        again = current.filter((_, index) => failed.get(index)?.retry === true);
        for (const [index, item] of failed) if (!item.retry) rejected.push({ record: current[index] as OutboundRecord, reason: item.reason });
        if (again.length === 0) continue;
        reason = `${again.length} of ${current.length} records were not accepted yet (${outcome.failed.find((item) => item.retry)?.reason ?? ""})`;
      } else {
        reason = outcome.reason;
        retryAfterMs = outcome.retryAfterMs;
      }
      const delayMs = Math.min(retry.maxRetryDelayInMs, retryAfterMs ?? backoffDelayMs(attempt, retry));
      const elapsedMs = Date.now() - firstAt;
      if (elapsedMs + delayMs > retry.maxElapsedInMs) {
        // What was refused for good is settled even though the rest failed: it is not sent again.
        await this.#deadLetter.put(rejected);
        throw sinkError(
          this.#destination.name,
          `the destination did not accept ${again.length} records after ${attempt + 1} attempts over ${Math.round(elapsedMs / 1000)} s: ${reason}. They stay undelivered and are sent again next cycle; check the destination (and the sink's URL and secret).`,
          { retryable: true },
        );
      }
      attempt++;
      this.#logger.info("The destination did not accept a batch; it will be sent again.", {
        sink: this.#destination.name,
        records: again.length,
        reason,
        delayMs,
        retryAfterHonoured: retryAfterMs !== undefined,
        attempt,
      });
      await sleep(delayMs, this.#signal);
      queue.push(again);
    }
    await this.#deadLetter.put(rejected);
  }

  /** One request under its timeout; anything it throws (network, TLS, timeout) is a retry, except the collector's stop. */
  async #attempt(batch: readonly OutboundRecord[]): Promise<SendOutcome> {
    if (this.#signal.aborted) throw this.#signal.reason;
    const timeout = AbortSignal.timeout(this.#settings.timeoutInMs);
    try {
      return await this.#destination.send(batch, AbortSignal.any([this.#signal, timeout]));
    } catch (error) {
      if (this.#signal.aborted) throw this.#signal.reason;
      // The destination's own verdict that retrying cannot help (an untrusted certificate): fail the batch now.
      if (isAuditfeedError(error) && !error.retryable) throw error;
      if (timeout.aborted) return { kind: "retry", reason: `no complete answer within ${this.#settings.timeoutInMs / 1000} s (sinkTimeout)` };
      return { kind: "retry", reason: describe(error) };
    }
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" ? `${code} (${message})` : message;
}
