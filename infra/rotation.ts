const DAY_IN_MS = 86_400_000;

/**
 * The rotation period a deployment falls in. Periods are fixed slices of `rotationDays` counted from the Unix epoch,
 * so every `pulumi up` inside one period computes the same values (no spurious replacement), and the first run in
 * the next period replaces the credential.
 */
export interface RotationWindow {
  /** Start of the period, `YYYY-MM-DD` (UTC): the replacement trigger and part of the credential's display name. */
  readonly label: string;
  /**
   * End of validity of a credential created in this period: two periods after the period's start, so a credential
   * stays valid at least one full period after its successor is due. That period is the grace for a missed run.
   */
  readonly credentialEndDate: string;
  /** The same instant in seconds since the epoch (Key Vault's `expires` attribute). */
  readonly credentialEndEpochSeconds: number;
  /**
   * Validity of a certificate, in hours: two periods from its creation, so it too outlives its successor's due date.
   * Fixed (not counted from now) because it is a certificate input, and a changing input would replace it every run.
   */
  readonly certificateValidityHours: number;
}

export function rotationWindow(now: Date, rotationDays: number): RotationWindow {
  if (!Number.isInteger(rotationDays) || rotationDays < 1) {
    throw new RangeError(`rotationDays must be a positive whole number of days; got ${rotationDays}.`);
  }
  const periodMs = rotationDays * DAY_IN_MS;
  const start = Math.floor(now.getTime() / periodMs) * periodMs;
  const end = start + 2 * periodMs;
  return {
    label: new Date(start).toISOString().slice(0, 10),
    credentialEndDate: new Date(end).toISOString().replace(".000Z", "Z"),
    credentialEndEpochSeconds: end / 1000,
    certificateValidityHours: 2 * rotationDays * 24,
  };
}
