import type { ServerResponse } from "node:http";
import { drainedOrClosed } from "../../../collector/src/sinks/drained.ts";
import type { MalformedKind } from "../options.ts";

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

/** Bytes that are not UTF-8 (a lead byte followed by an ASCII one), inserted inside a string so the JSON structure holds. */
const NOT_UTF8 = Buffer.from([0xc3, 0x28]);

/**
 * Sends a blob body broken the way `kind` says (see MALFORMED_KINDS); `broken` is the position of the record that
 * `missing-id` and `invalid-utf8` break. Malformed blobs are few and as small as any blob, so the body is sent whole.
 */
export function sendMalformedBlob(res: ServerResponse, records: Record<string, unknown>[], broken: number, kind: MalformedKind): void {
  const json = records.map((record, position) => {
    if (position !== broken || kind !== "missing-id") return JSON.stringify(record);
    const withoutId = { ...record };
    delete withoutId["Id"];
    return JSON.stringify(withoutId);
  });
  switch (kind) {
    case "missing-id":
      res.end(`[${json.join(",")}]`);
      return;
    case "not-array":
      res.end(`{"value":[${json.join(",")}]}`);
      return;
    case "truncated": {
      const cut = Math.floor((records.length * 2) / 3);
      const partial = json[cut] ?? "{";
      res.end(`[${[...json.slice(0, cut), partial.slice(0, Math.ceil(partial.length / 2))].join(",")}`);
      return;
    }
    case "invalid-utf8": {
      const record = json[broken] ?? "{}";
      // Just inside the first string value: `{"Key":"` is ASCII, so the cut falls between characters.
      const inside = record.indexOf('":"') + 3;
      const before = [...json.slice(0, broken), record.slice(0, inside)].join(",");
      const after = [record.slice(inside), ...json.slice(broken + 1)].join(",");
      res.end(Buffer.concat([Buffer.from(`[${before}`), NOT_UTF8, Buffer.from(`${after}]`)]));
      return;
    }
  }
}
