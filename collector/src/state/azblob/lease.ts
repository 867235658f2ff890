import type { BlobLeaseClient } from "@azure/storage-blob";
import { AuditfeedError } from "../../errors.ts";
import { storageErrorCode } from "./storage-errors.ts";

/**
 * Azure's shortest finite lease: a lease left by a killed collector frees itself this soon, so the next scheduled
 * run (minutes later) always proceeds.
 */
export const LEASE_SECONDS = 15;
/** Renewed three times per lease period, so two renewals in a row may fail transiently without losing it. */
const RENEW_EVERY_MS = 5_000;
/**
 * After this long without a successful renewal the lease may have expired (clocks drift, requests take time), so
 * commits stop before the service would refuse them. The service's condition on the lease id is what guarantees
 * exclusion; this only turns a refusal that would come anyway into an earlier, clearer error.
 */
const TRUST_MS = (LEASE_SECONDS - 3) * 1_000;
const RENEW_TIMEOUT_MS = 4_000;

/** Codes the service answers with when the lease in hand is no longer the blob's lease. */
const LOST_CODES = new Set([
  "LeaseIdMismatchWithLeaseOperation",
  "LeaseIdMismatchWithBlobOperation",
  "LeaseLost",
  "LeaseNotPresentWithLeaseOperation",
  "LeaseNotPresentWithBlobOperation",
  "LeaseIsBrokenAndCannotBeRenewed",
  "ConditionNotMet",
]);

export function isLeaseLostCode(code: string | undefined): boolean {
  return code !== undefined && LOST_CODES.has(code);
}

/**
 * The one-writer lease on the state's head blob: acquired at open, renewed in the background while the store is open,
 * released at close. `check()` throws the "lease lost" error once the lease cannot be vouched for.
 */
export class StateLease {
  readonly #client: BlobLeaseClient;
  readonly #where: string;
  #renewedAt = 0;
  #lost: string | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(client: BlobLeaseClient, where: string) {
    this.#client = client;
    this.#where = where;
  }

  get id(): string {
    return this.#client.leaseId;
  }

  /** Takes the lease or fails with `AF_ERR_STATE_LOCKED` when another collector holds it. */
  async acquire(): Promise<void> {
    const started = Date.now();
    try {
      await this.#client.acquireLease(LEASE_SECONDS, { abortSignal: AbortSignal.timeout(30_000) });
    } catch (error) {
      if (storageErrorCode(error) === "LeaseAlreadyPresent") {
        throw new AuditfeedError(
          "AF_ERR_STATE_LOCKED",
          `The state at ${this.#where} is in use by another auditfeed run (it holds the state's lease). This run did nothing. If no other run is active, the lease of a stopped one frees itself within ${LEASE_SECONDS} seconds; otherwise give each collector its own state location.`,
          { cause: error },
        );
      }
      throw error;
    }
    this.#renewedAt = started;
    this.#timer = setInterval(() => void this.#renew(), RENEW_EVERY_MS);
    // A renewal in flight must not keep a finished process alive.
    this.#timer.unref();
  }

  /** Throws `AF_ERR_STATE_LEASE_LOST` when this collector can no longer prove it is the only writer. */
  check(): void {
    if (this.#lost === undefined && Date.now() - this.#renewedAt > TRUST_MS) {
      this.#lost = `it could not be renewed for ${Math.round((Date.now() - this.#renewedAt) / 1_000)} s`;
    }
    if (this.#lost !== undefined) throw this.lostError(this.#lost);
  }

  /** Marks the lease lost after the service refused a write conditioned on it, and returns the error to throw. */
  lost(reason: string, cause?: unknown): AuditfeedError {
    this.#lost ??= reason;
    this.stop();
    return this.lostError(this.#lost, cause);
  }

  lostError(reason: string, cause?: unknown): AuditfeedError {
    return new AuditfeedError(
      "AF_ERR_STATE_LEASE_LOST",
      `This run lost the lease on the state at ${this.#where} (${reason}), so another run may be writing it: nothing more is committed by this run, and the next run resumes from the last commit.`,
      cause === undefined ? {} : { cause },
    );
  }

  /** Stops renewing (close, abort, or after the lease was lost). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops renewing and gives the lease back, so the next run need not wait for it to expire. */
  async release(): Promise<void> {
    this.stop();
    if (this.#lost !== undefined) return;
    await this.#client.releaseLease({ abortSignal: AbortSignal.timeout(RENEW_TIMEOUT_MS * 2) });
  }

  async #renew(): Promise<void> {
    const started = Date.now();
    try {
      await this.#client.renewLease({ abortSignal: AbortSignal.timeout(RENEW_TIMEOUT_MS) });
      if (this.#lost === undefined) this.#renewedAt = started;
    } catch (error) {
      const code = storageErrorCode(error);
      // A transient failure is retried at the next tick; `check` decides when the lease can no longer be trusted.
      if (isLeaseLostCode(code)) this.lost(`the service refused to renew it: ${code}`, error);
    }
  }
}
