import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AuditfeedError } from "../../errors.ts";
import { sinkError } from "../sink-error.ts";
import { MARKER_NAME, newMarker, readMarker, writeMarker, type CommitMarker } from "./commit-marker.ts";
import { comparePositions, FIRST_POSITION, samePosition, type FileCheckpoint, type FilePosition } from "./position.ts";
import { listSegments, segmentName, syncDirectory, truncateSegment } from "./segments.ts";

/** Where writing continues after recovery, and the folder's marker as recovery left it. */
export interface Recovered {
  readonly position: FilePosition;
  readonly marker: CommitMarker;
}

/**
 * Brings `directory` back to exactly what the state committed, and returns where writing continues.
 *
 * Bytes past the committed position are removed only when recovery can prove that no commit covers them. The
 * collector commits every flush before it flushes again, and acknowledges each commit to the sink (`Sink.committed`),
 * so the folder's marker (commit-marker.ts) and the state's checkpoint tell the cases apart:
 * - the state committed the folder's last flush: what follows was written after it and never flushed;
 * - the state committed the flush before the last one, and no later commit was acknowledged: the last flush is the
 *   one a crash (or a failed state commit) left uncommitted;
 * - anything else (an older flush, another folder, a folder without a marker, a marker behind the state) means the
 *   state and the folder do not belong together: a state restored from a backup, or the wrong volume. The bytes
 *   past the checkpoint are then delivered output of a later commit, so nothing is touched and opening fails with
 *   `AF_ERR_STATE_MISMATCH`.
 *
 * Without a checkpoint (no commit has recorded a file sink position yet), segments holding data cannot be proven
 * uncommitted either: they are refused, never deleted; empty ones are removed. This is why the collector commits the
 * position of its first flush before writing anything (see `Sink.open`).
 *
 * Each step is idempotent, so a crash during recovery is recovered by the next one.
 */
export async function recover(directory: string, committed: FileCheckpoint | null): Promise<Recovered> {
  // Owner-only: the records are a tenant's audit log (see FileSink).
  const created = await mkdir(directory, { recursive: true, mode: 0o700 });
  if (created !== undefined) await syncDirectory(dirname(created));
  const segments = await listSegments(directory);
  const found = await readMarker(directory);
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
    const marker = newMarker(FIRST_POSITION);
    await writeMarker(directory, marker, true);
    return { position: FIRST_POSITION, marker };
  }

  const { position } = committed;
  const size = segments.find(({ segment }) => segment === position.segment)?.size ?? 0;
  const uncommitted = size > position.offset || segments.some(({ segment, size: bytes }) => segment > position.segment && bytes > 0);
  const marker = provenMarker(directory, committed, found, uncommitted);
  if (size < position.offset) {
    throw mismatch(
      directory,
      `segment ${segmentName(position.segment)} holds ${size} bytes, but the state committed ${position.offset}: delivered output is missing from the folder (it was truncated, replaced, or is not the folder this state wrote to).`,
      "Point the sink folder at the one this state wrote to; to start over, move the segments away and point the state location at a new path.",
    );
  }
  if (size > position.offset) await truncateSegment(join(directory, segmentName(position.segment)), position.offset);
  for (const { segment } of segments) {
    if (segment > position.segment) await rm(join(directory, segmentName(segment)));
  }
  await writeMarker(directory, marker, true);
  return { position, marker };
}

/** The marker after recovery to `committed`, or the reason why what follows `committed` cannot be proven uncommitted. */
function provenMarker(directory: string, committed: FileCheckpoint, found: CommitMarker | null, uncommitted: boolean): CommitMarker {
  const { position, stamp } = committed;
  if (stamp === null) {
    // A checkpoint from before flushes were numbered: nothing past it can be proven uncommitted.
    if (found === null && !uncommitted) return newMarker(position);
    throw mismatch(
      directory,
      found === null
        ? "the folder holds data past the state's checkpoint, and the checkpoint predates numbered flushes, so auditfeed cannot prove that data uncommitted."
        : "the state's checkpoint predates numbered flushes, but the folder's flushes are numbered: the state is older than the folder.",
      STALE_STATE_FIX,
    );
  }
  if (found === null) {
    throw mismatch(
      directory,
      `the state committed flush ${stamp.sequence} of sink folder ${stamp.sink}, but this folder has no ${MARKER_NAME}: it is not the folder this state wrote to.`,
      WRONG_FOLDER_FIX,
    );
  }
  if (found.sink !== stamp.sink) {
    throw mismatch(directory, `the state belongs to sink folder ${stamp.sink}, but this folder is ${found.sink}.`, WRONG_FOLDER_FIX);
  }
  const { sequence } = stamp;
  const last = found.flushed;
  const proven =
    (sequence === last.sequence && samePosition(position, last.position)) ||
    (sequence === last.sequence - 1 && found.committed <= sequence && comparePositions(position, last.position) <= 0);
  if (!proven) {
    const why =
      sequence > last.sequence
        ? `the folder's last flush is ${last.sequence}, before the state's checkpoint (flush ${sequence}): the folder is older than the state, and delivered output is missing.`
        : `the state committed flush ${sequence}, but the folder holds flush ${last.sequence}${found.committed > sequence ? `, and commit ${found.committed} was acknowledged` : ""}: a later state committed the output past this state's checkpoint, so this state is older than the folder (restored from a backup, or from another volume).`;
    throw mismatch(directory, why, sequence > last.sequence ? WRONG_FOLDER_FIX : STALE_STATE_FIX);
  }
  return { sink: found.sink, flushed: { sequence, position }, committed: sequence };
}

const STALE_STATE_FIX =
  "Use the state file that wrote this folder. To go on with this state instead, move the segments and the marker out of the folder (they are delivered output); the records this state had not committed are then delivered again into the empty folder.";
const WRONG_FOLDER_FIX =
  "Point the sink folder at the one this state wrote to, or the state location at the state that wrote this folder; to start over, move the segments away and point the state location at a new path.";

/** Not retryable: the same state and folder fail the same way until an operator picks the ones that belong together. */
function mismatch(directory: string, why: string, fix: string): AuditfeedError {
  return new AuditfeedError("AF_ERR_STATE_MISMATCH", `file sink: ${directory} does not match the state, and nothing in it was changed: ${why} ${fix}`);
}
