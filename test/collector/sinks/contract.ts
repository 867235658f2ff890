import { describe, expect, it } from "vitest";
import { sinkDefinition, type SinkConfig } from "../../../collector/src/sinks/registry.ts";
import type { SinkKind } from "../../../collector/src/sinks/kinds.ts";
import type { OutboundRecord, Sink, SinkCheckpoint } from "../../../collector/src/sinks/sink.ts";

/** How the contract suite drives one sink kind against a destination it can read back. */
export interface SinkUnderTest {
  readonly kind: SinkKind;
  /** The configuration the sink under test was made from (its guarantee may depend on it). */
  readonly config: SinkConfig;
  /** A new sink instance over the same destination (a restart makes a new one). */
  create(): Sink | Promise<Sink>;
  /** Every record Id the destination holds now, repeats included, in any order. */
  delivered(): Promise<string[]>;
  /** Empties the destination before each test. */
  reset(): Promise<void>;
}

let sequence = 0;

/** `count` records with fresh Ids, as the pipeline hands them to a sink. */
export function outbound(count: number, prefix = "r"): OutboundRecord[] {
  const batch = sequence++;
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${batch}-${i}`;
    const creationTime = new Date(Date.UTC(2026, 10, 20, 10, 0, i % 60)).toISOString();
    return {
      id,
      contentType: "Audit.General",
      creationTime,
      json: JSON.stringify({ Id: id, CreationTime: creationTime.slice(0, 19), Operation: "FileAccessed" }),
    };
  });
}

const ids = (records: readonly OutboundRecord[]): string[] => records.map((record) => record.id);

function counts(delivered: readonly string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const id of delivered) seen.set(id, (seen.get(id) ?? 0) + 1);
  return seen;
}

/**
 * The Sink contract (sinks/sink.ts) every sink must keep, whatever its destination: a flush acknowledges what was
 * written before it; a discard forgets what was not flushed; a restart from the last committed checkpoint (after a
 * crash between a flush and its commit) repeats nothing for an exactly-once sink, and only that window otherwise.
 */
export function describeSinkContract(subject: SinkUnderTest): void {
  const delivery = sinkDefinition(subject.kind).delivery(subject.config);

  /** A first run as the collector does it: open with no checkpoint and commit the starting position. */
  async function firstOpen(): Promise<{ sink: Sink; committed: SinkCheckpoint | null }> {
    await subject.reset();
    const sink = await subject.create();
    await sink.open(null);
    return { sink, committed: await commit(sink) };
  }

  /** A flush followed by a successful state commit, as the collector does it. */
  async function commit(sink: Sink): Promise<SinkCheckpoint | null> {
    const checkpoint = await sink.flush();
    await sink.committed(checkpoint);
    return checkpoint;
  }

  describe(`${subject.kind} sink – the Sink contract`, () => {
    it(`should declare the guarantee of its registry entry (${delivery})`, async () => {
      const sink = await subject.create();
      expect(sink.delivery).toBe(delivery);
      expect(sink.name).toBe(subject.kind);
    });

    it("should hold every record exactly once once the flush that followed its write resolved", async () => {
      const { sink } = await firstOpen();
      const first = outbound(120);
      const second = outbound(3);
      await sink.write(first.slice(0, 60));
      await sink.write(first.slice(60));
      await commit(sink);
      await sink.write(second);
      await commit(sink);
      await sink.close();
      expect((await subject.delivered()).sort()).toEqual([...ids(first), ...ids(second)].sort());
    });

    it("should forget what a discard drops, and deliver what follows exactly once", async () => {
      const { sink } = await firstOpen();
      const kept = outbound(10);
      const dropped = outbound(5);
      const after = outbound(7);
      await sink.write(kept);
      await commit(sink);
      await sink.write(dropped);
      await sink.discard();
      await sink.write(after);
      await commit(sink);
      await sink.close();
      const seen = counts(await subject.delivered());
      for (const id of [...ids(kept), ...ids(after)]) expect(seen.get(id), id).toBe(1);
      // A remote sink may have sent part of a discarded group already; an exactly-once sink holds none of it.
      for (const id of ids(dropped)) expect(seen.get(id) ?? 0).toBeLessThanOrEqual(delivery === "exactly-once" ? 0 : 1);
    });

    it("should keep the complete blobs before a savepoint when the blob after it is rolled back", async () => {
      const { sink } = await firstOpen();
      const complete = outbound(30);
      const failed = outbound(7);
      await sink.write(complete);
      await sink.savepoint();
      await sink.write(failed);
      await sink.rollback();
      await commit(sink);
      await sink.close();
      const seen = counts(await subject.delivered());
      for (const id of ids(complete)) expect(seen.get(id), id).toBe(1);
      for (const id of ids(failed)) expect(seen.get(id) ?? 0).toBeLessThanOrEqual(delivery === "exactly-once" ? 0 : 1);
    });

    it("should repeat after a crash only what was flushed but not committed, and only if it is at-least-once", async () => {
      const { sink: crashed } = await firstOpen();
      const committedRecords = outbound(40);
      await crashed.write(committedRecords);
      const committed = await commit(crashed);
      const uncommitted = outbound(25);
      await crashed.write(uncommitted);
      await crashed.flush();
      // The process dies here: no close, no commit. The restart opens a new sink at the committed checkpoint and the
      // collector writes the uncommitted group again.
      const restarted = await subject.create();
      await restarted.open(committed);
      await restarted.write(uncommitted);
      await commit(restarted);
      await restarted.close();
      await crashed.close();
      const seen = counts(await subject.delivered());
      for (const id of ids(committedRecords)) expect(seen.get(id), id).toBe(1);
      for (const id of ids(uncommitted)) {
        expect(seen.get(id), id).toBeGreaterThanOrEqual(1);
        expect(seen.get(id), id).toBeLessThanOrEqual(delivery === "exactly-once" ? 1 : 2);
      }
      expect([...seen.keys()].sort()).toEqual([...ids(committedRecords), ...ids(uncommitted)].sort());
    });

    it("should reopen after a close at its committed checkpoint and go on without loss", async () => {
      const { sink } = await firstOpen();
      const before = outbound(8);
      await sink.write(before);
      const committed = await commit(sink);
      await sink.close();
      const again = await subject.create();
      await again.open(committed);
      const after = outbound(8);
      await again.write(after);
      await commit(again);
      await again.close();
      expect((await subject.delivered()).sort()).toEqual([...ids(before), ...ids(after)].sort());
    });
  });
}
