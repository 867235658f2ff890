import type { BlobLeaseClient } from "@azure/storage-blob";
import { AuditfeedError } from "../../errors.ts";
import { storageErrorCode } from "../../storage/storage-errors.ts";

/**
 * Azure's shortest finite lease: a lease left by a killed collector frees itself this soon, so the next scheduled
 * run (minutes later) always proceeds.
 */
export const LEASE_SECONDS = 15;
/** Renewed three times per lease period, so two renewals in a row may fail transiently without losing it. */
const RENEW_EVERY_MS = 5_000;
/**
 * After this long without a successful renewal the lease may have expired (clocks drift, requests take time), so a
 * write first renews it and waits for the service's answer. The service's condition on the lease id is what
 * guarantees exclusion; this only turns a refusal that would come anyway into an earlier, clearer error.
 */
const TRUST_MS = (LEASE_SECONDS - 3) * 1_000;
/**
 * A renewal is given a whole lease period: a slow answer (a busy service, or this process's event loop held up by a
 * long garbage collection) is still an answer, and one that comes late only makes the next renewal due sooner.
 */
const RENEW_TIMEOUT_MS = LEASE_SECONDS * 1_000;
/** Giving the lease back is a courtesy (it expires by itself): a stopping run does not wait long for it. */
const RELEASE_TIMEOUT_MS = 8_000;

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
 * released at close. `ensure()` vouches for it before a write, asking the service when the background renewals could
 * not (the timer starved by a busy process, or the service slow to answer). Azure renews a lease that expired
 * meanwhile only if nobody leased the blob since (every auditfeed run leases it before writing, and the head is also
 * written only over the ETag this run last saw), so a renewal that succeeds late still proves this run is the only
 * writer. Only the service's refusal, or no answer at all, loses the lease.
 */
export class StateLease {
  readonly #client: BlobLeaseClient;
  readonly #where: string;
  #renewedAt = 0;
  #lost: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The renewal in flight: the timer and `ensure` share it rather than stack requests on a slow service. */
  #renewing: Promise<void> | undefined;

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

  /**
   * Resolves when this run may write: the lease was renewed within the trust window, or is renewed now. Throws
   * `AF_ERR_STATE_LEASE_LOST` when the service refused it or could not be asked.
   */
  async ensure(): Promise<void> {
    if (this.#lost === undefined && Date.now() - this.#renewedAt > TRUST_MS) await this.#renew();
    this.check();
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
    await this.#client.releaseLease({ abortSignal: AbortSignal.timeout(RELEASE_TIMEOUT_MS) });
  }

  #renew(): Promise<void> {
    this.#renewing ??= this.#renewOnce().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  async #renewOnce(): Promise<void> {
    if (this.#lost !== undefined) return;
    // The lease runs from when the service took the renewal, which is no earlier than this.
    const started = Date.now();
    try {
      await this.#client.renewLease({ abortSignal: AbortSignal.timeout(RENEW_TIMEOUT_MS) });
      if (this.#lost === undefined) this.#renewedAt = started;
    } catch (error) {
      const code = storageErrorCode(error);
      // A transient failure is retried at the next tick; `check` and `ensure` decide when the lease can no longer be trusted.
      if (isLeaseLostCode(code)) this.lost(`the service refused to renew it: ${code}`, error);
    }
  }
}
