import type { CycleProgress } from "../../collector/src/pipeline/cycle.ts";

/**
 * Backfill progress: a bar redrawn in place on a terminal, a plain line every few seconds otherwise (logs, CI).
 * It writes to stderr, beside the logs, so stdout stays free for the stdout sink.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, lineIntervalMs = 5_000): { update(progress: CycleProgress): void; done(): void } {
  const started = Date.now();
  let lastLine = 0;
  const render = (progress: CycleProgress): string => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = Math.round(progress.records / seconds);
    return `${progress.blobsDone}/${progress.blobsPlanned} blobs, ${progress.records} records, ${rate} records/s`;
  };
  return {
    update(progress) {
      if (stream.isTTY) {
        const share = progress.blobsPlanned === 0 ? 1 : progress.blobsDone / progress.blobsPlanned;
        const filled = Math.round(share * 30);
        stream.write(`\r[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${Math.floor(share * 100)}% ${render(progress)}`);
      } else if (Date.now() - lastLine >= lineIntervalMs || progress.blobsDone === progress.blobsPlanned) {
        lastLine = Date.now();
        stream.write(`backfill: ${render(progress)}\n`);
      }
    },
    done() {
      if (stream.isTTY) stream.write("\n");
    },
  };
}
