import type { TokenCredential } from "@azure/identity";
import { CLOUDS } from "../config/clouds.ts";
import type { CollectorConfig } from "../config/config.ts";
import { AuditfeedError, isAuditfeedError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { CallContext } from "./api-errors.ts";
import { ApiTransport, DEFAULT_TIMEOUTS, headerValue, type TimeoutSettings } from "./api-transport.ts";
import { DEFAULT_RETRY, type RetrySettings } from "../retry/backoff.ts";
import { isContentType, type ContentDescriptor, type ContentType } from "./content.ts";
import { JsonArraySplitter } from "./json-array-splitter.ts";
import { toFetchedRecord, type FetchedRecord } from "./records.ts";
import { RequestBudget } from "./request-budget.ts";
import { assertTrustedUrl } from "./trusted-origin.ts";

export type { FetchedRecord } from "./records.ts";

export interface ManagementClientSettings {
  config: CollectorConfig;
  credential: TokenCredential;
  logger: Logger;
  /** Retry timing; defaults to DEFAULT_RETRY (1 s doubling to 60 s, 10 min in all). Tests shorten it. */
  retry?: RetrySettings;
  timeouts?: TimeoutSettings;
  /** Largest batch `fetchContent` yields (records); a batch also ends at about 4 MB of JSON. */
  recordsPerBatch?: number;
}

const BATCH_MAX_BYTES = 4 * 1_048_576;

/** The Management API base URL of the configuration: the override, else the cloud's host. */
export function managementBaseUrl(config: CollectorConfig): string {
  return config.endpoints.managementUrl ?? `https://${CLOUDS[config.cloud].managementHost}`;
}

/**
 * Client of the Office 365 Management Activity API for one tenant. Every call carries `PublisherIdentifier` and
 * shares one request budget; tokens only ever go to the configured Management API origin.
 */
export class ManagementClient {
  readonly #config: CollectorConfig;
  readonly #transport: ApiTransport;
  readonly #root: string;
  readonly #origin: string;
  readonly #recordsPerBatch: number;

  constructor(settings: ManagementClientSettings) {
    const { config } = settings;
    const base = new URL(managementBaseUrl(config));
    this.#config = config;
    this.#origin = base.origin;
    this.#root = `${base.href.replace(/\/+$/, "")}/api/v1.0/${config.tenantId}/activity/feed`;
    this.#recordsPerBatch = settings.recordsPerBatch ?? 1_000;
    this.#transport = new ApiTransport({
      origin: base.origin,
      // The scope follows the cloud even when the URL is overridden: the emulator issues tokens for that audience.
      scope: CLOUDS[config.cloud].scope,
      credential: settings.credential,
      budget: new RequestBudget(config.requestsPerMinute),
      connections: config.fetchConcurrency + 2,
      retry: settings.retry ?? DEFAULT_RETRY,
      timeouts: settings.timeouts ?? DEFAULT_TIMEOUTS,
      logger: settings.logger.child({ component: "management-api" }),
    });
  }

  /*
   * Every call takes an optional AbortSignal: it ends the call at once, in its budget wait, token request, request,
   * body or backoff, with the signal's reason.
   */

  async listSubscriptions(signal?: AbortSignal): Promise<Array<{ contentType: string; status: string }>> {
    const response = await this.#transport.read({ method: "GET", url: this.#url("subscriptions/list"), context: this.#context("list subscriptions"), signal });
    const items = parseJsonArray(response.text, "subscription list");
    return items.map((item) => {
      const { contentType, status } = (item ?? {}) as { contentType?: unknown; status?: unknown };
      if (typeof contentType !== "string" || typeof status !== "string") throw badResponse("subscription list", "an entry lacks contentType or status");
      return { contentType, status };
    });
  }

  /** Starts the subscription; a 400 AF20024 ("already enabled") is success too. Spacing starts 15 min apart is the caller's job. */
  async startSubscription(contentType: ContentType, signal?: AbortSignal): Promise<"started" | "already-enabled"> {
    const response = await this.#transport.readTolerating(
      { method: "POST", url: this.#url("subscriptions/start", { contentType }), context: this.#context("start subscription", contentType), signal },
      (failure) => failure.afCode === "AF20024",
    );
    return response.ok ? "started" : "already-enabled";
  }

  /** The blobs listed for `[start, end)` on contentCreated, one array per page, following `NextPageUri` to the end. */
  async *listContent(contentType: ContentType, window: { start: Date; end: Date }, signal?: AbortSignal): AsyncIterable<ContentDescriptor[]> {
    const context = this.#context("list content", contentType);
    let url: URL | undefined = this.#url("subscriptions/content", { contentType, startTime: apiTime(window.start), endTime: apiTime(window.end) });
    while (url !== undefined) {
      const response = await this.#transport.read({ method: "GET", url, context, signal });
      yield parseJsonArray(response.text, "content list").map((item) => toDescriptor(item, contentType));
      // The header's case varies (HTTP/2 lower-cases it); its URL is followed exactly, after the origin check.
      const next = headerValue(response.headers, "nextpageuri");
      url = next === undefined || next === "" ? undefined : this.#withPublisher(assertTrustedUrl(next, this.#origin, "NextPageUri of the content list"));
    }
  }

  /**
   * Streams the records of one blob in batches, never holding the blob whole. Failures before the first byte are
   * retried here; a failure mid-stream throws a retryable AuditfeedError after earlier batches were yielded.
   */
  async *fetchContent(descriptor: ContentDescriptor, signal?: AbortSignal): AsyncIterable<FetchedRecord[]> {
    const url = this.#withPublisher(assertTrustedUrl(descriptor.contentUri, this.#origin, `contentUri of blob ${descriptor.contentId}`));
    const context = this.#context("fetch content", descriptor.contentType);
    const response = await this.#transport.open({ method: "GET", url, context, signal });
    const splitter = new JsonArraySplitter();
    let batch: FetchedRecord[] = [];
    let batchBytes = 0;
    let delivered = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        for (const element of splitter.push(chunk)) {
          const record = toFetchedRecord(element);
          batch.push(record);
          batchBytes += record.bytes.length;
          if (batch.length >= this.#recordsPerBatch || batchBytes >= BATCH_MAX_BYTES) {
            delivered += batch.length;
            yield batch;
            batch = [];
            batchBytes = 0;
          }
        }
      }
      splitter.end();
      if (batch.length > 0) yield batch;
    } catch (error) {
      if (isAuditfeedError(error)) throw error;
      if (signal?.aborted) throw signal.reason;
      // Its own code, because a blob that stays malformed is quarantined, while a broken download is only retried.
      if (error instanceof SyntaxError) {
        throw new AuditfeedError(
          "AF_ERR_BLOB_MALFORMED",
          `Blob ${descriptor.contentId} is malformed after ${delivered} records: ${error.message} It is fetched again next cycle, and quarantined if it stays malformed.`,
          { retryable: true, cause: error },
        );
      }
      throw new AuditfeedError(
        "AF_ERR_TRANSIENT",
        `Blob ${descriptor.contentId} could not be read after ${delivered} records: the download broke off (${(error as Error).message}). Fetch it again.`,
        { retryable: true, cause: error },
      );
    } finally {
      // Stopping early (the consumer broke off, or an error) must release the connection.
      if (!response.body.destroyed) response.body.destroy();
    }
  }

  /** Local clock plus the skew measured from the server's `Date` header on the latest response. */
  serverNow(): Date {
    return this.#transport.serverNow();
  }

  /** Throttled responses and retried requests since the client was made (for run statistics and metrics). */
  counters(): { readonly throttled: number; readonly retries: number } {
    return this.#transport.counters();
  }

  /** The server's clock, asking the API (`subscriptions/list`, the first call of every cycle) if no response told it yet. */
  async measuredServerNow(signal?: AbortSignal): Promise<Date> {
    if (!this.#transport.clockMeasured) await this.listSubscriptions(signal);
    return this.#transport.serverNow();
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  #url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(`${this.#root}/${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return this.#withPublisher(url);
  }

  /** Every call names the publisher, so it counts against the publisher's quota and not the shared pool. */
  #withPublisher(url: URL): URL {
    const present = [...url.searchParams.keys()].some((key) => key.toLowerCase() === "publisheridentifier");
    if (!present) url.searchParams.set("PublisherIdentifier", this.#config.publisherIdentifier);
    return url;
  }

  #context(operation: CallContext["operation"], contentType?: ContentType): CallContext {
    const base = { operation, tenantId: this.#config.tenantId, clientId: this.#config.clientId };
    return contentType === undefined ? base : { ...base, contentType };
  }
}

