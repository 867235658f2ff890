import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { createSink } from "../../../collector/src/sinks/registry.ts";
import { sinkDependencies } from "./fixtures/dependencies.ts";
import type { OutboundRecord } from "../../../collector/src/sinks/sink.ts";
import { StdoutSink } from "../../../collector/src/sinks/stdout/stdout-sink.ts";

function records(count: number, padding = 100): OutboundRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `r-${i}`,
    contentType: "Audit.General",
    json: JSON.stringify({ Id: `r-${i}`, pad: "x".repeat(padding) }),
    creationTime: null,
  }));
}

/** A stream that accepts one chunk per tick: slow enough that a producer ignoring backpressure would pile up. */
function slowStream(): { stream: Writable; received: () => string; maxBuffered: () => number } {
  let text = "";
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      setImmediate(callback);
    },
  });
  const originalWrite = stream.write.bind(stream);
  stream.write = ((...args: Parameters<Writable["write"]>) => {
    const result = originalWrite(...args);
    maxBuffered = Math.max(maxBuffered, stream.writableLength);
    return result;
  }) as Writable["write"];
  return { stream, received: () => text, maxBuffered: () => maxBuffered };
}

describe("StdoutSink", () => {
  it("should write NDJSON, wait for drain between chunks, and resolve flush once everything is written", async () => {
    const { stream, received, maxBuffered } = slowStream();
    const sink = new StdoutSink({ stream });
    await sink.open(null);
    const batch = records(5_000);
    await sink.write(batch);
    expect(await sink.flush()).toBeNull();
    expect(received()).toBe(batch.map((record) => `${record.json}\n`).join(""));
    // One chunk of 1,000 records past the high-water mark at most, not the whole batch.
    expect(maxBuffered()).toBeLessThan(16 * 1024 + 1_000 * 200);
    expect(sink.delivery).toBe("at-least-once");
  });

  it("should leave no listener behind after 20,000 records to a slow reader, however many times it waited", async () => {
    const { stream, received } = slowStream();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    const counts = (): Record<string, number> => ({
      drain: stream.listenerCount("drain"),
      close: stream.listenerCount("close"),
      error: stream.listenerCount("error"),
    });
    const before = counts();
    const sink = new StdoutSink({ stream });
    await sink.open(null);
    let waits = 0;
    const countWait = (): void => void waits++;
    stream.on("drain", countWait);
    const batch = records(20_000, 1_000);
    for (let start = 0; start < batch.length; start += 100) await sink.write(batch.slice(start, start + 100));
    await sink.flush();
    stream.off("drain", countWait);
    await sink.close();
    process.off("warning", onWarning);
    expect(received().split("\n")).toHaveLength(20_001);
    expect(waits).toBeGreaterThanOrEqual(100);
    expect(counts()).toEqual(before);
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("should fail flush, not retryably, when the reader of its pipe has gone away", async () => {
    const reader = spawn(process.execPath, ["-e", "process.exit(0)"], { stdio: ["pipe", "ignore", "ignore"] });
    await new Promise((resolve) => reader.once("exit", resolve));
    const sink = new StdoutSink({ stream: reader.stdin });
    await sink.open(null);
    let error: AuditfeedError | undefined;
    for (let attempt = 0; attempt < 50 && error === undefined; attempt++) {
      try {
        await sink.write(records(100));
        await sink.flush();
        await sleep(10);
      } catch (caught) {
        error = caught as AuditfeedError;
      }
    }
    expect(error?.code).toBe("AF_ERR_SINK_REJECTED");
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain("standard output");
  });

  it("should keep the lines a rolled-back blob wrote (they cannot be taken back: at least once), and repeat nothing else", async () => {
    const { stream, received } = slowStream();
    const sink = new StdoutSink({ stream });
    await sink.open(null);
    const complete = records(3);
    const partial = records(2, 10);
    await sink.write(complete);
    await sink.savepoint();
    await sink.write(partial);
    await sink.rollback();
    await sink.flush();
    expect(received()).toBe([...complete, ...partial].map((record) => `${record.json}\n`).join(""));
  });

  it("should be what createSink builds for kind stdout, and the file sink for kind file", () => {
    expect(createSink({ kind: "stdout" }, sinkDependencies()).name).toBe("stdout");
    expect(createSink({ kind: "file", directory: "/tmp/unused", rotateBytes: 1 }, sinkDependencies()).delivery).toBe("exactly-once");
    expect(() => createSink({ kind: "file", directory: "/tmp/unused", rotateBytes: 0 }, sinkDependencies())).toThrow(
      "file sink: `rotateBytes` must be a positive integer of bytes; got 0.",
    );
  });
});
