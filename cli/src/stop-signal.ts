/**
 * SIGTERM or SIGINT asks the collector to stop taking new blobs and commit what is complete; a second signal exits
 * at once (what was written but not committed is rolled back by the next start, so nothing is lost or repeated).
 */
export function stopOnSignals(onHardStop: () => never = () => process.exit(130)): AbortSignal {
  const controller = new AbortController();
  const handler = (): void => {
    if (controller.signal.aborted) onHardStop();
    controller.abort();
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return controller.signal;
}
