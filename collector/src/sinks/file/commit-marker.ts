import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { AuditfeedError } from "../../errors.ts";
import { isCount, type FilePosition } from "./position.ts";
import { syncDirectory } from "./segments.ts";

/**
 * What a sink folder says about its own history, kept beside the segments: which folder this is (`sink`, a random id
 * given when the folder starts), where its last flush ended and that flush's number (`flushed`), and the number of the
 * last flush whose state commit the collector acknowledged (`committed`). Every checkpoint the sink returns carries
 * the folder id and the flush number, so the state says which flush it committed. Recovery compares the two and
 * removes only bytes it can prove no commit covers (see recovery.ts).
 */
export interface CommitMarker {
  readonly sink: string;
  readonly flushed: { readonly sequence: number; readonly position: FilePosition };
  readonly committed: number;
}

/** A dot file, so a shipper that reads `*.ndjson` (or skips hidden files) never takes it for output. */
export const MARKER_NAME = ".auditfeed-sink.json";
const TEMPORARY_NAME = `${MARKER_NAME}.tmp`;

export function newMarker(position: FilePosition): CommitMarker {
  return { sink: randomUUID(), flushed: { sequence: 0, position }, committed: 0 };
}

/** The folder's marker, or null when it has none (a new folder, or one written before markers existed). */
export async function readMarker(directory: string): Promise<CommitMarker | null> {
  const path = join(directory, MARKER_NAME);
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const marker = parseMarker(text);
  if (marker === null) {
    throw new AuditfeedError(
      "AF_ERR_STATE_MISMATCH",
      `file sink: ${path} is not a marker auditfeed wrote, so nothing in ${directory} can be proven uncommitted and nothing was changed. Restore the file, or move the segments out of the folder (they are delivered output) to start a new one.`,
    );
  }
  return marker;
}

/**
 * Replaces the marker atomically: written and synced under a temporary name, then renamed over the old one, so a
 * crash leaves the old marker or the new one, never a torn one. `durable` also syncs the directory, so the rename
 * itself survives a power loss: needed before a checkpoint that names this flush can be committed.
 */
export async function writeMarker(directory: string, marker: CommitMarker, durable: boolean): Promise<void> {
  const temporary = join(directory, TEMPORARY_NAME);
  // Owner-only like the segments it describes.
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(marker)}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, join(directory, MARKER_NAME));
  if (durable) await syncDirectory(directory);
}

function parseMarker(text: string): CommitMarker | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const marker = value as Partial<CommitMarker> | null;
  const position = marker?.flushed?.position;
  const valid =
    typeof marker?.sink === "string" &&
    isCount(marker.flushed?.sequence) &&
    isCount(marker.committed) &&
    isCount(position?.offset) &&
    isCount(position?.segment) &&
    (position?.segment ?? 0) >= 1;
  return valid ? (marker as CommitMarker) : null;
}
