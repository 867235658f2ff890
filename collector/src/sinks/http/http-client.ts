import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { Pool, type Dispatcher } from "undici";
import { readBounded } from "../../http/read-bounded.ts";
import { parseRetryAfter } from "../../retry/backoff.ts";
import { trustedCas, untrustedCertificate } from "../remote/tls.ts";

const gzip = promisify(gzipCallback);

/** An HTTP answer read whole (intakes answer briefly; an Elasticsearch `_bulk` answer is filtered down to the failures). */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  /** From `Retry-After`, seconds or HTTP date. */
  readonly retryAfterMs: number | undefined;
}

/** Large enough for a filtered `_bulk` answer of a full batch, small enough that a misbehaving server cannot exhaust memory. */
const MAX_ANSWER_BYTES = 16 * 1_048_576;

/**
 * POSTs to one origin over a keep-alive pool: gzip when configured, TLS trusting the system's CAs plus `caFile`.
 * Network errors are thrown (the delivery driver retries them); every status is returned for the preset to classify.
 */
export class HttpClient {
  readonly #pool: Pool;
  readonly #gzip: boolean;
  readonly #basePath: string;
  readonly #origin: string;

  constructor(options: { url: string; caFile: string | undefined; gzip: boolean; connections: number; timeoutInMs: number }) {
    const url = new URL(options.url);
    this.#basePath = url.pathname.replace(/\/+$/, "");
    this.#origin = url.origin;
    this.#gzip = options.gzip;
    this.#pool = new Pool(url.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutInMs,
      bodyTimeout: options.timeoutInMs,
      connect: { timeout: options.timeoutInMs, ...httpTls(options.caFile) },
    });
  }

  /** POSTs `body` to the base URL's path followed by `path`. */
  async post(path: string, body: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<HttpAnswer> {
    const payload = this.#gzip ? await gzip(body) : body;
    return this.#request("POST", path, payload, { ...headers, ...(this.#gzip ? { "content-encoding": "gzip" } : {}) }, signal);
  }

  /** GETs the base URL's path followed by `path` (a doctor check's health or ping request). */
  get(path: string, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<HttpAnswer> {
    return this.#request("GET", path, null, headers, signal);
  }

  async #request(
    method: "GET" | "POST",
    path: string,
    body: string | Buffer | null,
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
  ): Promise<HttpAnswer> {
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#pool.request({ method, path: `${this.#basePath}${path}` || "/", headers, body, signal });
    } catch (error) {
      throw untrustedCertificate(error, this.#origin) ?? error;
    }
    return {
      status: response.statusCode,
      text: await readBounded(response.body, MAX_ANSWER_BYTES),
      retryAfterMs: parseRetryAfter(header(response.headers, "retry-after"), Date.now()),
    };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** The TLS trust of requests to the sink (also what doctor's check shakes hands with): the system's CAs, plus `caFile`. */
export function httpTls(caFile: string | undefined): { ca?: string[] } {
  return caFile === undefined ? {} : { ca: trustedCas(caFile) };
}

function header(headers: Dispatcher.ResponseData["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
