import type { ContentType } from "../../collector/src/source/content.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { errors } from "./api/af-errors.ts";
import type { ApiError } from "./api/af-errors.ts";

/** REF (July 2025): wait 15 minutes after a start before sending another start. */
const START_THROTTLE_MS = 15 * 60_000;

export type SubscriptionStatus = "enabled" | "disabled" | "none";

interface Subscription {
  status: SubscriptionStatus;
  lastStartMs: number;
  /** Blobs created before this instant (virtual ms) are not visible through this subscription. */
  floorMs: number;
}

/** One tenant's subscriptions, on the virtual clock. */
export class Subscriptions {
  readonly #byType = new Map<ContentType, Subscription>();
  readonly #historyStartMs: number;
  readonly #firstDataDelayMs: number;

  constructor(options: { enabled: ContentType[]; historyStartMs: number; firstDataDelayMs: number }) {
    this.#historyStartMs = options.historyStartMs;
    this.#firstDataDelayMs = options.firstDataDelayMs;
    for (const type of options.enabled) this.#byType.set(type, { status: "enabled", lastStartMs: -Infinity, floorMs: options.historyStartMs });
  }

  status(type: ContentType): SubscriptionStatus {
    return this.#byType.get(type)?.status ?? "none";
  }

  /** The earliest contentCreated visible through an enabled subscription, or undefined when it is not enabled. */
  floorMs(type: ContentType): number | undefined {
    const subscription = this.#byType.get(type);
    return subscription?.status === "enabled" ? subscription.floorMs : undefined;
  }

  all(): Record<ContentType, SubscriptionStatus> {
    return Object.fromEntries(CONTENT_TYPES.map((type) => [type, this.status(type)])) as Record<ContentType, SubscriptionStatus>;
  }

  start(type: ContentType, nowMs: number, publisherId: string): ApiError | undefined {
    const existing = this.#byType.get(type);
    if (existing?.status === "enabled") return errors.alreadyEnabled();
    if (existing === undefined) {
      // A first subscription sees the tenant's history, unless the tenant is configured to make it wait for first data.
      const floorMs = this.#firstDataDelayMs > 0 ? nowMs + this.#firstDataDelayMs : this.#historyStartMs;
      this.#byType.set(type, { status: "enabled", lastStartMs: nowMs, floorMs });
      return undefined;
    }
    const waitMs = existing.lastStartMs + START_THROTTLE_MS - nowMs;
    // UNCONFIRMED: Microsoft documents the 15-minute start throttle but not its answer. The emulator answers the
    // throttling error every collector already handles (429 AF429 with Retry-After until the 15 minutes are up).
    if (waitMs > 0) return errors.throttled429("StartSubscription", publisherId, waitMs / 1000);
    // REF: after a restart only content from the restart onward is available; the gap is lost.
    this.#byType.set(type, { status: "enabled", lastStartMs: nowMs, floorMs: nowMs });
    return undefined;
  }

  stop(type: ContentType): ApiError | undefined {
    const existing = this.#byType.get(type);
    if (existing === undefined) return errors.noSubscription();
    existing.status = "disabled";
    return undefined;
  }
}
