import type { IncomingMessage, ServerResponse } from "node:http";

const MAX_FORM_BYTES = 256 * 1024;

/** Reads an application/x-www-form-urlencoded body; undefined when it is larger than any token request could be. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Drain the whole body even when it is too large: leaving the loop early would destroy the socket before the error is sent.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_FORM_BYTES) chunks.push(chunk);
  }
  return size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Token responses must not be cached by intermediaries (RFC 6749 §5.1). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store, no-cache",
    pragma: "no-cache",
  });
  res.end(payload);
}
