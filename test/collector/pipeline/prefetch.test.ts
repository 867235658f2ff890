import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { prefetchInOrder } from "../../../collector/src/pipeline/prefetch.ts";

interface Chunk {
  readonly source: number;
  readonly index: number;
  readonly bytes: number;
}

describe("prefetchInOrder", () => {
  it("should hand sources to the consumer in order even when later ones finish first", async () => {
    const produce = async function* (source: number): AsyncGenerator<Chunk> {
      await sleep((5 - source) * 5);
      for (let index = 0; index < 3; index++) yield { source, index, bytes: 1 };
    };
    const seen: string[] = [];
    for await (const { source, chunks } of prefetchInOrder([0, 1, 2, 3, 4], produce, { concurrency: 3, maxBufferedBytes: 100 })) {
      for await (const chunk of chunks) seen.push(`${source}:${chunk.index}`);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].flatMap((source) => [0, 1, 2].map((index) => `${source}:${index}`)));
  });

  it("should run at most `concurrency` producers and pause a producer whose buffer is full", async () => {
    let running = 0;
    let maxRunning = 0;
    const produced = new Map<number, number>();
    const produce = async function* (source: number): AsyncGenerator<Chunk> {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        for (let index = 0; index < 50; index++) {
          produced.set(source, index + 1);
          yield { source, index, bytes: 10 };
        }
      } finally {
        running--;
      }
    };
    const order: number[] = [];
    for await (const { source, chunks } of prefetchInOrder([0, 1, 2, 3], produce, { concurrency: 2, maxBufferedBytes: 30 })) {
      await sleep(10);
      // While the consumer was away, the producer running ahead may only have filled its buffer.
      if (source === 0) expect(produced.get(1)).toBeLessThanOrEqual(4);
      for await (const chunk of chunks) order.push(chunk.source);
    }
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(order).toHaveLength(200);
  });

  it("should stream a source larger than the buffer through the head of the line", async () => {
    const produce = async function* (source: number): AsyncGenerator<Chunk> {
      for (let index = 0; index < 1_000; index++) yield { source, index, bytes: 1_000 };
    };
    let count = 0;
    for await (const { chunks } of prefetchInOrder([0], produce, { concurrency: 1, maxBufferedBytes: 2_000 })) {
      for await (const chunk of chunks) count += chunk.bytes > 0 ? 1 : 0;
    }
    expect(count).toBe(1_000);
  });

  it("should raise a producer's error only when the consumer reaches that source", async () => {
    const produce = async function* (source: number): AsyncGenerator<Chunk> {
      if (source === 1) throw new Error("blob 1 failed");
      yield { source, index: 0, bytes: 1 };
    };
    const outcomes: string[] = [];
    for await (const { source, chunks } of prefetchInOrder([0, 1, 2], produce, { concurrency: 3, maxBufferedBytes: 10 })) {
      try {
        for await (const chunk of chunks) outcomes.push(`${source}:${chunk.index}`);
      } catch (error) {
        outcomes.push(`${source}:${(error as Error).message}`);
      }
    }
    expect(outcomes).toEqual(["0:0", "1:blob 1 failed", "2:0"]);
  });

  it("should release producers the consumer abandoned", async () => {
    const finished: number[] = [];
    const produce = async function* (source: number): AsyncGenerator<Chunk> {
      try {
        for (let index = 0; index < 100; index++) yield { source, index, bytes: 10 };
      } finally {
        finished.push(source);
      }
    };
    for await (const { source } of prefetchInOrder([0, 1, 2], produce, { concurrency: 3, maxBufferedBytes: 20 })) {
      if (source === 0) break;
    }
    await sleep(20);
    expect(finished.sort()).toEqual([0, 1, 2]);
  });

  // A producer that is retrying (no chunk to push yet) never sees the abandoned channel: only its signal stops it.
  const retryingForever = (aborted: Array<{ source: number; reason: string }>) =>
    async function* (source: number, signal: AbortSignal): AsyncGenerator<Chunk> {
      if (source === 0) {
        yield { source, index: 0, bytes: 1 };
        return;
      }
      await new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => {
          aborted.push({ source, reason: (signal.reason as Error).message });
          reject(signal.reason as Error);
        }),
      );
    };

  it("should abort the producers still running when the consumer stops early", async () => {
    const aborted: Array<{ source: number; reason: string }> = [];
    for await (const { source } of prefetchInOrder([0, 1, 2], retryingForever(aborted), { concurrency: 3, maxBufferedBytes: 20 })) {
      if (source === 0) break;
    }
    expect(aborted.map((entry) => entry.source).sort()).toEqual([1, 2]);
  });

  it("should abort every producer with the caller's reason when its signal aborts, and start no new one", async () => {
    const aborted: Array<{ source: number; reason: string }> = [];
    const stop = new AbortController();
    const started: number[] = [];
    const produce = retryingForever(aborted);
    const consumed: string[] = [];
    const consuming = (async () => {
      for await (const { source, chunks } of prefetchInOrder(
        [0, 1, 2, 3, 4],
        (source, signal) => {
          started.push(source);
          return produce(source, signal);
        },
        { concurrency: 2, maxBufferedBytes: 20, signal: stop.signal },
      )) {
        try {
          for await (const chunk of chunks) consumed.push(`${source}:${chunk.index}`);
        } catch (error) {
          consumed.push(`${source}:${(error as Error).message}`);
        }
      }
    })();
    await sleep(20);
    stop.abort(new Error("stopped on SIGTERM"));
    await consuming;
    expect(aborted).toEqual(expect.arrayContaining([{ source: 1, reason: "stopped on SIGTERM" }]));
    // 2 had started when 0 was consumed; 3 and 4 never start.
    expect(consumed).toEqual(["0:0", "1:stopped on SIGTERM", "2:stopped on SIGTERM"]);
    expect(started.sort()).toEqual([0, 1, 2]);
  });
});
