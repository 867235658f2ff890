import type { SinkCheckpoint } from "../sink.ts";
import { sinkError } from "../sink-error.ts";

/** The file sink's checkpoint: every byte before `offset` of segment `segment`, and all of lower segments, is committed. */
export interface FilePosition {
  readonly segment: number;
  readonly offset: number;
}

export const FIRST_POSITION: FilePosition = { segment: 1, offset: 0 };

export function positionFromCheckpoint(checkpoint: SinkCheckpoint | null): FilePosition | null {
  if (checkpoint === null) return null;
  const { segment, offset } = checkpoint;
  if (
    typeof segment === "number" &&
    Number.isSafeInteger(segment) &&
    segment >= 1 &&
    typeof offset === "number" &&
    Number.isSafeInteger(offset) &&
    offset >= 0
  ) {
    return { segment, offset };
  }
  throw sinkError(
    "file",
    `the state's sink checkpoint ${JSON.stringify(checkpoint)} is not a file sink position ({ segment, offset }): the state was written while another sink was configured. Configure that sink again, or point the state location at a new path to start over.`,
    { retryable: false },
  );
}

export function checkpointFromPosition(position: FilePosition): SinkCheckpoint {
  return { segment: position.segment, offset: position.offset };
}

export function samePosition(a: FilePosition, b: FilePosition): boolean {
  return a.segment === b.segment && a.offset === b.offset;
}
