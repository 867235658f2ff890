import { AuditfeedError } from "../../errors.ts";
import type { SinkCheckpoint } from "../sink.ts";

/**
 * The archive sink's position, stored by the state commit: which archive (a random id, also in the archive's marker
 * blob), the number of the last flush, and the blobs that flush staged a block in. After a commit those blocks are
 * part of the delivered output, even if the process died before it committed them to their blobs: recovery does it.
 */
export interface ArchiveCheckpoint {
  readonly archive: string;
  readonly flush: number;
  readonly blobs: readonly string[];
}

/** What the archive's marker blob holds: the last flush whose blocks are committed to their blobs. */
export interface ArchiveMarker {
  readonly archive: string;
  readonly flush: number;
}

export function toCheckpoint(checkpoint: ArchiveCheckpoint): SinkCheckpoint {
  return { archive: checkpoint.archive, flush: checkpoint.flush, blobs: JSON.stringify(checkpoint.blobs) };
}

export function fromCheckpoint(checkpoint: SinkCheckpoint, where: string): ArchiveCheckpoint {
  const { archive, flush, blobs } = checkpoint;
  let names: unknown;
  try {
    names = typeof blobs === "string" ? JSON.parse(blobs) : undefined;
  } catch {
    names = undefined;
  }
  if (typeof archive !== "string" || typeof flush !== "number" || !Array.isArray(names) || !names.every((name) => typeof name === "string")) {
    throw new AuditfeedError(
      "AF_ERR_STATE_MISMATCH",
      `azblob sink: the state's sink checkpoint is not one the archive sink wrote (another sink's?), so nothing in ${where} was touched. Point the state and the sink at the pair that belong together, or start a new state with an empty archive folder.`,
    );
  }
  return { archive, flush, blobs: names };
}

export function parseMarker(text: string): ArchiveMarker | null {
  try {
    const parsed = JSON.parse(text) as Partial<ArchiveMarker>;
    return typeof parsed.archive === "string" && typeof parsed.flush === "number" ? { archive: parsed.archive, flush: parsed.flush } : null;
  } catch {
    return null;
  }
}
