import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { sinkError } from "../sink-error.ts";
import { FIRST_POSITION, type FilePosition } from "./position.ts";
import { listSegments, segmentName, sizeMismatch, syncDirectory, truncateSegment } from "./segments.ts";

/**
 * Brings `directory` back to exactly what the state committed, and returns where writing continues.
 *
 * With a committed position, everything after it was written but never committed (the process died, or the state
 * commit failed, between a flush and its commit): the position's segment is cut back to the committed offset and
 * higher segments are deleted. A segment shorter than its committed offset means committed data is gone, which is
 * reported, never papered over.
 *
 * Without one (no state commit has recorded a file sink position yet), segments holding data cannot be proven
 * uncommitted: they may be the delivered output of another state file. They are never deleted; opening fails until
 * an operator moves them away. Empty segments are removed. This is why the collector commits the position of its
 * first flush before writing anything (see `Sink.open`): from then on, recovery always has a position.
 *
 * Each step is idempotent, so a crash during recovery is recovered by the next one.
 */
export async function recover(directory: string, committed: FilePosition | null): Promise<FilePosition> {
  const created = await mkdir(directory, { recursive: true });
  if (created !== undefined) await syncDirectory(dirname(created));
  const segments = await listSegments(directory);
  if (committed === null) {
    const withData = segments.filter(({ size }) => size > 0);
    if (withData.length > 0) {
      throw sinkError(
        "file",
        `${directory} already holds ${withData.length} segment(s) with data (${withData.map(({ segment }) => segmentName(segment)).join(", ")}), but the state has no file sink position, so auditfeed cannot tell whether they were delivered. Move them out of the directory (or configure an empty directory) and start again; they are never deleted automatically.`,
        { retryable: false },
      );
    }
    for (const { segment } of segments) await rm(join(directory, segmentName(segment)));
    await syncDirectory(directory);
    return FIRST_POSITION;
  }
  const size = segments.find(({ segment }) => segment === committed.segment)?.size ?? 0;
  if (size < committed.offset) throw sizeMismatch(join(directory, segmentName(committed.segment)), size, committed.offset);
  if (size > committed.offset) await truncateSegment(join(directory, segmentName(committed.segment)), committed.offset);
  for (const { segment } of segments) {
    if (segment > committed.segment) await rm(join(directory, segmentName(segment)));
  }
  await syncDirectory(directory);
  return committed;
}
