/** The NDJSON file sink's settings. */
export interface FileSinkConfig {
  readonly kind: "file";
  /** Where the segments go; created (with parents) if missing. Use it for this collector only. */
  readonly directory: string;
  /** A segment is closed at the first flush that leaves it at or past this size, in bytes; the next write starts a new one. */
  readonly rotateBytes: number;
}

export function validateFileSinkConfig(config: FileSinkConfig): FileSinkConfig {
  if (typeof config.directory !== "string" || config.directory.length === 0) {
    throw new TypeError("file sink: `directory` must name the directory that receives the NDJSON segments.");
  }
  if (!Number.isSafeInteger(config.rotateBytes) || config.rotateBytes <= 0) {
    throw new RangeError(`file sink: \`rotateBytes\` must be a positive integer of bytes; got ${String(config.rotateBytes)}.`);
  }
  return config;
}
