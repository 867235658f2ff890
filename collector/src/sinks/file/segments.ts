import { constants } from "node:fs";
import { open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { AuditfeedError } from "../../errors.ts";
import { sinkError } from "../sink-error.ts";

/** Segment files are `auditfeed-000001.ndjson`, `auditfeed-000002.ndjson`, ...: numbered so they sort in write order. */
export function segmentName(segment: number): string {
  return `auditfeed-${String(segment).padStart(6, "0")}.ndjson`;
}

const SEGMENT_NAME = /^auditfeed-(\d{6,})\.ndjson$/;

/** The segments in `directory` with their sizes, lowest number first. */
export async function listSegments(directory: string): Promise<{ segment: number; size: number }[]> {
  const found: { segment: number; size: number }[] = [];
  for (const name of await readdir(directory)) {
    const match = SEGMENT_NAME.exec(name);
    if (match?.[1] === undefined) continue;
    found.push({ segment: Number(match[1]), size: (await stat(join(directory, name))).size });
  }
  return found.sort((a, b) => a.segment - b.segment);
}

/** Makes created, deleted or renamed entries of `directory` durable (a new file's data is not enough on its own). */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cuts the segment back to `size` bytes, durably. */
export async function truncateSegment(path: string, size: number): Promise<void> {
  const handle = await open(path, constants.O_WRONLY);
  try {
    await handle.truncate(size);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Takes back bytes written in this process since `target` (never flushed, so never committed): the segment a rotation
 * had started after it is removed, and `target`'s segment is cut back to its offset. Not synced: if the process dies
 * before the data is, recovery cuts back to the committed position anyway, which is at or before `target`.
 */
export async function cutBack(directory: string, target: { segment: number; offset: number }, written: { segment: number }): Promise<void> {
  if (written.segment > target.segment) await rm(join(directory, segmentName(written.segment)), { force: true });
  const handle = await open(join(directory, segmentName(target.segment)), constants.O_WRONLY).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (handle === undefined) return;
  try {
    if ((await handle.stat()).size > target.offset) await handle.truncate(target.offset);
  } finally {
    await handle.close();
  }
}

export interface AppendOptions {
  /** fdatasync before returning. */
  readonly sync: boolean;
  /** The file may hold bytes past `offset` that were written but discarded: cut them off instead of failing. */
  readonly tailMayHoldDiscarded: boolean;
}

/**
 * Writes `data` (one `writev`: the lines are never copied into one buffer) at `offset` of the segment at `path`,
 * creating it if needed. The file is opened by path every time,
 * never kept open, so a directory that was moved or replaced makes this fail instead of writing into a file that is
 * no longer where the consumer looks; and its size is checked first, so a file that someone else truncated, replaced
 * or appended to is reported instead of silently corrupted.
 */
export async function appendToSegment(path: string, offset: number, data: readonly Buffer[], options: AppendOptions): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT, 0o600);
  try {
    const { size } = await handle.stat();
    if (size > offset && options.tailMayHoldDiscarded) await handle.truncate(offset);
    else if (size !== offset) throw sizeMismatch(path, size, offset);
    if (data.length > 0) {
      // libuv writes every buffer or fails (it loops over short writes itself); a shortfall is a failed write all the same.
      const { bytesWritten } = await handle.writev(data, offset);
      const bytes = data.reduce((sum, buffer) => sum + buffer.length, 0);
      if (bytesWritten !== bytes) throw new Error(`wrote ${bytesWritten} of ${bytes} bytes to ${path}`);
    }
    if (options.sync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Not retryable: the file no longer holds what auditfeed wrote, and writing on would corrupt it further. */
export function sizeMismatch(path: string, size: number, expected: number): AuditfeedError {
  return sinkError(
    "file",
    `segment ${path} holds ${size} bytes where auditfeed expected ${expected}: it was truncated, replaced, deleted or written to by something else. Make sure only this collector writes to the directory; to start over, move the segments away and point the state location at a new path.`,
    { retryable: false },
  );
}
