/**
 * What a log shipper must do to read the file sink's folder safely. `--help` prints these sentences and the README
 * holds the same ones (a test keeps the two equal): that is where users look, not in this folder's README.
 */
export const FILE_SINK_READING_RULES: readonly string[] = [
  "Read only the auditfeed-NNNNNN.ndjson segments, in number order: one audit record per line, exactly as the API returned it. Skip the .auditfeed-sink.json marker.",
  "Only the highest-numbered segment changes: after a crash or a failed state commit, what it holds past the last commit is cut off and written again.",
  "A segment is complete once a higher-numbered one exists. A shipper that must never ship a record twice reads a segment only then; one that tails the newest segment can ship a record twice after a crash, so drop repeats by the record's Id.",
  "Never write, truncate or rename a file in the folder. Delete a shipped segment only once two higher-numbered segments exist, and never the marker.",
  "The folder belongs to one collector and its state file: never point a second collector, or a state restored from a backup, at it.",
];

/** The rules as `--help` prints them. */
export function fileSinkReadingHelp(): string {
  return `Reading the file sink's folder (log shippers):\n${FILE_SINK_READING_RULES.map((rule) => `  - ${rule}`).join("\n")}\n`;
}
