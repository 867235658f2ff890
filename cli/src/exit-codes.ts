/** Exit codes of `once` and `backfill` (what the Container Apps Job reports as the execution's outcome). */
export const EXIT = {
  /** Every content type was collected. */
  ok: 0,
  /** Some content types or blobs failed and stay pending; the rest was delivered and committed. */
  partial: 1,
  /** The configuration is invalid; nothing was attempted. */
  config: 2,
  /** The cycle failed as a whole, or every content type failed (credentials, audit logging off, sink down). */
  failed: 3,
} as const;
