import type { ServerResponse } from "node:http";
import { drainedOrClosed } from "../../../collector/src/sinks/drained.ts";

/** Roughly how much JSON is buffered before each write. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Writes a JSON array of records as it generates them, honouring backpressure, so a large blob never sits in memory
 * whole and a slow client slows generation instead of filling buffers. Resolves with the bytes written.
 */
export async function streamJsonArray(res: ServerResponse, records: Iterable<unknown>): Promise<number> {
  let bytes = 0;
  let chunk = "[";
  let first = true;
  for (const record of records) {
    chunk += (first ? "" : ",") + JSON.stringify(record);
    first = false;
    if (chunk.length >= CHUNK_CHARS) {
      bytes += Buffer.byteLength(chunk);
      if (!res.write(chunk)) await drainedOrClosed(res);
      if (res.destroyed) return bytes;
      chunk = "";
    }
  }
  chunk += "]";
  bytes += Buffer.byteLength(chunk);
  res.end(chunk);
  return bytes;
}
