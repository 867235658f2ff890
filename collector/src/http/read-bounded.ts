import type { Dispatcher } from "undici";

/**
 * Reads a response body as UTF-8, cut at `maxBytes`: answers we only parse for their status or errors are small, and a
 * misbehaving server must not make us buffer much.
 */
export async function readBounded(body: Dispatcher.ResponseData["body"], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
}
