import { isAuditfeedError } from "../../collector/src/errors.ts";

/**
 * Exit codes of `once` and `backfill` (what the Container Apps Job reports as the execution's outcome), documented in
 * the README's table. When several apply, the first of `failed`, `lost`, `partial`, `quarantined` wins (see
 * `exitCodeOf`): a loss is reported by one run only, so it must not hide behind a failure that the next run reports
 * again anyway; and a known quarantined blob must not hide a new failure.
 */
export const EXIT = {
  /** Every content type was collected and nothing was lost. */
  ok: 0,
  /** Some content types or blobs failed and stay pending; the rest was delivered and committed. */
  partial: 1,
  /** The configuration is invalid, or the state file or sink folder cannot be used as given (see `isSettledFailure`). */
  config: 2,
  /** The cycle failed as a whole, or every content type failed (credentials, audit logging off, sink down). */
  failed: 3,
  /** Another run holds the state (its Blob lease or the SQLite file lock); this run fetched and delivered nothing. */
  held: 4,
  /** Records were lost this run: blobs expired before they could be fetched, or an interval fell out of the API's 7 days. */
  lost: 5,
  /** Everything else was collected, but quarantined blobs remain: known failures, already reported, not retried. */
  quarantined: 6,
} as const;

/**
 * Failures that the same settings, state file and sink folder meet again on every try: invalid configuration, a state
 * file that is damaged or may not be written, a state and sink folder that do not belong together. They exit 2 with
 * the fix, and `run` stops on them instead of retrying forever.
 */
const SETTLED_FAILURES: ReadonlySet<string> = new Set([
  "AF_ERR_CONFIG",
  "AF_ERR_STATE_ACCESS",
  "AF_ERR_STATE_CORRUPT",
  "AF_ERR_STATE_MISMATCH",
  "AF_ERR_STATE_SCHEMA",
  "AF_ERR_STATE_UNREADABLE",
]);

/** True when running again with the same settings and files cannot succeed. */
export function isSettledFailure(error: unknown): boolean {
  return isAuditfeedError(error) && SETTLED_FAILURES.has(error.code);
}

/**
 * True when this process must not try again: a settled failure, or a lost state lease (another run may own the state
 * now, so this one may neither commit nor roll its sink back to a point that is no longer the last commit).
 */
export function mustStop(error: unknown): boolean {
  return isSettledFailure(error) || (isAuditfeedError(error) && error.code === "AF_ERR_STATE_LEASE_LOST");
}

/** The exit code of a start or a cycle that failed as a whole. */
export function exitCodeOfFailure(error: unknown): number {
  // Overlapping scheduled runs are expected: the later one steps aside, visibly but without looking like a failure.
  if (isAuditfeedError(error) && error.code === "AF_ERR_STATE_LOCKED") return EXIT.held;
  return isSettledFailure(error) ? EXIT.config : EXIT.failed;
}