/** The API's documented datetime form, `YYYY-MM-DDTHH:MM:SS` in UTC (sub-second precision is not accepted). */
function apiTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}

function parseJsonArray(text: string, what: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badResponse(what, "the body is not JSON");
  }
  if (!Array.isArray(parsed)) throw badResponse(what, "the body is not a JSON array");
  return parsed;
}

function toDescriptor(item: unknown, expected: ContentType): ContentDescriptor {
  const fields = (item ?? {}) as Record<string, unknown>;
  const { contentType, contentId, contentUri, contentCreated, contentExpiration } = fields;
  if (typeof contentType !== "string" || !isContentType(contentType) || contentType !== expected) {
    throw badResponse("content list", `an entry has contentType ${JSON.stringify(contentType)} where ${expected} was listed`);
  }
  for (const [name, value] of Object.entries({ contentId, contentUri, contentCreated, contentExpiration })) {
    if (typeof value !== "string" || value === "") throw badResponse("content list", `an entry lacks ${name}`);
  }
  return {
    contentType,
    contentId: contentId as string,
    contentUri: contentUri as string,
    contentCreated: contentCreated as string,
    contentExpiration: contentExpiration as string,
  };
}

function badResponse(what: string, detail: string): AuditfeedError {
  return new AuditfeedError("AF_ERR_API_RESPONSE", `The Management API's ${what} is unusable: ${detail}. Retry later; report it if it persists.`, {
    retryable: true,
  });
}
