import type { PartitionRef } from "./head.ts";
import type { Key, Section } from "./entries.ts";

/** One partition as this run knows it: the entries of its blob once loaded, plus what this run committed to it. */
export interface Partition {
  readonly entries: Map<Key, number>;
  /** The blob the head points at was merged in (or there is none). */
  loaded: boolean;
  /** Holds entries that are in commit blobs but not yet in a partition blob. */
  dirty: boolean;
  /** Latest expiry among the entries known here (epoch ms). */
  expiresAt: number;
}

/**
 * The in-memory view of the partitioned indexes: loaded on demand, partition by partition, and kept for the run.
 * Lookups are exact for every partition that was loaded; `toLoad` says which ones a lookup must load first.
 */
export class PartitionCache {
  readonly #partitions = new Map<string, Partition>();

  get(name: string, ref: PartitionRef | undefined): Partition {
    let partition = this.#partitions.get(name);
    if (partition === undefined) {
      partition = { entries: new Map(), loaded: ref === undefined, dirty: false, expiresAt: ref?.expiresAt ?? -Infinity };
      this.#partitions.set(name, partition);
    }
    return partition;
  }

  names(): string[] {
    return [...this.#partitions.keys()];
  }

  has(name: string): boolean {
    return this.#partitions.has(name);
  }

  peek(name: string): Partition | undefined {
    return this.#partitions.get(name);
  }

  drop(name: string): void {
    this.#partitions.delete(name);
  }

  /** Adds entries, keeping each key's latest expiry. */
  add(partition: Partition, expiresAt: number, keys: readonly Key[]): void {
    for (const key of keys) {
      const known = partition.entries.get(key);
      if (known === undefined || known < expiresAt) partition.entries.set(key, expiresAt);
    }
    if (keys.length > 0 && expiresAt > partition.expiresAt) partition.expiresAt = expiresAt;
  }

  apply(sections: readonly Section[], refs: Readonly<Record<string, PartitionRef>>, dirty: boolean): void {
    for (const section of sections) {
      const partition = this.get(section.partition, refs[section.partition]);
      this.add(partition, section.expiresAt, section.keys);
      if (dirty) partition.dirty = true;
    }
  }

  /** Entries held in memory; above a bound, clean partitions are forgotten and loaded again when needed. */
  evictCleanAbove(maxEntries: number, refs: Readonly<Record<string, PartitionRef>>): void {
    let total = 0;
    for (const partition of this.#partitions.values()) total += partition.entries.size;
    if (total <= maxEntries) return;
    for (const [name, partition] of this.#partitions) {
      if (!partition.dirty && refs[name] !== undefined) this.#partitions.delete(name);
    }
  }
}
