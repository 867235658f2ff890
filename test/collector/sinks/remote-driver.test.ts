import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { isAuditfeedError } from "../../../collector/src/errors.ts";
import { createLogger } from "../../../collector/src/log/logger.ts";
import { FileDeadLetter } from "../../../collector/src/sinks/remote/dead-letter.ts";
import type { DriverSettings } from "../../../collector/src/sinks/remote/driver.ts";
import type { Destination, SendOutcome } from "../../../collector/src/sinks/remote/outcome.ts";
import { RemoteSink } from "../../../collector/src/sinks/remote/remote-sink.ts";
import type { OutboundRecord } from "../../../collector/src/sinks/sink.ts";
import { outbound } from "./contract.ts";

const root = mkdtempSync(join(tmpdir(), "auditfeed-driver-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FAST: DriverSettings = { concurrency: 2, timeoutInMs: 2_000, retry: { initialDelayInMs: 5, maxRetryDelayInMs: 200, maxElapsedInMs: 5_000 } };

/** A destination in memory whose answer to each request a script decides; it counts requests and their overlap. */
class ScriptedDestination implements Destination {
  readonly name = "scripted";
  readonly limits = { maxRecords: 10, maxBytes: 100_000 };
  readonly accepted: string[] = [];
  requests = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly script: (batch: readonly OutboundRecord[], request: number, signal: AbortSignal) => Promise<SendOutcome> | SendOutcome;
  constructor(script: ScriptedDestination["script"] = () => ({ kind: "ok" })) {
    this.script = script;
  }
  size(record: OutboundRecord): number {
    return record.json.length + 1;
  }
  async send(batch: readonly OutboundRecord[], signal: AbortSignal): Promise<SendOutcome> {
    const request = this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(2, undefined, { signal });
      const outcome = await this.script(batch, request, signal);
      if (outcome.kind === "ok") this.accepted.push(...batch.map((record) => record.id));
      if (outcome.kind === "partial") {
        const failed = new Set(outcome.failed.map((item) => item.index));
        this.accepted.push(...batch.filter((_, index) => !failed.has(index)).map((record) => record.id));
      }
      return outcome;
    } finally {
      this.inFlight--;
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

let runs = 0;
async function openSink(destination: ScriptedDestination, settings = FAST, signal?: AbortSignal) {
  const logs: string[] = [];
  const logger = createLogger({ write: (line) => logs.push(line) });
  const deadLetter = new FileDeadLetter({ directory: join(root, `run-${runs++}`), sink: "scripted", logger });
  const sink = new RemoteSink({ name: "scripted", connect: () => destination, delivery: "at-least-once", deadLetter, settings, logger, signal });
  await sink.open(null);
  const deadLettered = (): { id: string; reason: string; record: { Id: string } }[] => {
    try {
      return readFileSync(deadLetter.location, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as { id: string; reason: string; record: { Id: string } });
    } catch {
      return [];
    }
  };
  return { sink, logs, deadLetter, deadLettered };
}

const sorted = (values: readonly string[]): string[] => [...values].sort();

describe("RemoteSink and its delivery driver", () => {
  it("should cut batches at the destination's record limit and keep at most `concurrency` requests in flight", async () => {
    const destination = new ScriptedDestination(async () => {
      await sleep(10);
      return { kind: "ok" };
    });
    const { sink } = await openSink(destination);
    const records = outbound(95);
    await sink.write(records);
    await sink.flush();
    expect(destination.requests).toBe(10);
    expect(destination.maxInFlight).toBe(2);
    expect(sorted(destination.accepted)).toEqual(sorted(records.map((record) => record.id)));
  });

  it("should wait what Retry-After says after a 429, then deliver everything once", async () => {
    const destination = new ScriptedDestination((_batch, request) =>
      request === 0 ? { kind: "retry", reason: "HTTP 429", retryAfterMs: 150 } : { kind: "ok" },
    );
    const { sink, logs } = await openSink(destination);
    const records = outbound(5);
    const started = Date.now();
    await sink.write(records);
    await sink.flush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(sorted(destination.accepted)).toEqual(sorted(records.map((record) => record.id)));
    expect(logs.join("")).toContain('"retryAfterHonoured":true');
  });

  it("should retry a request that outlives the timeout", async () => {
    const destination = new ScriptedDestination(async (_batch, request, signal) => {
      if (request === 0) await sleep(10_000, undefined, { signal });
      return { kind: "ok" };
    });
    const { sink, logs } = await openSink(destination, { ...FAST, timeoutInMs: 100 });
    await sink.write(outbound(3));
    await sink.flush();
    expect(destination.accepted).toHaveLength(3);
    expect(logs.join("")).toContain("no complete answer within 0.1 s (sinkTimeout)");
  });

  it("should find the one record refused for good by halving the batch, deliver the others, and dead-letter it with the reason", async () => {
    const records = outbound(10);
    const poison = records[6] as OutboundRecord;
    const destination = new ScriptedDestination((batch) =>
      batch.includes(poison) ? { kind: "permanent", reason: "HTTP 400: invalid event" } : { kind: "ok" },
    );
    const { sink, deadLettered, deadLetter, logs } = await openSink(destination);
    await sink.write(records);
    await sink.flush();
    expect(sorted(destination.accepted)).toEqual(sorted(records.filter((record) => record !== poison).map((record) => record.id)));
    expect(deadLettered()).toEqual([expect.objectContaining({ id: poison.id, reason: "HTTP 400: invalid event", record: JSON.parse(poison.json) as object })]);
    expect(deadLetter.count).toBe(1);
    expect(logs.join("")).toContain("in the dead letter");
    expect(logs.join("")).not.toContain("FileAccessed");
  });

  it("should resend only the items of a partial answer that may pass later, and dead-letter the others", async () => {
    const records = outbound(6);
    const destination = new ScriptedDestination((batch, request) =>
      request === 0
        ? {
            kind: "partial",
            failed: [
              { index: 1, reason: "es_rejected_execution_exception", retry: true },
              { index: 4, reason: "mapper_parsing_exception", retry: false },
            ],
          }
        : batch.length === 1
          ? { kind: "ok" }
          : { kind: "permanent", reason: "unexpected" },
    );
    const { sink, deadLettered } = await openSink(destination);
    await sink.write(records);
    await sink.flush();
    expect(destination.requests).toBe(2);
    expect(sorted(destination.accepted)).toEqual(sorted(records.filter((_, index) => index !== 4).map((record) => record.id)));
    expect(deadLettered().map((entry) => [entry.id, entry.reason])).toEqual([[records[4]?.id, "mapper_parsing_exception"]]);
  });

  it("should dead-letter a record larger than a request may be without sending it", async () => {
    const destination = new ScriptedDestination();
    const { sink, deadLettered } = await openSink(destination);
    const big: OutboundRecord = { id: "big", contentType: "Audit.General", creationTime: null, json: JSON.stringify({ Id: "big", pad: "x".repeat(200_000) }) };
    await sink.write([big, ...outbound(2)]);
    await sink.flush();
    expect(destination.accepted).toHaveLength(2);
    expect(deadLettered()[0]?.reason).toMatch(/^the record takes 200\d+ bytes, more than the 100000 bytes the destination accepts for one record/);
  });

  it("should fail the flush retryably once the maximum elapsed time is spent, and deliver on the redo after a discard", async () => {
    let down = true;
    const destination = new ScriptedDestination(() => (down ? { kind: "retry", reason: "HTTP 503" } : { kind: "ok" }));
    const { sink } = await openSink(destination, { ...FAST, retry: { initialDelayInMs: 20, maxRetryDelayInMs: 40, maxElapsedInMs: 200 } });
    const records = outbound(4);
    await sink.write(records);
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    expect(isAuditfeedError(error) && error.code).toBe("AF_ERR_SINK_UNAVAILABLE");
    expect((error as Error).message).toMatch(/did not accept 4 records after \d+ attempts over \d+ s: HTTP 503/);
    await sink.discard();
    down = false;
    await sink.write(records);
    await sink.flush();
    expect(sorted(destination.accepted)).toEqual(sorted(records.map((record) => record.id)));
  });

  it("should stop a backoff wait at once when the collector stops", async () => {
    const stop = new AbortController();
    const destination = new ScriptedDestination(() => ({ kind: "retry", reason: "HTTP 503", retryAfterMs: 30_000 }));
    const { sink } = await openSink(destination, { ...FAST, retry: { initialDelayInMs: 10, maxRetryDelayInMs: 60_000, maxElapsedInMs: 120_000 } }, stop.signal);
    await sink.write(outbound(2));
    const flushed = sink.flush();
    await sleep(50);
    const started = Date.now();
    stop.abort(new Error("stopping"));
    await expect(flushed).rejects.toThrow("stopping");
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
