import type { Head } from "./head.ts";

/**
 * Orphans: blobs of this state's own naming (`commits/<run>-<n>`, `parts/<partition>/<run>-<n>`) that its head does
 * not name. A run killed after writing a commit blob or a compaction's partition blobs, but before the head that would
 * have named them, leaves them; nothing reads them (only the head makes a blob live), so they cost storage only, and a
 * sweep hands them to the head's garbage. Blobs of the sweeping run itself are left alone: it may be writing them.
 */
const OWN_NAME = /^(?:commits|parts\/[rb]\/[^/]+)\/([0-9a-f]{12})-\d{6}$/;

/** A sweep runs after a run that died mid-way (its commits were never compacted) and at least this often. */
export const SWEEP_EVERY_MS = 24 * 3_600_000;

/** Whether the prune at `now` should list the state's blobs for orphans. */
export function sweepDue(head: Head, diedMidway: boolean, now: number): boolean {
  return diedMidway || head.sweptAt === undefined || now - head.sweptAt >= SWEEP_EVERY_MS;
}

/** The orphans among `listed` (names relative to the state's prefix). */
export function orphans(listed: Iterable<string>, head: Head, run: string): string[] {
  const live = new Set([...Object.values(head.partitions).map((ref) => ref.blob), ...head.commits, ...head.garbage]);
  const found: string[] = [];
  for (const name of listed) {
    const owner = OWN_NAME.exec(name)?.[1];
    if (owner !== undefined && owner !== run && !live.has(name)) found.push(name);
  }
  return found;
}
