/**
 * SIGTERM or SIGINT stops the collector now: every request, wait and retry ends at once (the signal's reason names
 * the signal), the blobs delivered completely are committed and the one cut off is not. A second signal exits at once
 * (what was written but not committed is rolled back by the next start, so nothing is lost or repeated).
 */
export function stopOnSignals(onHardStop: () => never = () => process.exit(130)): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) onHardStop();
    controller.abort(new Error(`stopped on ${signal}`));
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return controller.signal;
}
