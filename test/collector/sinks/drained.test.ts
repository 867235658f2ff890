import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { drainedOrClosed } from "../../../collector/src/sinks/drained.ts";

const listeners = (writer: EventEmitter): number => writer.listenerCount("drain") + writer.listenerCount("close");

describe("drainedOrClosed", () => {
  it.each(["drain", "close"])("should resolve on %s and leave no listener", async (event) => {
    const writer = new EventEmitter();
    const waiting = drainedOrClosed(writer);
    expect(listeners(writer)).toBe(2);
    writer.emit(event);
    await waiting;
    expect(listeners(writer)).toBe(0);
  });

  it("should end with the signal's reason when aborted, and leave no listener", async () => {
    const writer = new EventEmitter();
    const stop = new AbortController();
    const waiting = drainedOrClosed(writer, stop.signal);
    stop.abort(new Error("stopped on SIGTERM"));
    await expect(waiting).rejects.toThrow("stopped on SIGTERM");
    expect(listeners(writer)).toBe(0);
    await expect(drainedOrClosed(writer, stop.signal)).rejects.toThrow("stopped on SIGTERM");
    expect(listeners(writer)).toBe(0);
  });

  it("should reject on the writer's error", async () => {
    const writer = new EventEmitter();
    const waiting = drainedOrClosed(writer);
    writer.emit("error", new Error("EPIPE"));
    await expect(waiting).rejects.toThrow("EPIPE");
    expect(listeners(writer)).toBe(0);
  });
});
