import type { SinkCheckpoint } from "../sink.ts";
import { sinkError } from "../sink-error.ts";

/** Every byte before `offset` of segment `segment`, and all of lower segments. */
export interface FilePosition {
  readonly segment: number;
  readonly offset: number;
}

export const FIRST_POSITION: FilePosition = { segment: 1, offset: 0 };

/**
 * The file sink's checkpoint: the position after a flush, the id of the sink folder, and the flush's number in that
 * folder (see commit-marker.ts). `stamp` is null for a checkpoint written before flushes were numbered.
 */
export interface FileCheckpoint {
  readonly position: FilePosition;
  readonly stamp: { readonly sink: string; readonly sequence: number } | null;
}

export function fileCheckpoint(checkpoint: SinkCheckpoint | null): FileCheckpoint | null {
  if (checkpoint === null) return null;
  const { segment, offset, sink, sequence } = checkpoint;
  const position = isCount(segment) && segment >= 1 && isCount(offset) ? { segment, offset } : undefined;
  if (position !== undefined && sink === undefined && sequence === undefined) return { position, stamp: null };
  if (position !== undefined && typeof sink === "string" && isCount(sequence)) return { position, stamp: { sink, sequence } };
  throw sinkError(
    "file",
    `the state's sink checkpoint ${JSON.stringify(checkpoint)} is not a file sink position ({ segment, offset, sink, sequence }): the state was written while another sink was configured. Configure that sink again, or point the state location at a new path to start over.`,
    { retryable: false },
  );
}

export function checkpointOf(position: FilePosition, sink: string, sequence: number): SinkCheckpoint {
  return { segment: position.segment, offset: position.offset, sink, sequence };
}

export function samePosition(a: FilePosition, b: FilePosition): boolean {
  return a.segment === b.segment && a.offset === b.offset;
}

export function comparePositions(a: FilePosition, b: FilePosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
