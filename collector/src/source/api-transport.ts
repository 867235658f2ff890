import type { GetTokenOptions, TokenCredential } from "@azure/identity";
import { Pool, type Dispatcher } from "undici";
import { readBounded } from "../http/read-bounded.ts";
import { AuditfeedError, isAuditfeedError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { redactText } from "../log/redact.ts";
import { isThrottled, readApiFailure, toAuditfeedError, type ApiFailure, type CallContext } from "./api-errors.ts";
import { abortable, backoffDelayMs, parseRetryAfter, sleep, type RetrySettings } from "../retry/backoff.ts";
import type { RequestBudget } from "./request-budget.ts";

/** Per-request timeouts of the HTTP layer. */
export interface TimeoutSettings {
  readonly connectInMs: number;
  /** Until the response headers arrive. */
  readonly headersInMs: number;
  /** Longest silence while a body streams (not the whole download). */
  readonly bodyIdleInMs: number;
}

export const DEFAULT_TIMEOUTS: TimeoutSettings = { connectInMs: 10_000, headersInMs: 60_000, bodyIdleInMs: 60_000 };

/** A token is asked for again this long before it expires, when the credential names no earlier refresh time. */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface ApiTransportSettings {
  /** The one origin requests go to (the pool cannot reach any other). */
  readonly origin: string;
  readonly scope: string;
  readonly credential: TokenCredential;
  readonly budget: RequestBudget;
  readonly connections: number;
  readonly retry: RetrySettings;
  readonly timeouts: TimeoutSettings;
  readonly logger: Logger;
}

/** A 2xx response whose body is still to be read (streamed blobs). */
export type OpenResponse = { readonly ok: true; readonly headers: Dispatcher.ResponseData["headers"]; readonly body: Dispatcher.ResponseData["body"] };
/** A 2xx response read whole (small JSON answers). */
export type ReadResponse = { readonly ok: true; readonly headers: Dispatcher.ResponseData["headers"]; readonly text: string };
/** A failure the caller chose to handle itself (for example AF20024 on start). */
export type ToleratedFailure = { readonly ok: false; readonly failure: ApiFailure };

export interface CallOptions {
  readonly method: "GET" | "POST";
  readonly url: URL;
  readonly context: CallContext;
  /** Ends the call at once, wherever it is: budget wait, token, request, body, backoff. Rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Sends requests to the Management API: request budget, bearer token, keep-alive pool, retries with backoff,
 * a tenant-wide pause on throttling, one token refresh on 401, and clock skew from each response's `Date`.
 *
 * The token is kept here until its refresh time: @azure/identity serves it from its own cache too, but at about
 * 50 µs of CPU per call (MSAL's cache lookup), which a backfill of small blobs would pay on every request.
 */
export class ApiTransport {
  readonly #settings: ApiTransportSettings;
  readonly #pool: Pool;
  /** Server clock minus local clock, from the latest response's `Date`; undefined until a response carried one. */
  #skewMs: number | undefined;
  #counters = { throttled: 0, retries: 0 };
  #token: { readonly value: string; readonly renewAt: number } | undefined;

  constructor(settings: ApiTransportSettings) {
    this.#settings = settings;
    this.#pool = new Pool(settings.origin, {
      connections: settings.connections,
      keepAliveTimeout: 30_000,
      connectTimeout: settings.timeouts.connectInMs,
      headersTimeout: settings.timeouts.headersInMs,
      bodyTimeout: settings.timeouts.bodyIdleInMs,
    });
  }

  /** Local clock corrected by the skew measured against the server's `Date` header. */
  serverNow(): Date {
    return new Date(Date.now() + (this.#skewMs ?? 0));
  }

  /** Whether a response has told the server's clock yet (before that, `serverNow` is the local clock). */
  get clockMeasured(): boolean {
    return this.#skewMs !== undefined;
  }

  /** Since this transport was made: responses that throttled the tenant, and requests sent again after a failure. */
  counters(): { readonly throttled: number; readonly retries: number } {
    return { ...this.#counters };
  }

  /** Sends and reads the whole body; network failures while reading are retried like any other. */
  read(options: CallOptions): Promise<ReadResponse> {
    return this.#send(options, true, () => false) as Promise<ReadResponse>;
  }

  /** Like `read`, but a failure `tolerate` accepts is returned instead of thrown (for example AF20024 on start). */
  readTolerating(options: CallOptions, tolerate: (failure: ApiFailure) => boolean): Promise<ReadResponse | ToleratedFailure> {
    return this.#send(options, true, tolerate) as Promise<ReadResponse | ToleratedFailure>;
  }

  /** Sends and hands back the open body for streaming; once it is returned, nothing is retried here. */
  open(options: CallOptions): Promise<OpenResponse> {
    return this.#send(options, false, () => false) as Promise<OpenResponse>;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #send(options: CallOptions, readWhole: boolean, tolerate: (failure: ApiFailure) => boolean): Promise<OpenResponse | ReadResponse | ToleratedFailure> {
    const { retry, logger, budget } = this.#settings;
    const { signal } = options;
    const firstAt = Date.now();
    let attempt = 0;
    let refreshed = false;
    let refreshNow = false;
    for (;;) {
      await budget.acquire(signal);
      const token = await this.#bearer(refreshNow, signal);
      refreshNow = false;
      let failure: ApiFailure | undefined;
      let retryAfterMs: number | undefined;
      let networkError: unknown;
      const sentAt = Date.now();
      try {
        const response = await this.#pool.request({
          method: options.method,
          path: `${options.url.pathname}${options.url.search}`,
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          signal: signal ?? null,
        });
        this.#measureSkew(response.headers["date"], sentAt);
        this.#logRequest(options, response.statusCode, sentAt);
        if (response.statusCode >= 200 && response.statusCode < 300) {
          if (!readWhole) return { ok: true, headers: response.headers, body: response.body };
          return { ok: true, headers: response.headers, text: await response.body.text() };
        }
        failure = readApiFailure(response.statusCode, await readBounded(response.body, MAX_ERROR_BODY_BYTES));
        retryAfterMs = parseRetryAfter(headerValue(response.headers, "retry-after"), Date.now());
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (isTlsError(error)) throw tlsError(error, this.#settings.origin);
        networkError = error;
      }
      if (failure !== undefined && tolerate(failure)) return { ok: false, failure };
      // AF-coded 401s (AF10001, AF20010) are definitive; a bare 401 is a token the service no longer accepts.
      if (failure?.status === 401 && failure.afCode === undefined && !refreshed) {
        refreshed = true;
        refreshNow = true;
        logger.info("The Management API rejected the access token; retrying once with a fresh token.", { operation: options.context.operation });
        continue;
      }
      const error =
        failure === undefined
          ? new AuditfeedError(
              "AF_ERR_TRANSIENT",
              `The connection to the Management API (${options.url.host}) failed while trying to ${options.context.operation}: ${describeNetworkError(networkError)}.`,
              { retryable: true, cause: networkError },
            )
          : toAuditfeedError(failure, options.context);
      if (!error.retryable) throw error;
      const throttled = failure !== undefined && isThrottled(failure);
      if (throttled) this.#counters.throttled++;
      const delayMs = Math.min(retry.maxRetryDelayInMs, retryAfterMs ?? backoffDelayMs(attempt, retry));
      const elapsedMs = Date.now() - firstAt;
      if (elapsedMs + delayMs > retry.maxElapsedInMs) {
        throw new AuditfeedError(error.code, `${error.message} Gave up after ${attempt + 1} attempts over ${Math.round(elapsedMs / 1000)} s.`, {
          retryable: true,
          cause: error,
        });
      }
      attempt++;
      this.#counters.retries++;
      if (throttled) {
        // The quota is the tenant's: every request of this client waits, not only this one.
        budget.pauseFor(delayMs);
        logger.info("The Management API is throttling the tenant; all requests pause. Lower requestsPerMinute or fetchConcurrency if this repeats.", {
          operation: options.context.operation,
          pauseMs: delayMs,
          retryAfterHonoured: retryAfterMs !== undefined,
          attempt,
        });
      } else {
        logger.info("A Management API request failed and will be retried.", {
          operation: options.context.operation,
          code: error.code,
          status: failure?.status,
          afCode: failure?.afCode,
          delayMs,
          attempt,
        });
        await sleep(delayMs, signal);
      }
    }
  }

  async #bearer(forceRefresh: boolean, signal: AbortSignal | undefined): Promise<string> {
    if (!forceRefresh && this.#token !== undefined && Date.now() < this.#token.renewAt) return this.#token.value;
    this.#token = undefined;
    const { credential, scope } = this.#settings;
    const options: GetTokenOptions = signal === undefined ? {} : { abortSignal: signal };
    // @azure/identity serves cached tokens; a claims request is the one way to make it ask Entra for a new one.
    if (forceRefresh) options.claims = JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } } });
    try {
      // @azure/identity does not pass the signal on to its token request for every credential: stop waiting anyway.
      const token = await abortable(credential.getToken(scope, options), signal);
      if (token === null) throw new Error("the credential returned no token.");
      this.#token = { value: token.token, renewAt: token.refreshAfterTimestamp ?? token.expiresOnTimestamp - RENEW_BEFORE_EXPIRY_MS };
      return token.token;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (isAuditfeedError(error)) throw error;
      throw new AuditfeedError(
        "AF_ERR_AUTH",
        `Entra did not issue a token for ${scope}: ${redactText((error as Error).message ?? String(error)).split("\n")[0]} Check tenantId, clientId, cloud and the credential (secret, certificate or federated identity).`,
        { cause: error },
      );
    }
  }

  #measureSkew(date: string | string[] | undefined, sentAt: number): void {
    const serverMs = typeof date === "string" ? Date.parse(date) : Number.NaN;
    if (Number.isNaN(serverMs)) return;
    // Date has whole seconds: compare its midpoint with the middle of the round trip.
    this.#skewMs = serverMs + 500 - (sentAt + Date.now()) / 2;
  }

  #logRequest(options: CallOptions, status: number, sentAt: number): void {
    this.#settings.logger.debug("Management API request.", {
      method: options.method,
      host: options.url.host,
      path: options.url.pathname,
      status,
      ms: Date.now() - sentAt,
      operation: options.context.operation,
    });
  }
}

export function headerValue(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

const MAX_ERROR_BODY_BYTES = 64 * 1024;

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ALTNAME/;

function isTlsError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && TLS_CODES.test(code);
}

function tlsError(error: unknown, origin: string): AuditfeedError {
  return new AuditfeedError(
    "AF_ERR_TLS",
    `The TLS certificate of ${origin} is not trusted (${(error as { code?: string }).code}): for the emulator or a TLS-inspecting proxy, give its CA with caFile (--ca-file).`,
    { cause: error },
  );
}

function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" ? `${code} (${message})` : message;
}
