/**
 * Runs up to `concurrency` producers ahead of a consumer that takes their outputs strictly in order. Each producer's
 * output is buffered up to `maxBufferedBytes`; past that the producer waits (which pauses its HTTP download), so memory
 * stays bounded by concurrency x maxBufferedBytes however large a blob is. The head of the line is drained as it
 * arrives, so a blob larger than the buffer streams through instead of deadlocking.
 */
export interface Sized {
  readonly bytes: number;
}

type Pull<T> = { done: false; value: T } | { done: true };

class BoundedChannel<T extends Sized> {
  readonly #items: T[] = [];
  #bytes = 0;
  #closed = false;
  #abandoned = false;
  #failure: { error: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Resolves false once nobody will read this channel again: the producer should stop (and release its download). */
  async push(item: T): Promise<boolean> {
    while (!this.#abandoned && this.#bytes > 0 && this.#bytes + item.bytes > this.#maxBytes) {
      await new Promise<void>((resolve) => (this.#wakeProducer = resolve));
    }
    if (this.#abandoned) return false;
    this.#items.push(item);
    this.#bytes += item.bytes;
    this.#wake("consumer");
    return true;
  }

  abandon(): void {
    this.#abandoned = true;
    this.#items.length = 0;
    this.#bytes = 0;
    this.#wake("producer");
  }

  close(failure?: { error: unknown }): void {
    this.#closed = true;
    this.#failure = failure;
    this.#wake("consumer");
  }

  async pull(): Promise<Pull<T>> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        this.#bytes -= item.bytes;
        this.#wake("producer");
        return { done: false, value: item };
      }
      if (this.#failure) throw this.#failure.error;
      if (this.#closed) return { done: true };
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
  }

  #wake(who: "consumer" | "producer"): void {
    const wake = who === "consumer" ? this.#wakeConsumer : this.#wakeProducer;
    if (who === "consumer") this.#wakeConsumer = undefined;
    else this.#wakeProducer = undefined;
    wake?.();
  }
}

export interface PrefetchOptions {
  readonly concurrency: number;
  readonly maxBufferedBytes: number;
  /** Stops every producer (their requests, waits and retries) and starts no new one. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Yields, for each source in order, an async iterable of its chunks. A producer error is raised to the consumer when
 * it reaches that source's chunks, never earlier, so everything before it can still be delivered and committed.
 *
 * Each producer gets a signal that aborts once nobody will read its output: when the consumer moves past its source,
 * when the consumer stops early (a stop, a failure), and with `options.signal`. A producer still retrying a download
 * must not outlive the cycle that wanted it.
 */
export async function* prefetchInOrder<S, T extends Sized>(
  sources: readonly S[],
  produce: (source: S, signal: AbortSignal) => AsyncIterable<T>,
  options: PrefetchOptions,
): AsyncGenerator<{ source: S; chunks: AsyncIterable<T> }> {
  const channels: Array<BoundedChannel<T> | undefined> = [];
  const producers: Array<AbortController | undefined> = [];
  // One reason for every producer: an Error per blob would capture a stack each time for nobody to read.
  const notWanted = new Error("The prefetched blob is no longer wanted.");
  const start = (index: number): void => {
    const source = sources[index];
    if (source === undefined || options.signal?.aborted) return;
    const channel = new BoundedChannel<T>(options.maxBufferedBytes);
    const producer = new AbortController();
    channels[index] = channel;
    producers[index] = producer;
    const signal = options.signal === undefined ? producer.signal : AbortSignal.any([producer.signal, options.signal]);
    void (async () => {
      try {
        for await (const chunk of produce(source, signal)) {
          if (!(await channel.push(chunk))) return;
        }
        channel.close();
      } catch (error) {
        channel.close({ error });
      }
    })();
  };
  /** Once per source: its channel and producer are then forgotten, so the cleanup at the end visits only the live ones. */
  const abandon = (index: number): void => {
    channels[index]?.abandon();
    producers[index]?.abort(notWanted);
    channels[index] = undefined;
    producers[index] = undefined;
  };
  for (let index = 0; index < Math.min(options.concurrency, sources.length); index++) start(index);
  try {
    for (let index = 0; index < sources.length; index++) {
      const channel = channels[index];
      const source = sources[index];
      if (channel === undefined || source === undefined) break;
      const chunks: AsyncIterable<T> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            const pulled = await channel.pull();
            return pulled.done ? { done: true, value: undefined } : { done: false, value: pulled.value };
          },
        }),
      };
      yield { source, chunks };
      // The consumer is done with this source: whatever it left is not needed, and the next source may start.
      abandon(index);
      start(index + options.concurrency);
    }
  } finally {
    channels.forEach((_, index) => abandon(index));
  }
}
