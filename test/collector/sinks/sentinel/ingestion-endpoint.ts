import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { decodeJwt } from "../../../../emulator/src/identity/jwt.ts";
import { createCertificateAuthority } from "../../../../emulator/src/tls.ts";

/** What the endpoint does with one request instead of ingesting it, in the order requests arrive. */
export type Fault = "429" | "503" | "hang" | "redirect";

/** A record whose row the endpoint refuses whatever happens (it does not match the stream's declaration). */
export const POISON_MARK = "poison";
/** The API's documented limit for one call, compressed or not. */
export const MAX_CALL_BYTES = 1_000_000;

export interface ReceivedCall {
  readonly path: string;
  /** The api-version query parameter, decoded (the client percent-encodes its hyphen, `api%2Dversion`: the same name, RFC 3986). */
  readonly apiVersion: string | null;
  readonly contentType: string | undefined;
  readonly gzip: boolean;
  /** Body bytes as sent, and once decompressed. */
  readonly sentBytes: number;
  readonly bodyBytes: number;
  /** Claims of the bearer token: audience, and the client the token was issued to. */
  readonly audience: unknown;
  readonly authorizedParty: unknown;
}

export interface IngestionEndpoint {
  readonly url: string;
  readonly caPem: string;
  /** Rows ingested, repeats included, in arrival order. */
  readonly rows: Record<string, unknown>[];
  readonly calls: ReceivedCall[];
  readonly faults: Fault[];
  /** Where a `redirect` fault points (a host that must never see the token). */
  redirectTo: string;
  close(): Promise<void>;
}

/**
 * A local Logs Ingestion API over TLS with its own CA, for one rule and stream: it checks the path and api-version, the
 * bearer token's audience, gzip, the JSON array and the 1 MB limit, and answers as the service does (204; 400 with an
 * error body for rows that do not fit the stream; 413 over 1 MB; 429 with Retry-After; 503; no answer).
 */
export async function startIngestionEndpoint(options: { ruleId: string; stream: string; audience: string }): Promise<IngestionEndpoint> {
  const authority = createCertificateAuthority();
  const hanging = new Set<ServerResponse>();
  const state = { rows: [] as Record<string, unknown>[], calls: [] as ReceivedCall[], faults: [] as Fault[], redirectTo: "https://127.0.0.1:1" };
  const expectedPath = `/dataCollectionRules/${options.ruleId}/streams/${options.stream}`;
  const { certPem, keyPem } = authority.issueServerCertificate(["127.0.0.1"]);
  const server = createServer({ cert: certPem, key: keyPem }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const sent = Buffer.concat(chunks);
      const gzip = request.headers["content-encoding"] === "gzip";
      const body = gzip ? gunzipSync(sent) : sent;
      const token = decodeJwt(/^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "");
      const url = new URL(request.url ?? "/", "https://127.0.0.1");
      state.calls.push({
        path: url.pathname,
        apiVersion: url.searchParams.get("api-version"),
        contentType: request.headers["content-type"],
        gzip,
        sentBytes: sent.length,
        bodyBytes: body.length,
        audience: token?.payload["aud"],
        authorizedParty: token?.payload["azp"],
      });
      const fault = state.faults.shift();
      if (fault === "hang") {
        hanging.add(response);
        return;
      }
      const answer = fault === undefined ? ingest(url, body, token?.payload["aud"]) : faultAnswer(fault, state.redirectTo);
      response
        .writeHead(answer.status, { "content-type": "application/json", ...answer.headers })
        .end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });

  function ingest(url: URL, body: Buffer, audience: unknown): Answer {
    if (audience !== options.audience) return error(401, "InvalidToken", `The token's audience ${String(audience)} is not ${options.audience}.`);
    if (url.pathname !== expectedPath || url.searchParams.get("api-version") !== "2023-01-01") return error(404, "NotFound", `No stream at ${url.href}.`);
    if (body.length > MAX_CALL_BYTES) return error(413, "ContentLengthLimitExceeded", "The request is larger than 1 MB.");
    const rows = JSON.parse(body.toString("utf8")) as unknown;
    if (!Array.isArray(rows)) return error(400, "InvalidRequestBody", "The body must be a JSON array.");
    const refused = (rows as Record<string, unknown>[]).find((row) => !fitsStream(row));
    if (refused !== undefined) return error(400, "InvalidStream", "A row does not match the stream declaration: column Record has the wrong type.");
    state.rows.push(...(rows as Record<string, unknown>[]));
    return { status: 204 };
  }

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `https://127.0.0.1:${port}`,
    caPem: authority.caPem,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  });
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

function error(status: number, code: string, message: string): Answer {
  return { status, body: { error: { code, message } } };
}

function faultAnswer(fault: Exclude<Fault, "hang">, redirectTo: string): Answer {
  if (fault === "429") return { ...error(429, "TooManyRequests", "Throttled."), headers: { "retry-after": "1" } };
  if (fault === "503") return error(503, "ServiceUnavailable", "Try again.");
  return { status: 307, headers: { location: `${redirectTo}/elsewhere` } };
}

/** The stream's declaration: TimeGenerated (datetime), ContentType and Id (string), Record (dynamic: an object). */
function fitsStream(row: Record<string, unknown>): boolean {
  const record = row["Record"] as Record<string, unknown> | undefined;
  return (
    typeof row["TimeGenerated"] === "string" &&
    !Number.isNaN(Date.parse(row["TimeGenerated"])) &&
    typeof row["ContentType"] === "string" &&
    typeof row["Id"] === "string" &&
    typeof record === "object" &&
    record !== null &&
    !String(record["Id"]).startsWith(POISON_MARK)
  );
}
