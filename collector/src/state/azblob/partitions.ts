import type { PartitionRef } from "./head.ts";
import type { Section } from "./entries.ts";
import { SortedKeys } from "./sorted-keys.ts";

/**
 * This run's additions to a partition are merged into its sorted keys once they outgrow this many (and at every
 * compaction): a commit then costs a merge into at most this many keys, not into the whole partition, which one huge
 * blob can fill with 450,000 ids of the same hour.
 */
export const MAX_ADDED_KEYS = 65_536;

/** One partition as this run knows it: its blob's entries once loaded, plus what this run committed to it. */
export interface Partition {
  /** The blob's entries (once loaded) merged with this run's earlier additions. */
  base: SortedKeys;
  /** This run's latest additions, merged into `base` when they outgrow MAX_ADDED_KEYS and at a compaction. */
  added: SortedKeys;
  /** The blob the head points at was merged in (or there is none). */
  loaded: boolean;
  /** Holds entries that are in commit blobs but not yet in a partition blob. */
  dirty: boolean;
  /** Latest expiry among the entries known here (epoch ms). */
  expiresAt: number;
}

/**
 * The in-memory view of the partitioned indexes: loaded on demand, partition by partition, and kept for the run.
 * Lookups are exact for every partition that was loaded.
 */
export class PartitionCache {
  readonly #partitions = new Map<string, Partition>();

  get(name: string, ref: PartitionRef | undefined): Partition {
    let partition = this.#partitions.get(name);
    if (partition === undefined) {
      partition = { base: SortedKeys.EMPTY, added: SortedKeys.EMPTY, loaded: ref === undefined, dirty: false, expiresAt: ref?.expiresAt ?? -Infinity };
      this.#partitions.set(name, partition);
    }
    return partition;
  }

  names(): string[] {
    return [...this.#partitions.keys()];
  }

  peek(name: string): Partition | undefined {
    return this.#partitions.get(name);
  }

  drop(name: string): void {
    this.#partitions.delete(name);
  }

  /** The latest expiry of `key` in the partition, -Infinity when absent. */
  expiryOf(partition: Partition, key: Uint8Array): number {
    return Math.max(partition.base.expiryOf(key), partition.added.expiryOf(key));
  }

  /** Merges the partition's blob in, once read. */
  load(partition: Partition, stored: SortedKeys): void {
    partition.base = SortedKeys.merge(stored, partition.base);
    partition.loaded = true;
    partition.expiresAt = Math.max(partition.expiresAt, stored.latestExpiry());
  }

  /** Every entry of the partition in one sorted set (its additions merged in). */
  settle(partition: Partition): SortedKeys {
    partition.base = SortedKeys.merge(partition.base, partition.added);
    partition.added = SortedKeys.EMPTY;
    return partition.base;
  }

  apply(sections: readonly Section[], refs: Readonly<Record<string, PartitionRef>>, dirty: boolean): void {
    for (const section of sections) {
      const partition = this.get(section.partition, refs[section.partition]);
      if (section.keys.length > 0) {
        partition.added = SortedKeys.merge(partition.added, SortedKeys.fromUnsorted(section.keys, section.expiresAt));
        if (partition.added.size > MAX_ADDED_KEYS) this.settle(partition);
        if (section.expiresAt > partition.expiresAt) partition.expiresAt = section.expiresAt;
      }
      if (dirty) partition.dirty = true;
    }
  }

  /** Entries held in memory; above a bound, clean partitions are forgotten and loaded again when needed. */
  evictCleanAbove(maxEntries: number, refs: Readonly<Record<string, PartitionRef>>): void {
    let total = 0;
    for (const partition of this.#partitions.values()) total += partition.base.size + partition.added.size;
    if (total <= maxEntries) return;
    for (const [name, partition] of this.#partitions) {
      if (!partition.dirty && refs[name] !== undefined) this.#partitions.delete(name);
    }
  }
}
